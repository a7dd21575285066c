"""Writes of the service desk: conversations fed by inbound messages, replies, assignment, tickets.

Inbound messages arrive through the outbox (``messaging.message_received``, see handlers.py), once
per WeChat message: ``conversation_receive`` is idempotent on the messaging log id.

Replies go out through WeChat's customer-service API, which is only open within the member's window
(window.py). A reply is written first (``sending``) and sent after commit, outside any transaction;
WeChat's refusal (errcode) is kept on the message, which can be sent again (``message_retry``).
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from weloop.core import clock
from weloop.members.models import Member
from weloop.service_desk import errors
from weloop.service_desk.enums import (
    ConversationStatus,
    MediaStatus,
    MessageDirection,
    MessageKind,
    Outcome,
    SendStatus,
    TicketStatus,
)
from weloop.service_desk.models import (
    AgentPresence,
    AssignmentRule,
    CannedReply,
    Conversation,
    ConversationClosure,
    ConversationMessage,
    DeskState,
    Ticket,
)
from weloop.service_desk.selectors import agent_is_eligible, available_agents
from weloop.service_desk.state import CONVERSATION, TICKET
from weloop.service_desk.window import window_for
from weloop.stores.models import Store
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.permissions import PERMISSIONS
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable

logger = logging.getLogger(__name__)

TEXT_MAX_CHARS = 600  # WeChat takes 2048 bytes of text: 600 Chinese characters fit
# Menu button keys that mean "let me talk to a person" (click events with another key are ignored).
TALK_TO_PERSON_KEYS = frozenset({"TALK_TO_PERSON", "CONTACT_SERVICE", "SERVICE_DESK"})
MEDIA_KINDS = {"image": MessageKind.IMAGE, "voice": MessageKind.VOICE, "video": MessageKind.VIDEO}
MEDIA_FETCH_ATTEMPTS = 3
OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


class DeskApi(Protocol):
    """What the desk needs from WeChat: ``weloop.wechat.client.WeChatApi`` (or a stand-in)."""

    def custom_send_text(self, openid: str, content: str) -> None: ...

    def media_get(self, media_id: str) -> tuple[bytes, str]: ...


def desk_api_for(merchant: Merchant) -> DeskApi:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise errors.WechatNotConnected()
    return WeChatApi(account.appid, account.app_secret)


# --- inbound ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """One message from a follower, as ``messaging.message_received`` describes it."""

    log_id: int | None
    openid: str
    member_id: str | None
    msg_type: str
    event: str = ""
    content: str = ""
    at: Any = None
    media_id: str = ""
    pic_url: str = ""
    latitude: Any = None
    longitude: Any = None
    label: str = ""
    url: str = ""
    title: str = ""
    description: str = ""
    event_key: str = ""
    recognition: str = ""
    msg_id: str = ""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Inbound:
        names = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in payload.items() if k in names and k != "log_id"}
        at = payload.get("at")
        if isinstance(at, str):
            from datetime import datetime

            try:
                fields["at"] = datetime.fromisoformat(at)
            except ValueError:
                fields["at"] = None
        return cls(log_id=payload.get("message_log_id"), **fields)


def _decimal(value: Any, limit: int) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if abs(number) <= limit else None


def _message_fields(inbound: Inbound) -> dict[str, Any] | None:
    """The stored form of an inbound message; None for events the desk does not take."""
    kind = inbound.msg_type
    if kind == "event":
        if inbound.event == "click" and inbound.event_key in TALK_TO_PERSON_KEYS:
            return {"kind": MessageKind.MENU, "text": _("Asked to talk to a person")}
        return None
    if kind == "text":
        return {"kind": MessageKind.TEXT, "text": inbound.content}
    if kind in ("image", "voice", "video", "shortvideo"):
        fields: dict[str, Any] = {
            "kind": MEDIA_KINDS.get(kind, MessageKind.VIDEO),
            "text": inbound.recognition,
            "media_id": inbound.media_id[:128],
            "pic_url": inbound.pic_url[:1024],
            "media_status": MediaStatus.PENDING if inbound.media_id else MediaStatus.UNAVAILABLE,
        }
        if not inbound.media_id:
            fields["error"] = "no MediaId"
        return fields
    if kind == "location":
        return {
            "kind": MessageKind.LOCATION,
            "text": inbound.label[:200],
            "latitude": _decimal(inbound.latitude, 90),
            "longitude": _decimal(inbound.longitude, 180),
            "label": inbound.label[:200],
        }
    if kind == "link":
        return {
            "kind": MessageKind.LINK,
            "text": "\n".join(p for p in (inbound.title, inbound.description) if p),
            "url": inbound.url[:1024],
        }
    return {"kind": MessageKind.EVENT, "text": f"[{kind}] {inbound.content or inbound.title}".strip()}


def _member_of(merchant: Merchant, inbound: Inbound) -> Member | None:
    members = Member.objects.for_merchant(merchant)
    if inbound.member_id:
        found = members.filter(public_id=inbound.member_id).first()
        if found:
            return found
    return members.filter(openid=inbound.openid).first() if inbound.openid else None


def _preview(message: ConversationMessage) -> str:
    if message.text:
        return message.text[:120]
    return f"[{message.get_kind_display()}]"


def _conversation_locked(merchant: Merchant, member: Member) -> tuple[Conversation, bool]:
    """The member's conversation, locked; created (open, assigned later) if there is none."""
    found = Conversation.objects.for_merchant(merchant).select_for_update().filter(member=member).first()
    if found:
        return found, False
    try:
        with transaction.atomic():
            return Conversation.objects.create(merchant=merchant, member=member, store_id=member.first_store_id), True
    except IntegrityError:  # another delivery for this member created it first
        return Conversation.objects.for_merchant(merchant).select_for_update().get(member=member), False


