"""/conversations and /tickets: the service desk (docs/service-desk.md).

An API key belongs to the merchant, not to a person: a reply names the agent who speaks
(``staff_id``), who must be allowed to use the desk. Replies obey WeChat's customer-service window
exactly as in the console: outside it the reply is refused (409 ``service_desk.outside_window``,
``service_desk.quota_used`` or ``service_desk.member_unsubscribed``) and nothing is sent.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import merchant_of
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.service_desk import (
    ConversationAssignIn,
    ConversationCloseIn,
    ConversationDetailOut,
    ConversationFilters,
    ConversationMessageOut,
    ConversationMessagePage,
    ConversationOut,
    ConversationPage,
    ConversationReplyIn,
    ServiceTicketFilters,
    ServiceTicketOut,
    ServiceTicketPage,
    ServiceTicketStatusIn,
    ServiceTicketUpdateOut,
    conversation_out,
    message_out,
    ticket_out,
    window_out,
)
from weloop.core.db import get_or_not_found
from weloop.service_desk import selectors, services
from weloop.service_desk.window import window_for
from weloop.tenants.models import Merchant, StaffMember

conversations_router = Router(tags=["Service desk"])
tickets_router = Router(tags=["Service desk"])

ConversationId = Annotated[str, Path(description="The conversation's public id (`cv_…`).", example="cv_7Q2M4K9XPA")]
TicketId = Annotated[str, Path(description="The ticket's public id (`tk_…`).", example="tk_7Q2M4K9XPA")]


def _staff(merchant: Merchant, staff_id: str | None) -> StaffMember | None:
    if not staff_id:
        return None
    return get_or_not_found(StaffMember.objects.for_merchant(merchant), what="staff", public_id=staff_id)


@conversations_router.get("", response=ConversationPage, summary="List conversations")
def list_conversations(request: HttpRequest, filters: Query[ConversationFilters]) -> dict:
    """Conversations, the most recent first, a keyset page at a time (pass `next_cursor` as `after`)."""
    merchant = merchant_of(request)
    page = selectors.inbox_page(
        merchant=merchant,
        view=filters.view,
        staff=_staff(merchant, filters.staff_id),
        cursor=filters.after,
        limit=filters.limit,
    )
    return {
        "items": [conversation_out(c) for c in page.items],
        "next_cursor": page.next_cursor,
        "count": page.count or 0,
        "count_capped": page.count_capped,
    }


@conversations_router.get("/{conversation_id}", response=ConversationDetailOut, summary="Get a conversation")
def get_conversation(request: HttpRequest, conversation_id: ConversationId) -> dict:
    """One conversation with the member's customer-service window (time and messages left)."""
    merchant = merchant_of(request)
    conversation = selectors.conversation_get(merchant=merchant, public_id=conversation_id)
    window = window_for(merchant=merchant, member=conversation.member)
    return {**conversation_out(conversation), "window": window_out(window)}


@conversations_router.get(
    "/{conversation_id}/messages", response=ConversationMessagePage, summary="A conversation's messages"
)
def list_conversation_messages(request: HttpRequest, conversation_id: ConversationId, page: Query[PageIn]) -> dict:
    """Every message, note and event, oldest first."""
    merchant = merchant_of(request)
    conversation = selectors.conversation_get(merchant=merchant, public_id=conversation_id)
    messages = selectors.conversation_messages(merchant=merchant, conversation=conversation)
    items = [message_out(m) for m in messages[page.offset : page.offset + page.limit]]
    return {"items": items, "count": messages.count()}


@conversations_router.post(
    "/{conversation_id}/reply", response={201: ConversationMessageOut}, summary="Reply to the customer"
)
def reply_to_conversation(
    request: HttpRequest, conversation_id: ConversationId, payload: ConversationReplyIn
) -> tuple[int, dict]:
    """Send a customer-service text message inside the window. WeChat's refusal is kept on the
    message (`send_status` `failed`, `errcode`); 409 when the window, the quota or an unfollow forbids it."""
    merchant = merchant_of(request)
    conversation = selectors.conversation_get(merchant=merchant, public_id=conversation_id)
    staff = _staff(merchant, payload.staff_id)
    assert staff is not None
    message = services.conversation_reply(merchant=merchant, conversation=conversation, staff=staff, text=payload.text)
    return 201, message_out(message)


@conversations_router.post("/{conversation_id}/assign", response=ConversationOut, summary="Assign or transfer")
def assign_conversation(request: HttpRequest, conversation_id: ConversationId, payload: ConversationAssignIn) -> dict:
    """Give the conversation to an agent (a transfer when it had one), or unassign it."""
    merchant = merchant_of(request)
    conversation = selectors.conversation_get(merchant=merchant, public_id=conversation_id)
    agent = _staff(merchant, payload.staff_id)
    return conversation_out(services.conversation_assign(merchant=merchant, conversation=conversation, agent=agent))


@conversations_router.post("/{conversation_id}/close", response=ConversationOut, summary="Close a conversation")
def close_conversation(request: HttpRequest, conversation_id: ConversationId, payload: ConversationCloseIn) -> dict:
    """Close with an outcome; a new message from the customer reopens it. 409 when already closed."""
    merchant = merchant_of(request)
    conversation = selectors.conversation_get(merchant=merchant, public_id=conversation_id)
    closed = services.conversation_close(merchant=merchant, conversation=conversation, outcome=payload.outcome)
    return conversation_out(selectors.conversation_get(merchant=merchant, public_id=closed.public_id))


@tickets_router.get("", response=ServiceTicketPage, summary="List tickets")
def list_tickets(request: HttpRequest, filters: Query[ServiceTicketFilters], page: Query[PageIn]) -> dict:
    """Service requests, newest first."""
    tickets = selectors.ticket_list(merchant=merchant_of(request), status=filters.status).select_related("conversation")
    return {"items": [ticket_out(t) for t in tickets[page.offset : page.offset + page.limit]], "count": tickets.count()}


@tickets_router.get("/{ticket_id}", response=ServiceTicketOut, summary="Get a ticket")
def get_ticket(request: HttpRequest, ticket_id: TicketId) -> dict:
    """One service request: its status, the conversation it came from, its photo and location."""
    return ticket_out(selectors.ticket_get(merchant=merchant_of(request), public_id=ticket_id))


@tickets_router.post("/{ticket_id}/status", response=ServiceTicketUpdateOut, summary="Change a ticket's status")
def set_ticket_status(request: HttpRequest, ticket_id: TicketId, payload: ServiceTicketStatusIn) -> dict:
    """Move the ticket and tell the customer (inside the window; else the update is `not_sent`).
    409 `state.invalid_transition` for a move the table forbids."""
    merchant = merchant_of(request)
    ticket = selectors.ticket_get(merchant=merchant, public_id=ticket_id)
    moved, update = services.ticket_set_status(
        merchant=merchant,
        ticket=ticket,
        status=payload.status,
        by=_staff(merchant, payload.staff_id),
        note=payload.note,
    )
    fresh = selectors.ticket_get(merchant=merchant, public_id=moved.public_id)
    return {"ticket": ticket_out(fresh), "update": message_out(update)}
