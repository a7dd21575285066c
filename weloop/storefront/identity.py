"""Who the consumer is: the merchant's member, identified through WeChat OAuth and kept in the session.

    @require_safe
    @consumer_view
    @member_required(scope="snsapi_userinfo")
    def me(request): ...          # request.member is the merchant's Member

The session holds, per merchant, the member's public id (``weloop_member:<merchant pk>``) and the
scope it was identified with. Without them, ``member_required`` sends the browser to WeChat's
authorization page with a random ``state`` remembered in the session together with where to come
back to; the callback accepts a ``code`` only with a state it issued, exchanges the code (WeChat
honours it once), gets or creates the member and returns to that page.

``next`` is always a path of this merchant's H5 (``/m/<slug>/…``), never another site or merchant.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from weloop.core.errors import NotFound, WeloopError
from weloop.core.ids import random_token
from weloop.members.errors import InvalidMemberProfile, WechatNotConnected
from weloop.members.models import Member
from weloop.members.selectors import member_get
from weloop.members.services import member_record_oauth
from weloop.storefront.referral_capture import apply_pending_referral
from weloop.tenants.models import Merchant, WechatAccount
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable
from weloop.wechat.oauth import UserInfo, authorize_url, exchange_code, fetch_userinfo

BASE, USERINFO = "snsapi_base", "snsapi_userinfo"
SCOPES = (BASE, USERINFO)
STATE_LIFETIME_SECONDS = 600  # WeChat's code lives 5 minutes; a consent page may stay open a while
MAX_PENDING_STATES = 5  # a few tabs signing in at once; older states are dropped
WECHAT_BROWSER_MARK = "MicroMessenger"  # in the User-Agent of WeChat's in-app browser

View = Callable[..., HttpResponse]


# --- errors the callback shows ------------------------------------------------------------------


class OAuthStateInvalid(WeloopError):
    code = "storefront.oauth_state_invalid"
    status = 400
    message = "This sign-in link is not valid or has expired. Please try again."


class OAuthDeclined(WeloopError):
    code = "storefront.oauth_declined"
    status = 403
    message = "You did not allow the shop to see your WeChat profile, which this page needs."


class OAuthCodeRejected(WeloopError):
    code = "storefront.oauth_code_rejected"
    status = 400
    message = "WeChat did not accept this sign-in (it may have been used already). Please try again."


class OAuthSnapshotUser(WeloopError):
    code = "storefront.oauth_snapshot_user"
    status = 400
    message = "Open this page in WeChat itself (not the preview) to continue."


# --- the session ------------------------------------------------------------------------------


def member_key(merchant: Merchant) -> str:
    return f"weloop_member:{merchant.pk}"


def _scope_key(merchant: Merchant) -> str:
    return f"weloop_member_scope:{merchant.pk}"


def _states_key(merchant: Merchant) -> str:
    return f"weloop_oauth_states:{merchant.pk}"


def _silent_key(merchant: Merchant) -> str:
    return f"weloop_oauth_silent:{merchant.pk}"


def current_member(request: HttpRequest) -> Member | None:
    """The member bound to this session for ``request.merchant``, or None (once per request)."""
    if hasattr(request, "member"):
        return request.member  # type: ignore[no-any-return]
    merchant = request.merchant  # type: ignore[attr-defined]
    member = None
    public_id = request.session.get(member_key(merchant))
    if public_id:
        try:
            member = member_get(merchant=merchant, public_id=str(public_id))
        except NotFound:
            forget_member(request)  # the member is gone: identify again
    request.member = member  # type: ignore[attr-defined]
    return member


def current_scope(request: HttpRequest) -> str:
    return str(request.session.get(_scope_key(request.merchant), ""))  # type: ignore[attr-defined]


def bind_member(request: HttpRequest, member: Member, *, scope: str) -> None:
    """Remember ``member`` for this merchant in the session (a wider scope is never narrowed)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    # A new session key on sign-in: an id planted in the browser before cannot ride on this member.
    request.session.cycle_key()
    known = request.session.get(member_key(merchant)) == member.public_id
    if not (known and current_scope(request) == USERINFO):
        request.session[_scope_key(merchant)] = scope
    request.session[member_key(merchant)] = member.public_id
    request.member = member  # type: ignore[attr-defined]
    apply_pending_referral(request, member)  # a shared link opened before signing in