def _open_conversation(merchant: Merchant, inbound: Inbound) -> Conversation | None:
    """The member's conversation, locked, with what keeping its assignee needs, in one query.

    None when there is none yet (or the member is only found by openid after a stale member id).
    Hand-written SQL: the same query through the ORM (a join, a subquery) costs more to compile
    than everything else the filing does. ``assignee_active``, ``assignee_role`` and
    ``assignee_available`` (the presence row, None without one) come with it.
    """
    if inbound.member_id:
        column, value = "public_id", inbound.member_id
    elif inbound.openid:
        column, value = "openid", inbound.openid
    else:
        return None
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    sql = _OPEN_SQL.format(
        conversation=Conversation._meta.db_table,
        member=Member._meta.db_table,
        staff=StaffMember._meta.db_table,
        presence=AgentPresence._meta.db_table,
        column=column,
        lock=lock,
    )
    found = list(Conversation.objects.raw(sql, [merchant.pk, value]))
    return found[0] if found else None


_OPEN_SQL = (
    "SELECT c.*, s.is_active AS assignee_active, s.role AS assignee_role,"
    " (SELECT p.is_available FROM {presence} p WHERE p.merchant_id = c.merchant_id AND p.staff_id = c.assignee_id)"
    " AS assignee_available"
    " FROM {conversation} c JOIN {member} m ON m.id = c.member_id"
    " LEFT JOIN {staff} s ON s.id = c.assignee_id"
    " WHERE c.merchant_id = %s AND m.merchant_id = c.merchant_id AND m.{column} = %s{lock}"
)


def _keeps_assignee(conversation: Conversation) -> bool:
    """``agent_is_eligible`` of the assignee, from what ``_open_conversation`` read."""
    if conversation.assignee_id is None:
        return False
    if not hasattr(conversation, "assignee_active"):  # created or found another way
        return agent_is_eligible(conversation.assignee)
    active, role, available = (getattr(conversation, f"assignee_{name}") for name in ("active", "role", "available"))
    # SQLite gives booleans as 0/1; None: no presence row, which means available
    return bool(active) and role in PERMISSIONS["service_desk.use"] and (available is None or bool(available))


def conversation_receive(*, merchant: Merchant, payload: dict[str, Any]) -> ConversationMessage | None:
    """Put one inbound message into its member's conversation (created or reopened, then assigned).

    Idempotent on the messaging log id. Unfollows and re-follows mark the conversation; other events
    are ignored (None). Images, voice and video are fetched after commit (``media_fetch_task``).
    A picture and a place in one cycle open a ticket (the damage-claim flow) unless one is open.

    The usual case (the conversation exists and keeps its agent) is three statements: the locked
    conversation with its assignee, the message insert, one UPDATE of the conversation. A
    redelivered event is caught by the unique log id (the savepoint rolls back), not looked up first.
    """
    inbound = Inbound.from_payload(payload)
    if inbound.msg_type == "event" and inbound.event in ("unsubscribe", "subscribe"):
        _mark_subscription(merchant, inbound)
        return None
    fields = _message_fields(inbound)
    if fields is None:
        return None
    try:
        with transaction.atomic():
            return _file(merchant, inbound, fields)
    except IntegrityError:
        if inbound.log_id is None:
            raise
        existing = ConversationMessage.objects.for_merchant(merchant).filter(source_log_id=inbound.log_id).first()
        if existing is None:
            raise
        return existing


