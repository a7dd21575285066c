"""The service desk in the console: the inbox (live, htmx polling), a conversation with the member
beside it, canned replies, assignment rules, tickets and per-agent metrics.

Replies are plain form posts: a reply WeChat refuses shows its errcode on the message (with a
retry button); one the window forbids is not sent and the page explains why and offers a template.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core.db import get_or_not_found
from weloop.core.errors import WeloopError
from weloop.dashboard.web import error_context, render_partial
from weloop.dashboard.web import render_page as _render_page
from weloop.service_desk import selectors, services
from weloop.service_desk.enums import InboxFilter, MediaStatus, Outcome, TicketStatus
from weloop.service_desk.models import Conversation
from weloop.service_desk.state import TICKET
from weloop.service_desk.window import window_for
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission

TICKET_PAGE_SIZE = 50
# Where the notifications' template mapping lives, once the console has it; else the explanation only.
TEMPLATE_SETTINGS_URL_NAMES = ("dashboard:notification_templates", "dashboard:notifications_templates")


def _merchant(request: HttpRequest) -> Any:
    return request.merchant  # type: ignore[attr-defined]


def _staff(request: HttpRequest) -> StaffMember:
    return request.staff  # type: ignore[attr-defined]


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """The console frame, plus whether the desk's managers' tabs show."""
    extra = {"can_manage_desk": has_permission(_staff(request), "service_desk.manage")}
    return _render_page(request, template, {**extra, **(context or {})}, status=status)


def template_settings_url() -> str:
    for name in TEMPLATE_SETTINGS_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


# --- the inbox ----------------------------------------------------------------------------------


def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    view = request.GET.get("view", InboxFilter.MINE)
    page = selectors.inbox_page(
        merchant=_merchant(request), view=view, staff=_staff(request), cursor=request.GET.get("after") or None
    )
    return {"inbox": page, "view": page.view, "views": InboxFilter.choices, "after": request.GET.get("after", "")}


@staff_view("service_desk.use")
def service_desk_inbox(request: HttpRequest) -> HttpResponse:
    merchant, staff = _merchant(request), _staff(request)
    presence = selectors.presence_of(merchant=merchant)
    context = {**_inbox_context(request), "available": selectors.is_available(staff, presence)}
    return render_page(request, "dashboard/service_desk/inbox.html", context)


@staff_view("service_desk.use")
def service_desk_inbox_rows(request: HttpRequest) -> HttpResponse:
    """The inbox's rows alone: what the page polls every few seconds."""
    return render_partial(request, "dashboard/service_desk/_inbox_rows.html", _inbox_context(request))


@require_POST
@staff_view("service_desk.use")
def service_desk_availability(request: HttpRequest) -> HttpResponse:
    available = request.POST.get("available") == "yes"
    services.agent_set_available(merchant=_merchant(request), staff=_staff(request), available=available)
    if available:
        messages.success(request, gettext("You now receive new conversations."))
    else:
        messages.info(request, gettext("You no longer receive new conversations."))
    return redirect("dashboard:service_desk_inbox")


# --- one conversation ---------------------------------------------------------------------------


def _conversation(request: HttpRequest, conversation_id: str) -> Conversation:
    return selectors.conversation_get(merchant=_merchant(request), public_id=conversation_id)


def _thread_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    merchant = _merchant(request)
    return {
        "conversation": conversation,
        "thread": list(selectors.conversation_messages(merchant=merchant, conversation=conversation)),
        "window": window_for(merchant=merchant, member=conversation.member),
    }


def _conversation_page(
    request: HttpRequest, conversation: Conversation, *, error: WeloopError | None = None, text: str = ""
) -> HttpResponse:
    merchant = _merchant(request)
    context = {
        **_thread_context(request, conversation),
        "context": selectors.member_context(merchant=merchant, member=conversation.member),
        "canned_replies": list(selectors.canned_reply_list(merchant=merchant)),
        "agents": selectors.desk_staff(merchant=merchant),
        "outcomes": Outcome.choices,
        "draft": text,
        "template_url": template_settings_url(),
        **error_context(error),
    }
    return render_page(
        request, "dashboard/service_desk/conversation.html", context, status=error.status if error else 200
    )


@staff_view("service_desk.use")
def service_desk_conversation(request: HttpRequest, conversation_id: str) -> HttpResponse:
    return _conversation_page(request, _conversation(request, conversation_id))


