"""Handling what WeChat pushes to the callback: exactly once per message, fast, and with a reply.

``inbound_handle`` first claims the message by inserting its ``MessageLog`` row, committed on its
own: the unique (merchant, dedup_key) makes exactly one delivery the owner, in any process. A
duplicate (a retry, possibly arriving while the first delivery is still running) gets the stored
reply when the first has finished, else ``success``, and does nothing else. The owner then handles
the message in one transaction: member updates, the reply, the log row and the event commit together;
if it fails, the row is marked failed and WeChat's next retry may claim it again.

Nothing in here calls out over HTTP: WeChat waits at most 5 s for the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.events import publish
from weloop.members.enums import MemberSource, TouchKind
from weloop.members.models import Member
from weloop.members.selectors import member_find_by_openid
from weloop.members.services import member_follow, member_record_scan, member_touch, member_unfollow
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import AutoReplyRule, MessageLog
from weloop.messaging.replies import nearby_text, render_reply, reply_summary
from weloop.messaging.selectors import greeting_of, rule_for_click, rule_matching
from weloop.stores.models import Store
from weloop.stores.selectors import store_is_open, stores_nearest
from weloop.tenants.models import Merchant
from weloop.wechat.messages import SUCCESS, Message, text_reply

logger = logging.getLogger(__name__)

NEARBY_RADIUS_KM = 50
NEARBY_MAX_STORES = 3
# Opening hours cost a query per store: look at this many nearest stores at most for open ones.
NEARBY_CANDIDATES = 20
_MENU_CLICK_EVENTS = frozenset(
    {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin"}
)
_MENU_VIEW_EVENTS = frozenset({"view", "view_miniprogram"})
_JOB_REPORTS = frozenset({"templatesendjobfinish", "masssendjobfinish"})


@dataclass
class Outcome:
    reply: str = SUCCESS
    member: Member | None = None
    summary: str = ""  # what was answered, for the log


def inbound_handle(*, merchant: Merchant, message: Message) -> str:
    """Handle one parsed inbound message or event; return the passive-reply XML or ``SUCCESS``.

    Exactly one effect per message (see the module docstring). Emits ``messaging.message_received``
    and whatever the member services emit. Must not run inside a transaction: the claim has to be
    visible to other processes before the handling starts.
    """
    key = f"{message.account}:{message.dedup_key}"[:128]
    log = _claim(merchant, message, key)
    if log is None:
        return _stored_reply(merchant, key)
    try:
        with transaction.atomic():
            outcome = _dispatch(merchant, message)
            _finish(log, outcome)
            publish(merchant=merchant, name="messaging.message_received", payload=_event_payload(log, message))
    except Exception as error:
        MessageLog.objects.filter(pk=log.pk).update(
            status=LogStatus.FAILED, detail=f"{type(error).__name__}: {error}"[:255], handled_at=clock.now()
        )
        raise
    return outcome.reply


def _claim(merchant: Merchant, message: Message, key: str) -> MessageLog | None:
    """Insert the log row that makes this delivery the owner; None when another delivery owns it."""
    try:
        with transaction.atomic():
            return MessageLog.objects.create(
                merchant=merchant,
                direction=Direction.IN,
                openid=message.openid[:64],
                msg_type=message.msg_type[:32],
                event=message.event[:64],
                summary=_summary(message),
                dedup_key=key,
                msg_id=message.msg_id[:64],
                status=LogStatus.RECEIVED,
                created_at=clock.now(),
            )
    except IntegrityError:
        pass
    # The earlier delivery failed and rolled back: this retry may take it over (compare-and-set).
    retried = (
        MessageLog.objects.for_merchant(merchant)
        .filter(direction=Direction.IN, dedup_key=key, status=LogStatus.FAILED)
        .update(status=LogStatus.RECEIVED, detail="", handled_at=None)
    )
    if retried:
        return MessageLog.objects.for_merchant(merchant).get(direction=Direction.IN, dedup_key=key)
    return None


def _stored_reply(merchant: Merchant, key: str) -> str:
    row = (
        MessageLog.objects.for_merchant(merchant)
        .filter(direction=Direction.IN, dedup_key=key)
        .values_list("status", "reply_xml")
        .first()
    )
    if row and row[0] == LogStatus.HANDLED and row[1]:
        return row[1]
    return SUCCESS


def _finish(log: MessageLog, outcome: Outcome) -> None:
    log.status = LogStatus.HANDLED
    log.member = outcome.member
    log.reply_xml = "" if outcome.reply == SUCCESS else outcome.reply
    log.reply_summary = outcome.summary[:255]
    log.handled_at = clock.now()
    log.save(update_fields=["status", "member", "reply_xml", "reply_summary", "handled_at"])


def _event_payload(log: MessageLog, message: Message) -> dict[str, object]:
    return {
        "message_log_id": log.pk,
        "openid": message.openid,
        "member_id": log.member.public_id if log.member else None,
        "msg_type": message.msg_type,
        "event": message.event,
        "content": message.content[:2048],
        "at": _sent_at(message).isoformat(),
        # What the service desk keeps of a non-text message (media to fetch, place, link, menu key).
        **{name: getattr(message, name) for name in _DETAIL_FIELDS if getattr(message, name) not in ("", None)},
    }


_DETAIL_FIELDS = (
    "media_id",
    "pic_url",
    "latitude",
    "longitude",
    "label",
    "url",
    "title",
    "description",
    "event_key",
    "format",
    "recognition",
)


def _sent_at(message: Message) -> datetime:
    """When the user acted (CreateTime), falling back to now for an absurd value."""
    try:
        return datetime.fromtimestamp(message.create_time, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return clock.now()


def _summary(message: Message) -> str:
    if message.msg_type == "text":
        text = message.content
    elif message.msg_type == "location":
        text = f"{message.label} ({message.latitude}, {message.longitude})".strip()
    elif message.is_event:
        text = " ".join(part for part in (message.event, message.event_key, message.msg_status) if part)
    else:
        text = f"[{message.msg_type}] {message.title or message.url or message.media_id}".strip()
    return text[:255]


# --- dispatch -----------------------------------------------------------------------------------


def _dispatch(merchant: Merchant, message: Message) -> Outcome:
    if message.is_event:
        handler = _EVENT_HANDLERS.get(message.event)
        if handler is None:
            if message.event in _MENU_CLICK_EVENTS:
                handler = _on_menu_click
            elif message.event in _MENU_VIEW_EVENTS:
                handler = _on_menu_view
            elif message.event in _JOB_REPORTS:
                handler = _on_job_report
            else:
                handler = _on_other_event
    else:
        handler = _MESSAGE_HANDLERS.get(message.msg_type, _on_other_message)
    return handler(merchant, message)


def _on_subscribe(merchant: Merchant, message: Message) -> Outcome:
    member = member_follow(merchant=merchant, openid=message.openid, scene=message.scene or None, at=_sent_at(message))
    greeting = greeting_of(merchant=merchant)
    if greeting is None or not greeting.is_active:
        return Outcome(member=member)
    reply = render_reply(message, greeting)
    return Outcome(reply=reply, member=member, summary=reply_summary(greeting) if reply != SUCCESS else "")


def _on_unsubscribe(merchant: Merchant, message: Message) -> Outcome:
    # WeChat delivers no reply to an unfollow.
    return Outcome(member=member_unfollow(merchant=merchant, openid=message.openid, at=_sent_at(message)))


def _on_scan(merchant: Merchant, message: Message) -> Outcome:
    member = member_record_scan(merchant=merchant, openid=message.openid, scene=message.scene, at=_sent_at(message))
    return Outcome(member=member)


def _touch(merchant: Merchant, message: Message, kind: str, **fields: object) -> Member:
    touch = member_touch(
        merchant=merchant,
        openid=message.openid,
        kind=kind,
        at=_sent_at(message),
        source=MemberSource.MESSAGE,
        is_following=True,  # WeChat pushes messages, locations and menu events only for followers
        **fields,  # type: ignore[arg-type]
    )
    return touch.member


def _on_location_event(merchant: Merchant, message: Message) -> Outcome:
    member = _touch(
        merchant,
        message,
        TouchKind.LOCATION,
        latitude=message.latitude,
        longitude=message.longitude,
        detail={"reported": True, "precision": message.precision},
    )
    return Outcome(member=member)


def _on_menu_click(merchant: Merchant, message: Message) -> Outcome:
    detail = {"key": message.event_key[:128], "event": message.event}
    if message.scan_result:
        detail["scan_result"] = message.scan_result[:500]
    member = _touch(merchant, message, TouchKind.MENU_CLICK, detail=detail)
    rule = rule_for_click(merchant=merchant, key=message.event_key) if message.event == "click" else None
    return _rule_outcome(message, rule, member)


def _on_menu_view(merchant: Merchant, message: Message) -> Outcome:
    member = _touch(merchant, message, TouchKind.MENU_VIEW, detail={"url": message.event_key[:1024]})
    return Outcome(member=member)


def _on_job_report(merchant: Merchant, message: Message) -> Outcome:
    """TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH: how a message we sent went, by WeChat's msgid."""
    if message.msg_id:
        delivered = message.msg_status.strip().lower() in ("success", "send success")
        MessageLog.objects.for_merchant(merchant).filter(direction=Direction.OUT, msg_id=message.msg_id).update(
            status=LogStatus.DELIVERED if delivered else LogStatus.UNDELIVERED, detail=message.msg_status[:255]
        )
    return Outcome(member=member_find_by_openid(merchant=merchant, openid=message.openid))