def _file(merchant: Merchant, inbound: Inbound, fields: dict[str, Any]) -> ConversationMessage | None:
    conversation = _open_conversation(merchant, inbound)
    if conversation is None:
        member = _member_of(merchant, inbound)
        if member is None:
            logger.warning("service desk: no member for openid %s", inbound.openid)
            return None
        conversation, _created = _conversation_locked(merchant, member)
    at = inbound.at or clock.now()
    now = clock.now()
    if conversation.status == ConversationStatus.CLOSED:
        CONVERSATION.transition(
            conversation,
            ConversationStatus.OPEN,
            actor="customer",
            reason="new message",
            extra_updates={"opened_at": now, "first_response_at": None, "closed_at": None, "outcome": ""},
        )
    message = ConversationMessage.objects.create(
        merchant=merchant,
        conversation=conversation,
        direction=MessageDirection.IN,
        source_log_id=inbound.log_id,
        wx_msg_id=inbound.msg_id[:64],
        at=at,
        **fields,
    )
    update: dict[str, Any] = {
        "last_message_at": now,
        "last_inbound_at": at,
        "preview": _preview(message),
        "waiting": True,
        "unsubscribed_at": None,
    }
    if not _keeps_assignee(conversation):
        update["assignee"] = _pick_agent(merchant, conversation)
    for name, value in update.items():
        setattr(conversation, name, value)
    Conversation.objects.filter(pk=conversation.pk).update(**update)
    if message.kind in (MessageKind.IMAGE, MessageKind.LOCATION):
        _maybe_open_ticket(merchant, conversation)
    if message.media_status == MediaStatus.PENDING:
        transaction.on_commit(lambda: _fetch_later(merchant.pk, message.pk))
    return message


def _fetch_later(merchant_id: int, message_id: int) -> None:
    from weloop.service_desk.tasks import media_fetch_task

    try:
        media_fetch_task(merchant_id, message_id)
    except Exception:  # the message stays "pending" and shows its WeChat picture link meanwhile
        logger.exception("could not queue the media download of message %s", message_id)


def _mark_subscription(merchant: Merchant, inbound: Inbound) -> None:
    member = _member_of(merchant, inbound)
    if member is None:
        return
    with transaction.atomic():
        conversation = Conversation.objects.for_merchant(merchant).select_for_update().filter(member=member).first()
        if conversation is None:
            return
        leaving = inbound.event == "unsubscribe"
        if leaving == (conversation.unsubscribed_at is not None):
            return
        conversation.unsubscribed_at = (inbound.at or clock.now()) if leaving else None
        conversation.save(update_fields=["unsubscribed_at"])
        ConversationMessage.objects.create(
            merchant=merchant,
            conversation=conversation,
            direction=MessageDirection.SYSTEM,
            kind=MessageKind.EVENT,
            source_log_id=inbound.log_id,
            text=_("The customer unfollowed the service account.") if leaving else _("The customer followed again."),
            at=inbound.at or clock.now(),
        )


def _maybe_open_ticket(merchant: Merchant, conversation: Conversation) -> Ticket | None:
    if (
        Ticket.objects.for_merchant(merchant)
        .filter(conversation=conversation, status__in=OPEN_TICKET_STATUSES)
        .exists()
    ):
        return None
    cycle = ConversationMessage.objects.for_merchant(merchant).filter(
        conversation=conversation, direction=MessageDirection.IN, created_at__gte=conversation.opened_at
    )
    photo = cycle.filter(kind=MessageKind.IMAGE).order_by("-id").first()
    place = cycle.filter(kind=MessageKind.LOCATION).order_by("-id").first()
    if photo is None or place is None:
        return None
    said = cycle.filter(kind=MessageKind.TEXT).exclude(text="").order_by("-id").first()
    subject = (said.text if said else _("Service request with a photo and a location"))[:120]
    return _ticket_insert(merchant, conversation, subject=subject, photo=photo, place=place, actor="customer")


