"""Handling what WeChat pushes to the callback: exactly once per message, fast, and with a reply.

In the request (``inbound_handle``) only what the answer needs, in one write:

1. the passive reply, from the auto-reply rules and greeting each process keeps (``config.py``) or,
   for a location, the nearest stores; the openid is checked first, so that an unusable message is
   refused (400) with nothing recorded;
2. one ``INSERT … ON CONFLICT DO NOTHING`` of the message's ``MessageLog`` row, with the raw message
   and the reply, committed on its own: the unique (merchant, dedup_key) makes exactly one delivery
   the owner, in any process. A duplicate (a retry, possibly arriving while the first delivery is
   still running) gets the stored reply, or ``success``, and does nothing else;
3. the owner nudges the queue (at most every ``NUDGE_INTERVAL`` per process).

On the queue (``inbound_process``) the effects, in one transaction that first claims the row by a
compare-and-set of its status (received or failed → handled): the member's follow, unfollow, scan or
touch, the log row's member and ``messaging.message_received``. If they fail, the transaction rolls
back, the row is marked failed with the error and the sweep tries it again, ``MAX_ATTEMPTS`` times.
If the reply itself cannot be computed, the row is recorded failed and the error raised (the callback
answers 500): WeChat retries, and the retry takes the row over.

Nothing in here calls out over HTTP: WeChat waits at most 5 s for the reply.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import xmltodict
from django.db import connection, transaction
from django.db.models import F, Field, Q

from weloop.core import clock
from weloop.core.events import publish, publish_many
from weloop.members.enums import MemberSource, TouchKind
from weloop.members.models import Member
from weloop.members.selectors import member_find_by_openid
from weloop.members.services import (
    TouchInput,
    member_follow,
    member_openid_check,
    member_record_scan,
    member_touch,
    member_touch_many,
    member_unfollow,
)
from weloop.messaging.config import CallbackConfig, config_of
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import MessageLog
from weloop.messaging.notifications import notification_job_report
from weloop.messaging.replies import nearby_text, provided_nearest_stores, render_reply, reply_summary
from weloop.messaging.selectors import rule_for_click, rule_matching
from weloop.stores.models import Store
from weloop.stores.selectors import store_is_open, stores_nearest
from weloop.tenants.models import Merchant
from weloop.wechat.messages import SUCCESS, Message, parse_message, text_reply

logger = logging.getLogger(__name__)

NEARBY_RADIUS_KM = 50
NEARBY_MAX_STORES = 3
# Opening hours cost a query per store: look at this many nearest stores at most for open ones.
NEARBY_CANDIDATES = 20
# The queue: how often a failed row is tried, how long after a failure, and how often a process
# may nudge the worker (rows inserted between two nudges are taken by the running drain, its
# follow-up a second later, or the sweep every minute).
MAX_ATTEMPTS = 8
RETRY_AFTER = timedelta(seconds=60)
NUDGE_INTERVAL = 0.05
BATCH = 200
_MENU_CLICK_EVENTS = frozenset(
    {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin"}
)
_MENU_VIEW_EVENTS = frozenset({"view", "view_miniprogram"})
_JOB_REPORTS = frozenset({"templatesendjobfinish", "masssendjobfinish"})
# Events that do not make the sender a member (no openid check, no member created).
_NO_MEMBER_EVENTS = _JOB_REPORTS


@dataclass
class Reply:
    xml: str = SUCCESS
    summary: str = ""  # what was answered, for the log


# --- in the request -----------------------------------------------------------------------------


def inbound_handle(
    *, merchant: Merchant, message: Message, xml: str | None = None, config: CallbackConfig | None = None
) -> str:
    """Answer one parsed inbound message or event: the passive-reply XML or ``SUCCESS``.

    Records it once (see the module docstring) and leaves the effects to the queue; with the queue
    in immediate mode (tests) they are done before this returns. ``xml`` is the message as received
    (rebuilt from ``message`` when not given), ``config`` the merchant's callback config (looked up
    when not given). Raises ``InvalidMemberProfile`` (400) for an unusable openid, before recording
    anything. Must not run inside a transaction: the row has to be visible to other processes
    before the answer goes out.
    """
    key = f"{message.account}:{message.dedup_key}"[:128]
    raw = xml if xml is not None else xmltodict.unparse({"xml": message.raw}, full_document=False)
    if message.event not in _NO_MEMBER_EVENTS:
        member_openid_check(message.openid)
    try:
        reply = _reply_to(merchant, config or config_of(merchant), message)
    except Exception as error:
        _insert(merchant, message, key, raw, Reply(), status=LogStatus.FAILED, detail=_error_text(error))
        raise
    log_id = _insert(merchant, message, key, raw, reply, status=LogStatus.RECEIVED)
    if log_id is None:
        log_id, answer = _take_over_or_stored_reply(merchant, key, raw, reply)
        if log_id is None:
            return answer
    _schedule(log_id)
    return reply.xml


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:255]


def _insert(
    merchant: Merchant, message: Message, key: str, raw: str, reply: Reply, *, status: str, detail: str = ""
) -> int | None:
    """One INSERT … ON CONFLICT DO NOTHING of the inbound row; its id, or None for a duplicate."""
    now = clock.now()
    row = MessageLog(
        merchant=merchant,
        direction=Direction.IN,
        openid=message.openid[:64],
        msg_type=message.msg_type[:32],
        event=message.event[:64],
        summary=_summary(message),
        dedup_key=key,
        msg_id=message.msg_id[:64],
        reply_xml="" if reply.xml == SUCCESS else reply.xml,
        reply_summary=reply.summary[:255],
        raw_xml=raw,
        status=status,
        detail=detail,
        created_at=now,
        handled_at=now if status == LogStatus.FAILED else None,
    )
    fields, sql = _insert_statement(connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        found = cursor.fetchone()
    return int(found[0]) if found else None


_statements: dict[str, tuple[list[Field[Any, Any]], str]] = {}


def _insert_statement(vendor: str) -> tuple[list[Field[Any, Any]], str]:
    """The fields and SQL of the dedup insert, built once per database vendor."""
    if vendor not in _statements:
        fields = [f for f in MessageLog._meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields if f.column)
        _statements[vendor] = (
            fields,
            (
                f"INSERT INTO {quote(MessageLog._meta.db_table)} ({columns}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) "
                f"ON CONFLICT ({quote('merchant_id')}, {quote('dedup_key')}) WHERE {quote('direction')} = 'in' "
                f"DO NOTHING RETURNING {quote('id')}"
            ),
        )
    return _statements[vendor]


def _take_over_or_stored_reply(merchant: Merchant, key: str, raw: str, reply: Reply) -> tuple[int | None, str]:
    """For a duplicate: (row id, reply) when the earlier delivery failed and this one takes it over
    (compare-and-set), else (None, the stored reply or SUCCESS)."""
    rows = MessageLog.objects.for_merchant(merchant).filter(direction=Direction.IN, dedup_key=key)
    taken = rows.filter(status=LogStatus.FAILED, attempts__lt=MAX_ATTEMPTS).update(
        status=LogStatus.RECEIVED,
        detail="",
        handled_at=None,
        raw_xml=raw,
        reply_xml="" if reply.xml == SUCCESS else reply.xml,
        reply_summary=reply.summary[:255],
    )
    found = rows.values_list("id", "reply_xml").first()
    if found is None:  # cannot happen: the insert conflicted with this row
        return None, SUCCESS
    if taken:
        return found[0], reply.xml
    return None, found[1] or SUCCESS


def _reply_to(merchant: Merchant, config: CallbackConfig | None, message: Message) -> Reply:
    rules = config.rules if config is not None else None
    if message.is_event:
        if message.event == "subscribe":
            greeting = config.greeting if config is not None else None
            if greeting is None or not greeting.is_active:
                return Reply()
            xml = render_reply(message, greeting)
            return Reply(xml, reply_summary(greeting) if xml != SUCCESS else "")
        if message.event == "click":
            return _rule_reply(message, rule_for_click(merchant=merchant, key=message.event_key, rules=rules))
        return Reply()
    if message.msg_type == "text":
        return _rule_reply(message, rule_matching(merchant=merchant, text=message.content, rules=rules))
    if message.msg_type == "location" and message.latitude is not None and message.longitude is not None:
        text = nearby_text(merchant, _nearest_stores(merchant, message.latitude, message.longitude), NEARBY_RADIUS_KM)
        return Reply(text_reply(message, text), text.split("\n", 1)[0][:255])
    return Reply()


def _rule_reply(message: Message, rule: object) -> Reply:
    if rule is None:
        return Reply()
    xml = render_reply(message, rule)  # type: ignore[arg-type]
    return Reply(xml, reply_summary(rule) if xml != SUCCESS else "")  # type: ignore[arg-type]


def _nearest_stores(merchant: Merchant, latitude: float, longitude: float) -> list[tuple[Store, float, bool]]:
    """Up to three stores within the radius, nearest first: the open ones, or if none is open now,
    the nearest ones marked closed (better than saying there is nothing)."""
    found = provided_nearest_stores(  # the discovery index (WELOOP_NEARBY_PROVIDER); else brute force
        merchant,
        latitude,
        longitude,
        radius_m=NEARBY_RADIUS_KM * 1000,
        limit=NEARBY_MAX_STORES,
        candidates=NEARBY_CANDIDATES,
    )
    if found is not None:
        return found
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


_nudge_lock = threading.Lock()
_last_nudge = [0.0]


def _schedule(log_id: int) -> None:
    """Have the queue handle the row: at once in immediate mode, else by a (rate-limited) nudge."""
    from huey.contrib.djhuey import HUEY

    from weloop.messaging.inbound_tasks import inbound_drain

    if HUEY.immediate:
        inbound_drain(log_id)
        return
    now = time.monotonic()
    with _nudge_lock:
        if now - _last_nudge[0] < NUDGE_INTERVAL:
            return
        _last_nudge[0] = now
    try:
        inbound_drain()
    except Exception:  # the row is durable: the sweep handles it within a minute
        logger.exception("could not enqueue inbound handling; the sweep will pick it up")


# --- on the queue -------------------------------------------------------------------------------


def inbound_process(*, log_id: int) -> bool:
    """Do the effects of one recorded inbound message, exactly once; True when this call did them.

    Claims the row (received or failed → handled) in the transaction that does the effects, so of
    two workers exactly one does them, and a failure leaves the row failed, to be tried again.
    """
    now = clock.now()
    try:
        with transaction.atomic():
            claimed = (
                MessageLog.objects.filter(pk=log_id, direction=Direction.IN)
                .filter(_claimable())
                .update(status=LogStatus.HANDLED, handled_at=now, attempts=F("attempts") + 1, detail="")
            )
            if not claimed:
                return False
            log = MessageLog.objects.select_related("merchant").get(pk=log_id)
            message = parse_message(log.raw_xml)
            member = _dispatch(log.merchant, message)
            if member is not None:
                MessageLog.objects.filter(pk=log_id).update(member=member)
                log.member = member
            publish(merchant=log.merchant, name="messaging.message_received", payload=_event_payload(log, message))
    except Exception as error:
        logger.exception("inbound message %s could not be handled", log_id)
        MessageLog.objects.filter(pk=log_id, status__in=(LogStatus.RECEIVED, LogStatus.FAILED)).update(
            status=LogStatus.FAILED, detail=_error_text(error), handled_at=clock.now(), attempts=F("attempts") + 1
        )
        return False
    return True


def _claimable() -> Q:
    return Q(status=LogStatus.RECEIVED) | Q(status=LogStatus.FAILED, attempts__lt=MAX_ATTEMPTS)


def inbound_process_many(*, log_ids: Sequence[int]) -> int:
    """Do the effects of many recorded inbound messages in one transaction; how many it did.

    The same effects as ``inbound_process`` for each row, in id order, but a run of messages whose
    only effect is a touch (texts, locations, menu taps: nearly all the traffic) costs one member
    lookup and one bulk insert of touches, and each merchant's ``messaging.message_received``
    events one bulk insert. Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and then
    updated as handled (on SQLite the transaction holds the write lock), so two workers never both
    take a row. If anything fails the whole batch rolls back and each row is handled on its own
    with ``inbound_process``, which marks just the failing ones failed.
    """
    if not log_ids:
        return 0
    try:
        with transaction.atomic():
            logs = list(
                MessageLog.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=list(log_ids), direction=Direction.IN)
                .filter(_claimable())
                .select_related("merchant")
                .order_by("id")
            )
            if not logs:
                return 0
            MessageLog.objects.filter(pk__in=[log.pk for log in logs]).update(
                status=LogStatus.HANDLED, handled_at=clock.now(), attempts=F("attempts") + 1, detail=""
            )
            by_merchant: dict[int, list[MessageLog]] = {}
            for log in logs:
                by_merchant.setdefault(log.merchant_id, []).append(log)
            for merchant_logs in by_merchant.values():
                _effects_of_batch(merchant_logs[0].merchant, merchant_logs)
    except Exception:
        logger.warning("a batch of %s inbound messages failed; handling them one by one", len(log_ids), exc_info=True)
        return sum(inbound_process(log_id=log_id) for log_id in log_ids)
    return len(logs)


def _effects_of_batch(merchant: Merchant, logs: list[MessageLog]) -> None:
    """The effects of one merchant's claimed rows, in order; then their events, in one insert."""
    messages = [parse_message(log.raw_xml) for log in logs]
    run: list[tuple[MessageLog, TouchInput]] = []  # consecutive touch-only messages, written together

    def flush() -> None:
        if run:
            members = member_touch_many(
                merchant=merchant,
                touches=[touch for _log, touch in run],
                source=MemberSource.MESSAGE,
                is_following=True,  # WeChat pushes messages, locations and menu events only for followers
            )
            for (log, _touch), member in zip(run, members, strict=True):
                log.member = member
            run.clear()

    for log, message in zip(logs, messages, strict=True):
        touch = _touch_input(message)
        if touch is not None:
            run.append((log, touch))
            continue
        flush()  # the members this message may create or change come after the earlier ones
        log.member = _dispatch(merchant, message)
    flush()
    linked = [log for log in logs if log.member is not None]
    if linked:
        MessageLog.objects.bulk_update(linked, ["member"])
    publish_many(
        merchant=merchant,
        name="messaging.message_received",
        payloads=[_event_payload(log, message) for log, message in zip(logs, messages, strict=True)],
    )