def _on_other_event(merchant: Merchant, message: Message) -> Outcome:
    # Subscription-notice popups and events we do not act on: link the log to a known member only.
    return Outcome(member=member_find_by_openid(merchant=merchant, openid=message.openid))


def _on_text(merchant: Merchant, message: Message) -> Outcome:
    member = _touch(merchant, message, TouchKind.MESSAGE, detail={"msg_type": "text", "msg_id": message.msg_id})
    return _rule_outcome(message, rule_matching(merchant=merchant, text=message.content), member)


def _rule_outcome(message: Message, rule: AutoReplyRule | None, member: Member) -> Outcome:
    if rule is None:
        return Outcome(member=member)
    reply = render_reply(message, rule)
    summary = reply_summary(rule) if reply != SUCCESS else ""
    return Outcome(reply=reply, member=member, summary=summary)


def _on_location_message(merchant: Merchant, message: Message) -> Outcome:
    member = _touch(
        merchant,
        message,
        TouchKind.LOCATION,
        latitude=message.latitude,
        longitude=message.longitude,
        detail={"label": message.label[:200], "msg_id": message.msg_id},
    )
    if message.latitude is None or message.longitude is None:
        return Outcome(member=member)
    text = nearby_text(merchant, _nearest_stores(merchant, message.latitude, message.longitude), NEARBY_RADIUS_KM)
    return Outcome(reply=text_reply(message, text), member=member, summary=text.split("\n", 1)[0][:255])