# --- assignment ---------------------------------------------------------------------------------


def _pick_agent(merchant: Merchant, conversation: Conversation) -> StaffMember | None:
    """By the store rule for the member's first-touch store, else the next available agent."""
    if conversation.store_id:
        rule = (
            AssignmentRule.objects.for_merchant(merchant)
            .select_related("agent")
            .filter(store_id=conversation.store_id)
            .first()
        )
        if rule and agent_is_eligible(rule.agent):
            return rule.agent
    return _round_robin(merchant)


def _round_robin(merchant: Merchant) -> StaffMember | None:
    """The available agent after the last one given a conversation (by id, wrapping around).

    The merchant's ``DeskState`` row is locked, so concurrent assignments take turns. With nobody
    available, nothing is locked or written (the usual case of a merchant without agents).
    """
    agents = available_agents(merchant=merchant)
    if not agents:
        return None
    state = DeskState.objects.for_merchant(merchant).select_for_update().first()
    if state is None:
        DeskState.objects.get_or_create(merchant=merchant)
        state = DeskState.objects.for_merchant(merchant).select_for_update().get()
    after = [a for a in agents if state.last_agent_id is not None and a.pk > state.last_agent_id]
    chosen = after[0] if after else agents[0]
    DeskState.objects.filter(pk=state.pk).update(last_agent_id=chosen.pk)
    return chosen


def _system_note(merchant: Merchant, conversation: Conversation, text: str, staff: StaffMember | None = None) -> None:
    ConversationMessage.objects.create(
        merchant=merchant,
        conversation=conversation,
        direction=MessageDirection.SYSTEM,
        kind=MessageKind.EVENT,
        text=text[:500],
        author=staff,
        at=clock.now(),
    )


def conversation_assign(
    *, merchant: Merchant, conversation: Conversation, agent: StaffMember | None, by: StaffMember | None = None
) -> Conversation:
    """Give the conversation to ``agent`` (a transfer when it had one), or unassign it (None).

    Raises ``NotAnAgent`` unless the agent is an active staff member who may use the desk.
    """
    if agent is not None and (agent.merchant_id != merchant.pk or not agent_is_eligible(agent, any_presence=True)):
        raise errors.NotAnAgent(extra={"staff_id": agent.public_id})
    with transaction.atomic():
        locked = Conversation.objects.for_merchant(merchant).select_for_update().get(pk=conversation.pk)
        previous = locked.assignee
        if previous == agent:
            return locked
        locked.assignee = agent
        locked.save(update_fields=["assignee"])
        names = {"from": str(previous) if previous else "—", "to": str(agent) if agent else "—"}
        text = _("Transferred from %(from)s to %(to)s") % names if previous else _("Assigned to %(to)s") % names
        if by is not None:
            text += " · " + str(by)
        _system_note(merchant, locked, text, by)
    return locked


def agent_set_available(*, merchant: Merchant, staff: StaffMember, available: bool) -> AgentPresence:
    """Take (or stop taking) new conversations in the round robin."""
    presence, _created = AgentPresence.objects.update_or_create(
        merchant=merchant, staff=staff, defaults={"is_available": available, "updated_at": clock.now()}
    )
    return presence


def assignment_rule_set(*, merchant: Merchant, store: Store, agent: StaffMember) -> AssignmentRule:
    """Send the conversations of members first met at ``store`` to ``agent`` (one rule per store)."""
    if store.merchant_id != merchant.pk:
        raise errors.NotAnAgent()
    if agent.merchant_id != merchant.pk or not agent_is_eligible(agent, any_presence=True):
        raise errors.NotAnAgent(extra={"staff_id": agent.public_id})
    rule, _created = AssignmentRule.objects.update_or_create(merchant=merchant, store=store, defaults={"agent": agent})
    return rule


def assignment_rule_delete(*, merchant: Merchant, rule: AssignmentRule) -> None:
    AssignmentRule.objects.for_merchant(merchant).filter(pk=rule.pk).delete()


# --- closing ------------------------------------------------------------------------------------