@staff_view("service_desk.use")
def service_desk_thread(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """The messages and the window alone: what the conversation page polls."""
    conversation = _conversation(request, conversation_id)
    return render_partial(request, "dashboard/service_desk/_thread.html", _thread_context(request, conversation))


def _back(conversation: Conversation) -> HttpResponse:
    return redirect("dashboard:service_desk_conversation", conversation_id=conversation.public_id)


@require_POST
@staff_view("service_desk.use")
def service_desk_reply(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    text = request.POST.get("text", "")
    try:
        message = services.conversation_reply(
            merchant=_merchant(request), conversation=conversation, staff=_staff(request), text=text
        )
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error, text=text)
    if message.is_failed:
        messages.error(request, gettext("WeChat did not accept the message: see its error code below."))
    return _back(conversation)


@require_POST
@staff_view("service_desk.use")
def service_desk_note(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    try:
        services.note_add(
            merchant=_merchant(request),
            conversation=conversation,
            staff=_staff(request),
            text=request.POST.get("text", ""),
        )
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error)
    return _back(conversation)


@require_POST
@staff_view("service_desk.use")
def service_desk_assign(request: HttpRequest, conversation_id: str) -> HttpResponse:
    merchant, staff = _merchant(request), _staff(request)
    conversation = _conversation(request, conversation_id)
    target = request.POST.get("staff_id", "")
    agent = None
    if target == "me":
        agent = staff
    elif target:
        agent = get_or_not_found(StaffMember.objects.for_merchant(merchant), what="staff", public_id=target)
    try:
        services.conversation_assign(merchant=merchant, conversation=conversation, agent=agent, by=staff)
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error)
    return _back(conversation)


@require_POST
@staff_view("service_desk.use")
def service_desk_close(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    try:
        services.conversation_close(
            merchant=_merchant(request),
            conversation=conversation,
            outcome=request.POST.get("outcome", ""),
            by=_staff(request),
        )
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error)
    messages.success(request, gettext("Conversation closed. A new message from the customer reopens it."))
    return redirect("dashboard:service_desk_inbox")


@require_POST
@staff_view("service_desk.use")
def service_desk_ticket_create(request: HttpRequest, conversation_id: str) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    try:
        ticket = services.ticket_create(
            merchant=_merchant(request),
            conversation=conversation,
            subject=request.POST.get("subject", ""),
            by=_staff(request),
        )
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error)
    return redirect("dashboard:service_desk_ticket", ticket_id=ticket.public_id)


@require_POST
@staff_view("service_desk.use")
def service_desk_message_retry(request: HttpRequest, conversation_message_id: str) -> HttpResponse:
    merchant = _merchant(request)
    message = selectors.message_get(merchant=merchant, public_id=conversation_message_id)
    conversation = selectors.conversation_get(merchant=merchant, public_id=message.conversation.public_id)
    try:
        sent = services.message_retry(merchant=merchant, message=message, staff=_staff(request))
    except WeloopError as error:
        return _conversation_page(request, conversation, error=error)
    if sent.is_failed:
        messages.error(request, gettext("WeChat did not accept the message again."))
    return _back(conversation)