def _nearest_stores(merchant: Merchant, latitude: float, longitude: float) -> list[tuple[Store, float, bool]]:
    """Up to three stores within the radius, nearest first: the open ones, or if none is open now,
    the nearest ones marked closed (better than saying there is nothing)."""
    nearby = stores_nearest(
        merchant=merchant, latitude=latitude, longitude=longitude, limit=None, radius_km=NEARBY_RADIUS_KM
    )
    now = clock.now()
    open_ones: list[tuple[Store, float, bool]] = []
    for store, metres in nearby[:NEARBY_CANDIDATES]:
        if store_is_open(store, now):
            open_ones.append((store, metres, True))
            if len(open_ones) == NEARBY_MAX_STORES:
                break
    if open_ones:
        return open_ones
    return [(store, metres, False) for store, metres in nearby[:NEARBY_MAX_STORES]]


def _on_other_message(merchant: Merchant, message: Message) -> Outcome:
    detail = {"msg_type": message.msg_type, "msg_id": message.msg_id}
    for name in ("media_id", "pic_url", "url", "title"):
        value = getattr(message, name)
        if value:
            detail[name] = value[:500]
    return Outcome(member=_touch(merchant, message, TouchKind.MESSAGE, detail=detail))


_EVENT_HANDLERS: dict[str, Callable[[Merchant, Message], Outcome]] = {
    "subscribe": _on_subscribe,
    "unsubscribe": _on_unsubscribe,
    "scan": _on_scan,
    "location": _on_location_event,
}
_MESSAGE_HANDLERS: dict[str, Callable[[Merchant, Message], Outcome]] = {
    "text": _on_text,
    "location": _on_location_message,
}