def conversation_close(
    *, merchant: Merchant, conversation: Conversation, outcome: str, by: StaffMember | None = None
) -> Conversation:
    """Close the conversation with an outcome; the cycle's times go to the metrics.

    Raises ``InvalidOutcome``, and ``InvalidTransition`` when it is closed already.
    """
    if outcome not in Outcome.values:
        raise errors.InvalidOutcome(extra={"field": "outcome", "value": outcome})
    now = clock.now()
    with transaction.atomic():
        locked = Conversation.objects.for_merchant(merchant).select_for_update().get(pk=conversation.pk)
        CONVERSATION.transition(
            locked,
            ConversationStatus.CLOSED,
            actor=f"staff:{by.public_id}" if by else "api",
            reason=outcome,
            extra_updates={"outcome": outcome, "closed_at": now, "waiting": False},
        )
        ConversationClosure.objects.create(
            merchant=merchant,
            conversation=locked,
            agent=locked.assignee or by,
            outcome=outcome,
            opened_at=locked.opened_at,
            first_response_at=locked.first_response_at,
            closed_at=now,
        )
        _system_note(merchant, locked, _("Closed: %(outcome)s") % {"outcome": Outcome(outcome).label}, by)
    return locked


# --- replies ------------------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > TEXT_MAX_CHARS:
        raise errors.InvalidReplyText(extra={"field": "text", "max_chars": TEXT_MAX_CHARS})
    return text


def _check_window(merchant: Merchant, conversation: Conversation) -> None:
    member = Member.objects.for_merchant(merchant).get(pk=conversation.member_id)
    window = window_for(merchant=merchant, member=member)
    if window.reason == "unsubscribed":
        raise errors.MemberUnsubscribed(extra={"member_id": member.public_id})
    if window.reason == "quota":
        raise errors.QuotaUsed(extra={"member_id": member.public_id, "template_fallback": True})
    if not window.is_open:
        raise errors.OutsideWindow(
            extra={
                "member_id": member.public_id,
                "last_inbound_at": conversation.last_inbound_at.isoformat() if conversation.last_inbound_at else None,
                "template_fallback": True,
            }
        )


def conversation_reply(
    *, merchant: Merchant, conversation: Conversation, staff: StaffMember, text: str, api: DeskApi | None = None
) -> ConversationMessage:
    """Answer the member with a customer-service text message.

    Refused before any call: ``InvalidReplyText``, ``MemberUnsubscribed``, ``OutsideWindow``,
    ``QuotaUsed``, ``ConversationClosed``. Otherwise the message is stored and sent (outside any
    transaction); WeChat's refusal or silence leaves it ``failed`` with the errcode, for a retry.
    """
    text = _clean_text(text)
    if conversation.status != ConversationStatus.OPEN:
        raise errors.ConversationClosed()
    _check_window(merchant, conversation)
    message = ConversationMessage.objects.create(
        merchant=merchant,
        conversation=conversation,
        direction=MessageDirection.OUT,
        kind=MessageKind.TEXT,
        text=text,
        author=staff,
        send_status=SendStatus.SENDING,
        at=clock.now(),
    )
    return _send(merchant, message, api, responder=staff)


def message_retry(
    *, merchant: Merchant, message: ConversationMessage, staff: StaffMember, api: DeskApi | None = None
) -> ConversationMessage:
    """Send a failed message again (same checks as a reply). Raises ``CannotRetry`` otherwise."""
    if message.direction != MessageDirection.OUT or message.send_status not in (SendStatus.FAILED, SendStatus.NOT_SENT):
        raise errors.CannotRetry()
    conversation = Conversation.objects.for_merchant(merchant).get(pk=message.conversation_id)
    _check_window(merchant, conversation)
    claimed = (
        ConversationMessage.objects.for_merchant(merchant)
        .filter(pk=message.pk, send_status=message.send_status)
        .update(send_status=SendStatus.SENDING, at=clock.now())
    )
    if not claimed:
        raise errors.CannotRetry()
    message.refresh_from_db()
    return _send(merchant, message, api, responder=staff)