def forget_member(request: HttpRequest) -> None:
    merchant = request.merchant  # type: ignore[attr-defined]
    request.session.pop(member_key(merchant), None)
    request.session.pop(_scope_key(merchant), None)


# --- where to come back to ----------------------------------------------------------------------


def home_path(merchant: Merchant) -> str:
    return reverse("storefront:home", kwargs={"merchant_slug": merchant.slug})


def safe_next_path(merchant: Merchant, candidate: str | None) -> str:
    """``candidate`` if it is a path inside this merchant's H5, else the merchant's home page.

    Refuses other sites (``https://…``, ``//host``, ``\\\\host``), other merchants and paths that
    climb out with ``..``: the callback redirects there, so anything else is an open redirect.
    """
    home = home_path(merchant)
    text = (candidate or "").strip()
    if not text or "\\" in text or any(ord(ch) < 32 for ch in text):
        return home
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or not parts.path.startswith(home):
        return home
    normal = posixpath.normpath(parts.path) + ("/" if parts.path.endswith("/") else "")
    if not normal.startswith(home) or "//" in parts.path:
        return home
    return text


def callback_url(merchant: Merchant) -> str:
    """The redirect_uri WeChat returns to: on PUBLIC_URL, whose domain is registered at WeChat."""
    return settings.PUBLIC_URL + reverse("storefront:oauth_callback", kwargs={"merchant_slug": merchant.slug})


def retry_path(merchant: Merchant, *, next_path: str, scope: str) -> str:
    """A link that starts a fresh sign-in and comes back to ``next_path``."""
    query = urlencode({"next": safe_next_path(merchant, next_path), "scope": scope if scope in SCOPES else BASE})
    return reverse("storefront:oauth_start", kwargs={"merchant_slug": merchant.slug}) + "?" + query


# --- going to WeChat and coming back ------------------------------------------------------------


def _account(merchant: Merchant) -> WechatAccount:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise WechatNotConnected()
    return account


def oauth_redirect(request: HttpRequest, *, scope: str, next_path: str) -> HttpResponse:
    """Send the browser to WeChat's authorization page, remembering a fresh state and ``next``.

    Raises ``WechatNotConnected`` when the merchant has no service account.
    """
    merchant = request.merchant  # type: ignore[attr-defined]
    account = _account(merchant)
    scope = scope if scope in SCOPES else BASE
    state = random_token(32)
    now = int(time.time())
    pending = {
        token: entry
        for token, entry in (request.session.get(_states_key(merchant)) or {}).items()
        if now - int(entry.get("at", 0)) < STATE_LIFETIME_SECONDS
    }
    pending[state] = {"next": safe_next_path(merchant, next_path), "scope": scope, "at": now}
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING_STATES:]
    request.session[_states_key(merchant)] = dict(newest)
    return HttpResponseRedirect(authorize_url(account.appid, callback_url(merchant), scope, state))


@dataclass(frozen=True)
class PendingSignIn:
    next_path: str
    scope: str


def state_take(request: HttpRequest, state: str) -> PendingSignIn:
    """The sign-in ``state`` belongs to, removed from the session (a state works once).

    Raises ``OAuthStateInvalid`` for a state this session did not issue, or one too old.
    """
    merchant = request.merchant  # type: ignore[attr-defined]
    pending = dict(request.session.get(_states_key(merchant)) or {})
    entry = pending.pop(state, None) if state else None
    request.session[_states_key(merchant)] = pending
    if not isinstance(entry, dict) or time.time() - int(entry.get("at", 0)) >= STATE_LIFETIME_SECONDS:
        raise OAuthStateInvalid(extra={"retry": retry_path(merchant, next_path="", scope=BASE)})
    return PendingSignIn(next_path=safe_next_path(merchant, entry.get("next")), scope=str(entry.get("scope", BASE)))