@staff_view("service_desk.use")
def service_desk_message_media(request: HttpRequest, conversation_message_id: str) -> HttpResponse:
    """A customer's picture/voice/video as downloaded from WeChat (never public)."""
    message = selectors.message_get(merchant=_merchant(request), public_id=conversation_message_id)
    if message.media_status != MediaStatus.STORED or not message.media_file:
        raise Http404("no stored media")
    with message.media_file.open("rb") as media:  # a customer's photo: small, read at once
        response = HttpResponse(media.read(), content_type=message.media_content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- canned replies -----------------------------------------------------------------------------


@staff_view("service_desk.use")
def service_desk_canned_replies(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    error, form = None, {"title": "", "text": ""}
    if request.method == "POST":
        form = {"title": request.POST.get("title", ""), "text": request.POST.get("text", "")}
        try:
            services.canned_reply_create(merchant=merchant, **form)
        except WeloopError as failure:
            error = failure
        else:
            messages.success(request, gettext("Canned reply saved."))
            return redirect("dashboard:service_desk_canned_replies")
    context = {"replies": selectors.canned_reply_list(merchant=merchant), "form": form, **error_context(error)}
    return render_page(
        request, "dashboard/service_desk/canned_replies.html", context, status=error.status if error else 200
    )


@staff_view("service_desk.use")
def service_desk_canned_reply_edit(request: HttpRequest, canned_reply_id: str) -> HttpResponse:
    merchant = _merchant(request)
    reply = selectors.canned_reply_get(merchant=merchant, public_id=canned_reply_id)
    error, form = None, {"title": reply.title, "text": reply.text}
    if request.method == "POST":
        form = {"title": request.POST.get("title", ""), "text": request.POST.get("text", "")}
        try:
            services.canned_reply_update(merchant=merchant, reply=reply, **form)
        except WeloopError as failure:
            error = failure
        else:
            messages.success(request, gettext("Canned reply saved."))
            return redirect("dashboard:service_desk_canned_replies")
    context = {"reply": reply, "form": form, **error_context(error)}
    return render_page(
        request, "dashboard/service_desk/canned_reply_form.html", context, status=error.status if error else 200
    )


@require_POST
@staff_view("service_desk.use")
def service_desk_canned_reply_delete(request: HttpRequest, canned_reply_id: str) -> HttpResponse:
    merchant = _merchant(request)
    reply = selectors.canned_reply_get(merchant=merchant, public_id=canned_reply_id)
    services.canned_reply_delete(merchant=merchant, reply=reply)
    messages.success(request, gettext("Canned reply deleted."))
    return redirect("dashboard:service_desk_canned_replies")


# --- assignment rules ---------------------------------------------------------------------------


@staff_view("service_desk.manage")
def service_desk_rules(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    stores = list(store_list(merchant=merchant))
    agents = selectors.desk_staff(merchant=merchant)
    error = None
    if request.method == "POST":
        store = next((s for s in stores if s.public_id == request.POST.get("store_id")), None)
        agent = next((a for a in agents if a.public_id == request.POST.get("staff_id")), None)
        if store is None or agent is None:
            raise Http404("no such store or agent")
        try:
            services.assignment_rule_set(merchant=merchant, store=store, agent=agent)
        except WeloopError as failure:
            error = failure
        else:
            messages.success(request, gettext("Rule saved."))
            return redirect("dashboard:service_desk_rules")
    presence = selectors.presence_of(merchant=merchant)
    context = {
        "rules": selectors.assignment_rule_list(merchant=merchant),
        "stores": stores,
        "agents": [(agent, selectors.is_available(agent, presence)) for agent in agents],
        **error_context(error),
    }
    return render_page(request, "dashboard/service_desk/rules.html", context, status=error.status if error else 200)


@require_POST
@staff_view("service_desk.manage")
def service_desk_rule_delete(request: HttpRequest, assignment_rule_id: str) -> HttpResponse:
    merchant = _merchant(request)
    rule = selectors.assignment_rule_get(merchant=merchant, public_id=assignment_rule_id)
    services.assignment_rule_delete(merchant=merchant, rule=rule)
    messages.success(request, gettext("Rule deleted."))
    return redirect("dashboard:service_desk_rules")


# --- tickets ------------------------------------------------------------------------------------


@staff_view("service_desk.use")
def service_desk_tickets(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in TicketStatus.values else ""
    tickets = selectors.ticket_list(merchant=_merchant(request), status=status or None)
    page = Paginator(tickets, TICKET_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": TicketStatus.choices}
    return render_page(request, "dashboard/service_desk/tickets.html", context)


@staff_view("service_desk.use")
def service_desk_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    merchant = _merchant(request)
    ticket = selectors.ticket_get(merchant=merchant, public_id=ticket_id)
    error = None
    if request.method == "POST":
        try:
            _ticket, update = services.ticket_set_status(
                merchant=merchant,
                ticket=ticket,
                status=request.POST.get("status", ""),
                by=_staff(request),
                note=request.POST.get("note", ""),
            )
        except WeloopError as failure:
            error = failure
        else:
            if update.send_status == "sent":
                messages.success(request, gettext("Status changed; the customer was told."))
            else:
                messages.warning(
                    request, gettext("Status changed; the customer could not be told (outside the window).")
                )
            return redirect("dashboard:service_desk_ticket", ticket_id=ticket.public_id)
    context = {
        "ticket": ticket,
        "updates": selectors.ticket_updates(merchant=merchant, ticket=ticket),
        "next_statuses": [(s, TicketStatus(s).label) for s in TicketStatus.values if TICKET.can(ticket.status, s)],
        **error_context(error),
    }
    return render_page(request, "dashboard/service_desk/ticket.html", context, status=error.status if error else 200)


# --- metrics ------------------------------------------------------------------------------------


@staff_view("service_desk.manage")
def service_desk_metrics(request: HttpRequest) -> HttpResponse:
    try:
        days = min(max(int(request.GET.get("days", 30)), 1), 365)
    except ValueError:
        days = 30
    rows = [
        {
            "agent": row.agent,
            "closed": row.closed,
            "answered": row.answered,
            "first_response_avg": _duration(row.first_response_avg),
            "first_response_median": _duration(row.first_response_median),
            "resolution_avg": _duration(row.resolution_avg),
            "resolution_median": _duration(row.resolution_median),
        }
        for row in selectors.agent_metrics(merchant=_merchant(request), days=days)
    ]
    return render_page(request, "dashboard/service_desk/metrics.html", {"rows": rows, "days": days})


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