def _send(
    merchant: Merchant, message: ConversationMessage, api: DeskApi | None, *, responder: StaffMember | None
) -> ConversationMessage:
    conversation = Conversation.objects.for_merchant(merchant).select_related("member").get(pk=message.conversation_id)
    status, errcode, error = SendStatus.SENT, None, ""
    try:
        (api or desk_api_for(merchant)).custom_send_text(conversation.member.openid, message.text)
    except WeChatApiError as failure:
        status, errcode, error = SendStatus.FAILED, failure.errcode, (failure.errmsg or failure.detail)[:255]
    except errors.WechatNotConnected as failure:
        status, error = SendStatus.FAILED, str(failure.detail)[:255]
    now = clock.now()
    ConversationMessage.objects.filter(pk=message.pk).update(
        send_status=status, errcode=errcode, error=error, attempts=message.attempts + 1, at=now
    )
    if status == SendStatus.SENT and message.direction == MessageDirection.OUT:
        updates: dict[str, Any] = {"last_message_at": now, "waiting": False, "preview": message.text[:120]}
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        if responder is not None:
            Conversation.objects.filter(pk=conversation.pk, first_response_at__isnull=True).update(
                first_response_at=now
            )
    message.refresh_from_db()
    return message


def note_add(*, merchant: Merchant, conversation: Conversation, staff: StaffMember, text: str) -> ConversationMessage:
    """An internal note beside the chat: never sent to the customer."""
    return ConversationMessage.objects.create(
        merchant=merchant,
        conversation=conversation,
        direction=MessageDirection.NOTE,
        kind=MessageKind.TEXT,
        text=_clean_text(text),
        author=staff,
        at=clock.now(),
    )


# --- media --------------------------------------------------------------------------------------


def message_media_fetch(*, merchant: Merchant, message_id: int, api: DeskApi | None = None) -> ConversationMessage:
    """Download a message's picture/voice/video through the media API and keep it.

    When WeChat refuses (e.g. 40007: the media expired) or stays unreachable after
    ``MEDIA_FETCH_ATTEMPTS`` tries, the message is marked ``unavailable`` with the errcode; the
    message itself, its MediaId and its picture URL are kept. Raises ``WeChatUnavailable`` while
    another try is worth it (the task retries).
    """
    message = ConversationMessage.objects.for_merchant(merchant).get(pk=message_id)
    if message.media_status != MediaStatus.PENDING:
        return message
    attempts = message.attempts + 1
    try:
        data, content_type = (api or desk_api_for(merchant)).media_get(message.media_id)
    except WeChatUnavailable as failure:
        if attempts < MEDIA_FETCH_ATTEMPTS:
            ConversationMessage.objects.filter(pk=message.pk).update(attempts=attempts)
            raise
        return _media_unavailable(message, attempts, None, failure.detail)
    except WeChatApiError as failure:
        return _media_unavailable(message, attempts, failure.errcode, failure.errmsg or failure.detail)
    except errors.WechatNotConnected as failure:
        return _media_unavailable(message, attempts, None, failure.detail)
    extension = mimetypes.guess_extension(content_type) or ".bin"
    message.media_file.save(f"{message.public_id}{extension}", ContentFile(data), save=False)
    ConversationMessage.objects.filter(pk=message.pk, media_status=MediaStatus.PENDING).update(
        media_file=message.media_file.name,
        media_content_type=content_type[:64],
        media_status=MediaStatus.STORED,
        attempts=attempts,
    )
    message.refresh_from_db()
    return message


def _media_unavailable(
    message: ConversationMessage, attempts: int, errcode: int | None, error: str
) -> ConversationMessage:
    ConversationMessage.objects.filter(pk=message.pk, media_status=MediaStatus.PENDING).update(
        media_status=MediaStatus.UNAVAILABLE, errcode=errcode, error=str(error)[:255], attempts=attempts
    )
    message.refresh_from_db()
    return message


# --- canned replies -----------------------------------------------------------------------------


def _canned_fields(title: str, text: str) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title or len(title) > 60 or not text or len(text) > TEXT_MAX_CHARS:
        raise errors.InvalidCannedReply(extra={"field": "title" if not title or len(title) > 60 else "text"})
    return title, text


def canned_reply_create(*, merchant: Merchant, title: str, text: str) -> CannedReply:
    title, text = _canned_fields(title, text)
    try:
        with transaction.atomic():
            return CannedReply.objects.create(merchant=merchant, title=title, text=text)
    except IntegrityError:
        raise errors.CannedReplyTitleTaken(extra={"field": "title"}) from None


def canned_reply_update(*, merchant: Merchant, reply: CannedReply, title: str, text: str) -> CannedReply:
    title, text = _canned_fields(title, text)
    if CannedReply.objects.for_merchant(merchant).filter(title=title).exclude(pk=reply.pk).exists():
        raise errors.CannedReplyTitleTaken(extra={"field": "title"})
    CannedReply.objects.for_merchant(merchant).filter(pk=reply.pk).update(
        title=title, text=text, updated_at=clock.now()
    )
    reply.refresh_from_db()
    return reply