def inbound_pending_ids(*, limit: int = BATCH) -> list[int]:
    """Rows waiting for the queue, oldest first: received ones, and failed ones due for a retry."""
    due = Q(status=LogStatus.RECEIVED) | Q(
        status=LogStatus.FAILED, attempts__lt=MAX_ATTEMPTS, handled_at__lte=clock.now() - RETRY_AFTER
    )
    return list(
        MessageLog.objects.filter(direction=Direction.IN, status__in=(LogStatus.RECEIVED, LogStatus.FAILED))
        .filter(due)
        .exclude(raw_xml="")
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def inbound_process_pending(*, limit: int = BATCH) -> int:
    """Handle every row waiting for the queue; return how many this call handled."""
    done = 0
    while True:
        ids = inbound_pending_ids(limit=limit)
        handled = inbound_process_many(log_ids=ids)
        done += handled
        if not ids or not handled:
            return done


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


def _dispatch(merchant: Merchant, message: Message) -> Member | None:
    """The effects of one message on the merchant's members; the member it concerns, if any."""
    touch = _touch_input(message)
    if touch is not None:
        return _touch(merchant, touch)
    if message.is_event:
        handler = _EVENT_HANDLERS.get(message.event)
        if handler is None:
            handler = _on_job_report if message.event in _JOB_REPORTS else _on_other_event
        return handler(merchant, message)
    return None  # every message (not event) is a touch


def _touch_input(message: Message) -> TouchInput | None:
    """The touch of a message whose only effect is one (messages, locations, menu taps); else None."""
    at = _sent_at(message)
    if message.is_event:
        if message.event == "location":
            return TouchInput(
                message.openid,
                TouchKind.LOCATION,
                at,
                latitude=message.latitude,
                longitude=message.longitude,
                detail={"reported": True, "precision": message.precision},
            )
        if message.event in _EVENT_HANDLERS:
            return None
        if message.event in _MENU_CLICK_EVENTS:
            detail = {"key": message.event_key[:128], "event": message.event}
            if message.scan_result:
                detail["scan_result"] = message.scan_result[:500]
            return TouchInput(message.openid, TouchKind.MENU_CLICK, at, detail=detail)
        if message.event in _MENU_VIEW_EVENTS:
            return TouchInput(message.openid, TouchKind.MENU_VIEW, at, detail={"url": message.event_key[:1024]})
        return None
    if message.msg_type == "text":
        return TouchInput(message.openid, TouchKind.MESSAGE, at, detail={"msg_type": "text", "msg_id": message.msg_id})
    if message.msg_type == "location":
        return TouchInput(
            message.openid,
            TouchKind.LOCATION,
            at,
            latitude=message.latitude,
            longitude=message.longitude,
            detail={"label": message.label[:200], "msg_id": message.msg_id},
        )
    detail = {"msg_type": message.msg_type, "msg_id": message.msg_id}
    for name in ("media_id", "pic_url", "url", "title"):
        value = getattr(message, name)
        if value:
            detail[name] = value[:500]
    return TouchInput(message.openid, TouchKind.MESSAGE, at, detail=detail)


def _on_subscribe(merchant: Merchant, message: Message) -> Member:
    return member_follow(merchant=merchant, openid=message.openid, scene=message.scene or None, at=_sent_at(message))


def _on_unsubscribe(merchant: Merchant, message: Message) -> Member:
    return member_unfollow(merchant=merchant, openid=message.openid, at=_sent_at(message))


def _on_scan(merchant: Merchant, message: Message) -> Member:
    return member_record_scan(merchant=merchant, openid=message.openid, scene=message.scene, at=_sent_at(message))


def _touch(merchant: Merchant, touch: TouchInput) -> Member:
    result = member_touch(
        merchant=merchant,
        openid=touch.openid,
        kind=touch.kind,
        at=touch.at,
        source=MemberSource.MESSAGE,
        is_following=True,  # WeChat pushes messages, locations and menu events only for followers
        latitude=touch.latitude,
        longitude=touch.longitude,
        detail=touch.detail,
    )
    return result.member


def _on_job_report(merchant: Merchant, message: Message) -> Member | None:
    """TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH: how a message we sent went, by WeChat's msgid."""
    if message.msg_id:
        delivered = message.msg_status.strip().lower() in ("success", "send success")
        MessageLog.objects.for_merchant(merchant).filter(direction=Direction.OUT, msg_id=message.msg_id).update(
            status=LogStatus.DELIVERED if delivered else LogStatus.UNDELIVERED, detail=message.msg_status[:255]
        )
        if message.event == "templatesendjobfinish":
            notification_job_report(merchant=merchant, msg_id=message.msg_id, status=message.msg_status)
    return member_find_by_openid(merchant=merchant, openid=message.openid)


def _on_other_event(merchant: Merchant, message: Message) -> Member | None:
    # Subscription-notice popups and events we do not act on: link the log to a known member only.
    return member_find_by_openid(merchant=merchant, openid=message.openid)


_EVENT_HANDLERS: dict[str, Callable[[Merchant, Message], Member | None]] = {
    "subscribe": _on_subscribe,
    "unsubscribe": _on_unsubscribe,
    "scan": _on_scan,
}
