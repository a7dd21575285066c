"""The service account: the custom menu editor, keyword auto-replies, the follow greeting, the log.

The menu is a draft until published: "save" stores it (checked against WeChat's byte limits, the
error shown beside the button), "publish" saves and pushes it to WeChat, showing WeChat's errcode
when it refuses. Every page is plain form posts.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.dashboard.menu_editor import TYPE_CHOICES, MenuDraft, draft_from_buttons, draft_from_post
from weloop.dashboard.web import attach_error, error_context, render_page
from weloop.dashboard.wechat_forms import AutoReplyForm, GreetingForm
from weloop.messaging import selectors as messaging_selectors
from weloop.messaging import services as messaging_services
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import AutoReplyRule
from weloop.tenants.access import staff_view
from weloop.wechat.errors import InvalidMenu

LOG_PAGE_SIZE = 50

# --- custom menu --------------------------------------------------------------------------------


def _menu_page(
    request: HttpRequest,
    draft: MenuDraft,
    *,
    error: WeloopError | None = None,
    publish_error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    menu = messaging_selectors.menu_of(merchant=request.merchant)  # type: ignore[attr-defined]
    context = {
        "draft": draft,
        "type_choices": TYPE_CHOICES,
        "menu": menu,
        "publish_error": error_context(publish_error).get("error"),
        **error_context(error),
    }
    return render_page(request, "dashboard/service_account/menu.html", context, status=status)


@staff_view("service_account.manage")
def service_account_menu(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        menu = messaging_selectors.menu_of(merchant=merchant)
        return _menu_page(request, draft_from_buttons(menu.buttons if menu else []))
    draft = draft_from_post(request.POST)
    try:
        messaging_services.menu_save(merchant=merchant, buttons=draft.buttons())
    except InvalidMenu as error:
        draft.place_error(error)
        return _menu_page(request, draft, error=error, status=error.status)
    if request.POST.get("action") != "publish":
        messages.success(request, gettext("Menu draft saved. Publish it to show it in WeChat."))
        return redirect("dashboard:service_account_menu")
    try:
        messaging_services.menu_publish(merchant=merchant)
    except WeloopError as error:
        # The draft is saved either way; WeChat's refusal (errcode) is shown, and kept on the menu.
        return _menu_page(request, draft, publish_error=error, status=error.status)
    messages.success(request, gettext("Menu published: WeChat users see it within a few minutes."))
    return redirect("dashboard:service_account_menu")


# --- keyword auto-replies -----------------------------------------------------------------------


@staff_view("service_account.manage")
def service_account_auto_replies(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:60]
    rules = messaging_selectors.rule_list(merchant=request.merchant, q=search or None)  # type: ignore[attr-defined]
    return render_page(request, "dashboard/service_account/auto_replies.html", {"rules": rules, "search": search})


def _rule_form_page(
    request: HttpRequest,
    form: AutoReplyForm,
    *,
    rule: AutoReplyRule | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"form": form, "rule": rule, **error_context(error)}
    return render_page(request, "dashboard/service_account/auto_reply_form.html", context, status=status)


@staff_view("service_account.manage")
def service_account_auto_reply_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _rule_form_page(request, AutoReplyForm())
    form = AutoReplyForm(request.POST)
    if not form.is_valid():
        return _rule_form_page(request, form, status=400)
    try:
        rule = messaging_services.rule_create(merchant=request.merchant, data=form.rule_input())  # type: ignore[attr-defined]
    except WeloopError as error:
        attach_error(form, error, field_by_code=AutoReplyForm.FIELDS_BY_ERROR)
        return _rule_form_page(request, form, error=error, status=error.status)
    messages.success(request, gettext("Auto-reply for “%(keyword)s” added.") % {"keyword": rule.keyword})
    return redirect("dashboard:service_account_auto_replies")


@staff_view("service_account.manage")
def service_account_auto_reply_edit(request: HttpRequest, auto_reply_rule_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    rule = messaging_selectors.rule_get(merchant=merchant, public_id=auto_reply_rule_id)
    if request.method != "POST":
        return _rule_form_page(request, AutoReplyForm(initial=AutoReplyForm.initial_from_rule(rule)), rule=rule)
    form = AutoReplyForm(request.POST)
    if not form.is_valid():
        return _rule_form_page(request, form, rule=rule, status=400)
    try:
        rule = messaging_services.rule_update(merchant=merchant, public_id=rule.public_id, data=form.rule_input())
    except WeloopError as error:
        attach_error(form, error, field_by_code=AutoReplyForm.FIELDS_BY_ERROR)
        return _rule_form_page(request, form, rule=rule, error=error, status=error.status)
    messages.success(request, gettext("Auto-reply for “%(keyword)s” saved.") % {"keyword": rule.keyword})
    return redirect("dashboard:service_account_auto_replies")


@require_POST
@staff_view("service_account.manage")
def service_account_auto_reply_delete(request: HttpRequest, auto_reply_rule_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    rule = messaging_selectors.rule_get(merchant=merchant, public_id=auto_reply_rule_id)
    messaging_services.rule_delete(merchant=merchant, public_id=rule.public_id)
    messages.success(request, gettext("Auto-reply for “%(keyword)s” deleted.") % {"keyword": rule.keyword})
    return redirect("dashboard:service_account_auto_replies")


# --- follow greeting ----------------------------------------------------------------------------


@staff_view("service_account.manage")
def service_account_greeting(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    greeting = messaging_selectors.greeting_of(merchant=merchant)
    if request.method != "POST":
        initial = {**GreetingForm.initial_from(greeting), "is_active": greeting.is_active} if greeting else {}
        return _greeting_page(request, GreetingForm(initial=initial), greeting=greeting)
    form = GreetingForm(request.POST)
    if not form.is_valid():
        return _greeting_page(request, form, greeting=greeting, status=400)
    try:
        messaging_services.greeting_set(
            merchant=merchant, reply=form.reply_input(), is_active=form.cleaned_data["is_active"]
        )
    except WeloopError as error:
        attach_error(form, error)
        return _greeting_page(request, form, greeting=greeting, error=error, status=error.status)
    messages.success(request, gettext("Follow greeting saved."))
    return redirect("dashboard:service_account_greeting")


def _greeting_page(
    request: HttpRequest, form: GreetingForm, *, greeting: object, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "greeting": greeting, **error_context(error)}
    return render_page(request, "dashboard/service_account/greeting.html", context, status=status)


# --- message log --------------------------------------------------------------------------------


@staff_view("messages.view")
def message_log(request: HttpRequest) -> HttpResponse:
    direction = request.GET.get("direction", "")
    direction = direction if direction in Direction.values else ""
    status = request.GET.get("status", "")
    status = status if status in LogStatus.values else ""
    member_id = request.GET.get("member", "").strip()[:24]
    logs = messaging_selectors.message_log_list(
        merchant=request.merchant,  # type: ignore[attr-defined]
        direction=direction or None,
        status=status or None,
        member_id=member_id or None,
    )
    page = Paginator(logs, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "direction": direction,
        "status": status,
        "member_id": member_id,
        "directions": Direction.choices,
        "statuses": LogStatus.choices,
    }
    return render_page(request, "dashboard/service_account/message_log.html", context)