def canned_reply_delete(*, merchant: Merchant, reply: CannedReply) -> None:
    CannedReply.objects.for_merchant(merchant).filter(pk=reply.pk).delete()


# --- tickets ------------------------------------------------------------------------------------


def _ticket_insert(
    merchant: Merchant,
    conversation: Conversation,
    *,
    subject: str,
    photo: ConversationMessage | None,
    place: ConversationMessage | None,
    actor: str,
) -> Ticket:
    ticket = Ticket.objects.create(
        merchant=merchant,
        conversation=conversation,
        member_id=conversation.member_id,
        subject=subject,
        assignee=conversation.assignee,
        photo=photo,
        place=place,
    )
    _system_note(
        merchant, conversation, _("Ticket %(id)s opened: %(subject)s") % {"id": ticket.public_id, "subject": subject}
    )
    return ticket


def ticket_create(
    *, merchant: Merchant, conversation: Conversation, subject: str, by: StaffMember | None = None
) -> Ticket:
    """Open a ticket from a conversation, with its latest photo and place (if any)."""
    subject = (subject or "").strip()
    if not subject or len(subject) > 120:
        raise errors.InvalidTicket(extra={"field": "subject"})
    inbound = ConversationMessage.objects.for_merchant(merchant).filter(
        conversation=conversation, direction=MessageDirection.IN
    )
    with transaction.atomic():
        return _ticket_insert(
            merchant,
            conversation,
            subject=subject,
            photo=inbound.filter(kind=MessageKind.IMAGE).order_by("-id").first(),
            place=inbound.filter(kind=MessageKind.LOCATION).order_by("-id").first(),
            actor=f"staff:{by.public_id}" if by else "api",
        )


TICKET_UPDATE_TEXT = {
    TicketStatus.OPEN: gettext_noop("Your request %(id)s (%(subject)s) is open again."),
    TicketStatus.IN_PROGRESS: gettext_noop("We are working on your request %(id)s (%(subject)s)."),
    TicketStatus.RESOLVED: gettext_noop("Your request %(id)s (%(subject)s) is resolved."),
    TicketStatus.CLOSED: gettext_noop("Your request %(id)s (%(subject)s) is closed."),
}


def ticket_set_status(
    *,
    merchant: Merchant,
    ticket: Ticket,
    status: str,
    by: StaffMember | None = None,
    note: str = "",
    api: DeskApi | None = None,
) -> tuple[Ticket, ConversationMessage]:
    """Move the ticket (``InvalidTransition`` when the table forbids it) and tell the customer.

    The update goes out as a customer-service message inside the window; outside it (or after an
    unfollow) it is recorded as ``not_sent`` with the reason, and the ticket moves anyway.
    """
    note = (note or "").strip()[:300]
    now = clock.now()
    with transaction.atomic():
        locked = Ticket.objects.for_merchant(merchant).select_for_update().get(pk=ticket.pk)
        extra: dict[str, Any] = {"updated_at": now}
        if status == TicketStatus.RESOLVED:
            extra["resolved_at"] = now
        TICKET.transition(
            locked, status, actor=f"staff:{by.public_id}" if by else "api", reason=note, extra_updates=extra
        )
        text = _(TICKET_UPDATE_TEXT[TicketStatus(status)]) % {"id": locked.public_id, "subject": locked.subject}
        if note:
            text = f"{text}\n{note}"
        conversation = Conversation.objects.for_merchant(merchant).get(pk=locked.conversation_id)
        member = Member.objects.for_merchant(merchant).get(pk=conversation.member_id)
        window = window_for(merchant=merchant, member=member)
        message = ConversationMessage.objects.create(
            merchant=merchant,
            conversation=conversation,
            direction=MessageDirection.OUT,
            kind=MessageKind.TICKET_UPDATE,
            ticket=locked,
            text=text[:TEXT_MAX_CHARS],
            author=by,
            send_status=SendStatus.SENDING if window.can_reply else SendStatus.NOT_SENT,
            error="" if window.can_reply else window.reason,
            at=now,
        )
    if message.send_status == SendStatus.SENDING:
        message = _send(merchant, message, api, responder=None)
    return locked, message