def sign_in_with_code(request: HttpRequest, *, code: str, state: str) -> str:
    """Finish a sign-in: check ``state``, exchange ``code``, bind the member; returns where to go next.

    Raises ``OAuthStateInvalid`` (nothing is exchanged or created), ``OAuthDeclined`` (no code: the
    user refused consent), ``OAuthCodeRejected`` (WeChat refused the code: used, expired or forged;
    its errcode in ``extra``) or ``WeChatUnavailable``. Each carries a ``retry`` link in ``extra``.
    """
    merchant = request.merchant  # type: ignore[attr-defined]
    pending = state_take(request, state)
    retry = retry_path(merchant, next_path=pending.next_path, scope=pending.scope)
    if not code:
        raise OAuthDeclined(extra={"retry": retry})
    account = _account(merchant)
    try:
        token = exchange_code(account.appid, account.app_secret, code)
        if token.is_snapshot_user:
            raise OAuthSnapshotUser(extra={"retry": retry})
        granted = USERINFO if USERINFO in token.scope.split(",") else BASE
        profile = fetch_userinfo(token.access_token, token.openid) if granted == USERINFO else None
    except WeChatUnavailable as error:
        error.extra["retry"] = retry
        raise
    except WeChatApiError as error:
        raise OAuthCodeRejected(extra={"retry": retry, "errcode": error.errcode, "errmsg": error.errmsg}) from error
    member = _record_visit(merchant, openid=token.openid, unionid=token.unionid, profile=profile)
    bind_member(request, member, scope=granted)
    return pending.next_path


def _record_visit(merchant: Merchant, *, openid: str, unionid: str | None, profile: UserInfo | None) -> Member:
    """The member behind ``openid`` (created with source "oauth"), its profile updated when given."""
    unionid = unionid or (profile.unionid if profile else None) or None
    nickname = (profile.nickname or None) if profile else None
    avatar_url = (profile.avatar_url or None) if profile else None
    try:
        return member_record_oauth(
            merchant=merchant, openid=openid, unionid=unionid, nickname=nickname, avatar_url=avatar_url
        )
    except InvalidMemberProfile:
        # A profile value we cannot keep (an odd avatar URL) must not lock the person out.
        return member_record_oauth(merchant=merchant, openid=openid)


# --- decorators -----------------------------------------------------------------------------------


def member_required(scope: str = BASE) -> Callable[[View], View]:
    """The view needs the member (identified with at least ``scope``): sign in through WeChat first.

    Put it under ``consumer_view``: it needs ``request.merchant``. Sets ``request.member``.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            member = current_member(request)
            if member is None or (scope == USERINFO and current_scope(request) != USERINFO):
                return oauth_redirect(request, scope=scope, next_path=request.get_full_path())
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def is_wechat_browser(request: HttpRequest) -> bool:
    return WECHAT_BROWSER_MARK in request.headers.get("User-Agent", "")


def identify_in_wechat(view: View) -> View:
    """Inside WeChat, identify the visitor silently (snsapi_base) on their first visit.

    A page opened in WeChat is then always attributed to a member; other browsers, and a visitor
    whose silent sign-in already ran once in this session (even if it failed), browse anonymously.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        merchant = request.merchant  # type: ignore[attr-defined]
        wants = request.method in ("GET", "HEAD") and is_wechat_browser(request)
        if wants and not request.session.get(_silent_key(merchant)) and current_member(request) is None:
            request.session[_silent_key(merchant)] = True
            try:
                return oauth_redirect(request, scope=BASE, next_path=request.get_full_path())
            except WechatNotConnected:
                pass  # no service account yet: nobody to identify the visitor with
        return view(request, *args, **kwargs)

    return wrapper
