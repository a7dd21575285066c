"""The consumer phone at /simulator/: choose an account and a user, act, and read the chat.

The phone's current account and user live in this browser's session (``simulator.appid`` and
``simulator.openid``); the OAuth pages read the same keys, which is how "open the merchant's H5 as
this user" works. Every action answers with the re-rendered phone (htmx) or a redirect (no JS).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from weloop.simulator import menus, phone, pushes, selectors
from weloop.simulator.accounts import SimAccount, account_list
from weloop.simulator.errors import PhoneActionRefused
from weloop.simulator.models import SimUser
from weloop.simulator.views import simulator_base

SESSION_APPID = "simulator.appid"
SESSION_OPENID = "simulator.openid"
SESSION_ERROR = "simulator.error"
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def phone_session_set(request: HttpRequest, *, appid: str, openid: str = "") -> None:
    request.session[SESSION_APPID] = appid
    request.session[SESSION_OPENID] = openid


def current(request: HttpRequest, accounts: list[SimAccount] | None = None) -> tuple[SimAccount | None, SimUser | None]:
    accounts = account_list() if accounts is None else accounts
    appid = request.session.get(SESSION_APPID, "")
    account = next((a for a in accounts if a.appid == appid), accounts[0] if accounts else None)
    if account is None:
        return None, None
    return account, selectors.user_for_phone(account.appid, request.session.get(SESSION_OPENID, ""))


def _context(request: HttpRequest, error: str = "") -> dict[str, Any]:
    accounts = account_list()
    account, user = current(request, accounts)
    context: dict[str, Any] = {"accounts": accounts, "account": account, "user": user, "error": error}
    if account is not None:
        context.update(
            users=list(selectors.users_of(account.appid)[:200]),
            tickets=selectors.scannable_tickets(account.appid),
            menu=menus.menu_of(account.appid) or [],
            url_check=selectors.last_url_check(account.appid),
            default_location=phone.DEFAULT_LOCATION,
        )
    if user is not None:
        context["chat"] = selectors.chat(user)
    return context


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    error = request.session.pop(SESSION_ERROR, "")
    return render(request, "simulator/phone.html", _context(request, error))


@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    """The chat alone: the phone polls it every second for replies and pushed messages."""
    _account, user = current(request)
    return render(request, "simulator/_chat.html", {"chat": selectors.chat(user) if user else []})


@require_GET
def push_log(request: HttpRequest) -> HttpResponse:
    account, _user = current(request)
    deliveries = selectors.delivery_log(account.appid) if account else []
    return render(request, "simulator/_push_log.html", {"account": account, "deliveries": deliveries})


def _respond(request: HttpRequest, *, error: str = "", go_to: str = "") -> HttpResponse:
    if request.headers.get("HX-Request"):
        if go_to:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = go_to
            return response
        return render(request, "simulator/_phone.html", _context(request, error))
    if error:
        request.session[SESSION_ERROR] = error
    return HttpResponseRedirect(go_to or reverse("simulator:index"))


# (request, account, user) -> a URL to open, or None; ``user`` is None only when needs_user=False.
Action = Callable[..., str | None]


def phone_action(*, needs_user: bool = True) -> Callable[[Action], Callable[[HttpRequest], HttpResponse]]:
    """A POST the phone makes; ``PhoneActionRefused`` is shown in the phone, a returned URL is opened."""

    def decorator(action: Action) -> Callable[[HttpRequest], HttpResponse]:
        @require_POST
        @functools.wraps(action)
        def view(request: HttpRequest) -> HttpResponse:
            account, user = current(request)
            try:
                if account is None:
                    raise PhoneActionRefused(_("No simulated account exists yet: create a merchant first."))
                if needs_user and user is None:
                    raise PhoneActionRefused(_("Choose or create a user first."))
                go_to = action(request, account, user)
            except PhoneActionRefused as refused:
                return _respond(request, error=refused.detail)
            return _respond(request, go_to=go_to or "")

        return view

    return decorator


@phone_action(needs_user=False)
def select_account(request: HttpRequest, account: SimAccount, user: SimUser | None) -> None:
    appid = request.POST.get("appid", "")
    if not any(a.appid == appid for a in account_list()):
        raise PhoneActionRefused(_("Unknown account."))
    first = selectors.users_of(appid).first()
    phone_session_set(request, appid=appid, openid=first.openid if first else "")


@phone_action(needs_user=False)
def select_user(request: HttpRequest, account: SimAccount, user: SimUser | None) -> None:
    chosen = selectors.user_for_phone(account.appid, request.POST.get("openid", ""))
    if chosen is None:
        raise PhoneActionRefused(_("Unknown user."))
    phone_session_set(request, appid=account.appid, openid=chosen.openid)


@phone_action(needs_user=False)
def new_user(request: HttpRequest, account: SimAccount, user: SimUser | None) -> None:
    created = phone.user_create(
        account=account,
        nickname=request.POST.get("nickname", ""),
        avatar_url=request.POST.get("avatar_url", ""),
        simulator_base=simulator_base(request),
    )
    phone_session_set(request, appid=account.appid, openid=created.openid)


@phone_action()
def follow(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    phone.follow(account=account, user=user)


@phone_action()
def unfollow(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    phone.unfollow(account=account, user=user)


@phone_action()
def scan(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    code = request.POST.get("code", "").strip() or request.POST.get("ticket", "")
    phone.scan(account=account, user=user, code=code)


@phone_action()
def send_text(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    phone.send_text(account=account, user=user, content=request.POST.get("content", ""))


@phone_action()
def send_location(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    phone.send_location(
        account=account,
        user=user,
        latitude=request.POST.get("latitude", ""),
        longitude=request.POST.get("longitude", ""),
        label=request.POST.get("label", ""),
    )


@phone_action()
def send_image(request: HttpRequest, account: SimAccount, user: SimUser) -> None:
    upload = request.FILES.get("image")
    if upload is None:
        raise PhoneActionRefused(_("Choose a PNG, JPEG or GIF image."))
    if (upload.size or 0) > MAX_IMAGE_BYTES:
        raise PhoneActionRefused(_("The image is larger than 2 MB."))
    phone.send_image(account=account, user=user, data=upload.read(), simulator_base=simulator_base(request))


@phone_action()
def tap_menu(request: HttpRequest, account: SimAccount, user: SimUser) -> str:
    _delivery, url = phone.tap_menu(account=account, user=user, path=request.POST.get("path", ""))
    return url if url.lower().startswith(("http://", "https://")) else ""  # never navigate to javascript:


@phone_action(needs_user=False)
def verify_url(request: HttpRequest, account: SimAccount, user: SimUser | None) -> None:
    pushes.url_check_create(account=account)
