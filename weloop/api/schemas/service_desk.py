"""The service desk over the API: conversations with members, their messages, replies, tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.service_desk.enums import (
    ConversationStatus,
    InboxFilter,
    MediaStatus,
    MessageDirection,
    MessageKind,
    Outcome,
    SendStatus,
    TicketStatus,
)
from weloop.service_desk.models import Conversation, ConversationMessage, Ticket
from weloop.service_desk.window import Window

_STAFF_ID = "stf_4K9QX2M7PA"


class ConversationFilters(Schema):
    view: InboxFilter = Field(
        InboxFilter.ALL,
        description="`all` open conversations, `unassigned` open ones, `closed` ones, or `mine` (with `staff_id`).",
    )
    staff_id: str | None = Field(None, description="With `view=mine`: the agent (`stf_…`) whose conversations to list.")
    after: str | None = Field(
        None, description="The `next_cursor` of the previous page: continue after it. Absent: the newest first."
    )
    limit: int = Field(50, ge=1, le=200, description="How many conversations to return (1-200).")


class ConversationWindowOut(Schema):
    is_open: bool = Field(description="Whether WeChat accepts a customer-service message to the member now.")
    remaining: int | None = Field(
        description="Customer-service messages left in the window; null means no limit (after a payment).",
        examples=[5],
    )
    expires_at: dt.datetime | None = Field(description="When the window closes (ISO 8601); null when closed.")
    is_following: bool = Field(description="Whether the member still follows the account.")
    reason: str = Field(
        description="Why replies are refused: `unsubscribed`, `closed` (48 h passed) or `quota`; empty when open.",
        examples=[""],
    )


class ConversationOut(Schema):
    id: str = Field(description="The conversation's public id (`cv_…`).", examples=["cv_7Q2M4K9XPA"])
    member_id: str = Field(description="The member (`mb_…`).", examples=["mb_7Q2M4K9XPA"])
    openid: str = Field(description="The member's openid.")
    nickname: str = Field(description="The member's nickname; may be empty.")
    status: ConversationStatus = Field(description="`open` or `closed` (a new message reopens it).")
    outcome: Outcome | None = Field(
        description="How it was closed: `resolved`, `no_reply_needed`, `spam`, `unreachable`."
    )
    assignee_id: str | None = Field(description="The agent in charge (`stf_…`); null when unassigned.")
    preview: str = Field(description="The last message, shortened.")
    waiting: bool = Field(description="True when the last word is the customer's.")
    last_message_at: dt.datetime = Field(description="When the last message came or went (ISO 8601).")
    last_inbound_at: dt.datetime | None = Field(description="When the customer last wrote (ISO 8601).")
    unsubscribed_at: dt.datetime | None = Field(description="When the member unfollowed mid-conversation; null if not.")
    opened_at: dt.datetime = Field(description="Start of the current opening (ISO 8601).")
    first_response_at: dt.datetime | None = Field(description="First reply sent in the current opening.")


class ConversationDetailOut(ConversationOut):
    window: ConversationWindowOut = Field(description="The customer-service window now.")


class ConversationPage(Schema):
    items: list[ConversationOut] = Field(description="The conversations on this page, latest activity first.")
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null on the last page.")
    count: int = Field(description="How many conversations match, counted up to 1000.", examples=[12])
    count_capped: bool = Field(description="True when more than 1000 match (`count` is then 1000).")


class ConversationMessageOut(Schema):
    id: str = Field(description="The message's public id (`cm_…`).", examples=["cm_7Q2M4K9XPA"])
    direction: MessageDirection = Field(description="`in` from the customer, `out` to them, `note`, `system`.")
    kind: MessageKind = Field(description="`text`, `image`, `voice`, `video`, `location`, `link`, `menu`, ….")
    text: str = Field(description="The text (or a picture's voice recognition, a place's label).")
    author_id: str | None = Field(description="The staff member who wrote it (`stf_…`), for replies and notes.")
    media_id: str = Field(description="WeChat's MediaId of a picture, voice or video; empty otherwise.")
    media_status: MediaStatus | None = Field(
        description="`pending` (downloading), `stored`, or `unavailable` (WeChat would not give it); null: no media."
    )
    latitude: str | None = Field(description="A location's latitude (GCJ-02, 6 decimals).")
    longitude: str | None = Field(description="A location's longitude (GCJ-02, 6 decimals).")
    url: str = Field(description="A link's URL.")
    send_status: SendStatus | None = Field(
        description="Outbound only: `sending`, `sent`, `failed` (see errcode) or `not_sent` (outside the window)."
    )
    errcode: int | None = Field(description="WeChat's errcode when sending (or the media download) failed.")
    error: str = Field(description="WeChat's errmsg or the reason, when it failed.")
    at: dt.datetime = Field(description="When the customer sent it or we wrote it (ISO 8601).")


class ConversationMessagePage(Page):
    items: list[ConversationMessageOut] = Field(description="The conversation's messages on this page, in order.")


class ConversationReplyIn(InputSchema):
    staff_id: str = Field(
        description="The agent answering (`stf_…`); they must be allowed to use the desk.", examples=[_STAFF_ID]
    )
    text: str = Field(description="The reply, 1-600 characters.", examples=["您好，请问有什么可以帮您？"])


class ConversationAssignIn(InputSchema):
    staff_id: str | None = Field(description="The agent to give it to (`stf_…`); null unassigns.", examples=[_STAFF_ID])


class ConversationCloseIn(InputSchema):
    outcome: Outcome = Field(description="How it ended.", examples=["resolved"])


class ServiceTicketFilters(Schema):
    status: TicketStatus | None = Field(None, description="Only tickets with this status.")


class ServiceTicketOut(Schema):
    id: str = Field(description="The ticket's public id (`tk_…`).", examples=["tk_7Q2M4K9XPA"])
    conversation_id: str = Field(description="The conversation it came from (`cv_…`).")
    member_id: str = Field(description="The member (`mb_…`).")
    subject: str = Field(description="What the request is about.")
    status: TicketStatus = Field(description="`open`, `in_progress`, `resolved` or `closed`.")
    assignee_id: str | None = Field(description="The agent in charge (`stf_…`).")
    photo_message_id: str | None = Field(description="The customer's photo (a message `cm_…`), if any.")
    latitude: str | None = Field(description="Where (from the customer's location message), if any.")
    longitude: str | None = Field(description="Where, longitude.")
    place_label: str = Field(description="The place's label as WeChat sent it.")
    created_at: dt.datetime = Field(description="When it was opened (ISO 8601).")
    resolved_at: dt.datetime | None = Field(description="When it was resolved (ISO 8601).")


class ServiceTicketPage(Page):
    items: list[ServiceTicketOut] = Field(description="The tickets on this page, newest first.")


class ServiceTicketStatusIn(InputSchema):
    status: TicketStatus = Field(description="The new status (the allowed moves are in docs/service-desk.md).")
    note: str = Field("", max_length=300, description="A line added to the update the customer receives.")
    staff_id: str | None = Field(None, description="The agent making the change (`stf_…`), for the history.")


class ServiceTicketUpdateOut(Schema):
    ticket: ServiceTicketOut = Field(description="The ticket after the status change.")
    update: ConversationMessageOut = Field(description="The update to the customer: `sent`, `failed` or `not_sent`.")


def _pid(obj: Any) -> str | None:
    return obj.public_id if obj is not None else None


def _deg(value: Any) -> str | None:
    return None if value is None else f"{value:.6f}"


def conversation_out(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.public_id,
        "member_id": conversation.member.public_id,
        "openid": conversation.member.openid,
        "nickname": conversation.member.nickname,
        "status": conversation.status,
        "outcome": conversation.outcome or None,
        "assignee_id": _pid(conversation.assignee),
        "preview": conversation.preview,
        "waiting": conversation.waiting,
        "last_message_at": conversation.last_message_at,
        "last_inbound_at": conversation.last_inbound_at,
        "unsubscribed_at": conversation.unsubscribed_at,
        "opened_at": conversation.opened_at,
        "first_response_at": conversation.first_response_at,
    }


def window_out(window: Window) -> dict[str, Any]:
    return {
        "is_open": window.can_reply,
        "remaining": window.remaining,
        "expires_at": window.expires_at if window.is_open else None,
        "is_following": window.is_following,
        "reason": window.reason,
    }


def message_out(message: ConversationMessage) -> dict[str, Any]:
    return {
        "id": message.public_id,
        "direction": message.direction,
        "kind": message.kind,
        "text": message.text,
        "author_id": _pid(message.author),
        "media_id": message.media_id,
        "media_status": message.media_status or None,
        "latitude": _deg(message.latitude),
        "longitude": _deg(message.longitude),
        "url": message.url,
        "send_status": message.send_status or None,
        "errcode": message.errcode,
        "error": message.error,
        "at": message.at,
    }


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    place = ticket.place
    return {
        "id": ticket.public_id,
        "conversation_id": ticket.conversation.public_id,
        "member_id": ticket.member.public_id,
        "subject": ticket.subject,
        "status": ticket.status,
        "assignee_id": _pid(ticket.assignee),
        "photo_message_id": _pid(ticket.photo),
        "latitude": _deg(place.latitude) if place else None,
        "longitude": _deg(place.longitude) if place else None,
        "place_label": place.label if place else "",
        "created_at": ticket.created_at,
        "resolved_at": ticket.resolved_at,
    }
