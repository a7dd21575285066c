"""Pushing messages and events to the merchant's callback, as WeChat does (WECHAT.md §1.5 and §6.2).

Each push is a POST of XML signed with the account's Token (and sealed in compatible or safe mode),
with a 5 s timeout. A timeout, a connection error, a non-200 status or an invalid reply is retried
3 times with the same MsgId/CreateTime. ``success`` or an empty body means "nothing to say"; a valid
XML reply is a passive reply and lands in the user's chat; when every attempt failed the phone shows
"该公众号暂时无法提供服务，请稍后再试".

Why a thread pool owned by the simulator and not Huey: the simulator and the platform usually share
one server, so a push must never run inside the request that caused it (with one worker, the request
would wait on a callback that can only be served after it returns). Huey would avoid that too, but
the phone expects WeChat's immediacy: the reply to a message should show within a second, not after
the next consumer poll, and the simulator must work when no Huey consumer runs at all. So the pushes
run on a small pool started after the triggering transaction commits; the phone polls for results.
Deliveries still queued when the process stops are not resumed (a simulator may lose them).

``deliver_push_now`` runs one delivery synchronously (tests use it directly).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.simulator import identifiers
from weloop.simulator.accounts import SimAccount, account_for_appid
from weloop.simulator.enums import DeliveryKind, DeliveryStatus, OutboundKind, PushResult
from weloop.simulator.models import SimDelivery, SimOutboundMessage, SimPush, SimUser
from weloop.simulator.push_protocol import InvalidReply, open_reply, seal_push, url_signature
from weloop.simulator.replies import passive_reply_body
from weloop.wechat.safexml import cdata, parse_xml

logger = logging.getLogger(__name__)

UNAVAILABLE_NOTICE = "该公众号暂时无法提供服务，请稍后再试"
Field = tuple[str, Any]

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def push_timeout() -> float:
    return float(getattr(settings, "SIMULATOR_PUSH_TIMEOUT", 5.0))


def push_retries() -> int:
    return int(getattr(settings, "SIMULATOR_PUSH_RETRIES", 3))


# --- building deliveries ---------------------------------------------------------------------------


def render_xml(fields: Sequence[Field]) -> str:
    """``<xml>`` with numbers bare, strings in CDATA and nested sequences as child elements."""
    return f"<xml>{_elements(fields)}</xml>"


def _elements(fields: Sequence[Field]) -> str:
    parts = []
    for name, value in fields:
        if isinstance(value, (list, tuple)):
            inner = _elements(value)
        elif isinstance(value, bool):
            inner = cdata(str(value).lower())
        elif isinstance(value, int):
            inner = str(value)
        elif isinstance(value, float):
            inner = f"{value:.6f}"
        else:
            inner = cdata(str(value))
        parts.append(f"<{name}>{inner}</{name}>")
    return "".join(parts)


def delivery_create(
    *,
    account: SimAccount,
    openid: str,
    kind: str,
    msg_type: str,
    fields: Sequence[Field] = (),
    event: str = "",
    user: SimUser | None = None,
    summary: str = "",
) -> SimDelivery:
    """Record a message or event for the account's callback and schedule its push after commit.

    Ordinary messages get a MsgId; events do not (the platform dedups them on FromUserName+CreateTime).
    """
    create_time = int(clock.now().timestamp())
    msg_id = identifiers.new_msgid() if msg_type != "event" else None
    header: list[Field] = [
        ("ToUserName", account.original_id),
        ("FromUserName", openid),
        ("CreateTime", create_time),
        ("MsgType", msg_type),
    ]
    if event:
        header.append(("Event", event))
    tail: list[Field] = [("MsgId", msg_id)] if msg_id is not None else []
    delivery = SimDelivery.objects.create(
        appid=account.appid,
        openid=openid,
        user=user,
        kind=kind,
        msg_type=msg_type,
        event=event,
        summary=summary[:500],
        xml=render_xml([*header, *fields, *tail]),
        msg_id=msg_id,
        create_time=create_time,
    )
    schedule_delivery(delivery.pk)
    return delivery


def url_check_create(*, account: SimAccount) -> SimDelivery:
    """The "submit server config" check: a signed GET with ``echostr`` that must come back unchanged."""
    delivery = SimDelivery.objects.create(
        appid=account.appid,
        openid="",
        kind=DeliveryKind.URL_CHECK,
        msg_type="",
        summary="URL verification",
        xml=identifiers.new_nonce() + identifiers.new_nonce(),  # the echostr
        create_time=int(clock.now().timestamp()),
    )
    schedule_delivery(delivery.pk)
    return delivery


# --- running them ----------------------------------------------------------------------------------


def schedule_delivery(delivery_id: int) -> None:
    """Deliver on the simulator's pool once the current transaction commits (never in the request)."""
    transaction.on_commit(lambda: _enqueue(delivery_id))


# Committed deliveries wait here for the pool. Each pool task takes up to PUSH_BATCH of them at a
# time, so that under load a batch is claimed and recorded with a few statements instead of a few
# per push; each delivery is still pushed as its own request, as WeChat does.
PUSH_BATCH = 100
_waiting: deque[int] = deque()
_draining = 0


def _enqueue(delivery_id: int) -> None:
    global _draining
    workers = int(getattr(settings, "SIMULATOR_PUSH_WORKERS", 4))
    with _pool_lock:
        _waiting.append(delivery_id)
        start = _draining < workers
        if start:
            _draining += 1
    if start:
        _executor().submit(_drain_in_background)


def pushes_idle() -> bool:
    """True when no push is waiting or being delivered (tests wait for this before tearing down)."""
    with _pool_lock:
        return not _waiting and _draining == 0


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = int(getattr(settings, "SIMULATOR_PUSH_WORKERS", 4))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="simulator-push")
        return _pool


def _drain_in_background() -> None:
    global _draining
    close_old_connections()
    try:
        while True:
            with _pool_lock:
                if not _waiting:
                    _draining -= 1
                    return
                batch = [_waiting.popleft() for _ in range(min(PUSH_BATCH, len(_waiting)))]
            try:
                deliver_pushes_now(batch)
            except Exception:
                logger.exception("simulator pushes %s crashed", batch[:10])
    finally:
        connections.close_all()


def deliver_push_now(delivery_id: int) -> SimDelivery:
    """Push one delivery with its retries, synchronously; a delivery already taken is left alone."""
    deliver_pushes_now([delivery_id])
    return SimDelivery.objects.get(pk=delivery_id)


def deliver_pushes_now(delivery_ids: Sequence[int]) -> list[SimDelivery]:
    """Push these deliveries one after the other, each with its retries; the ones already taken are skipped.

    The batch is claimed with one locked read and one UPDATE, and its attempts and outcomes are
    written in bulk at the end (a crash in between leaves them ``delivering``, like a crash mid-push).
    """
    with transaction.atomic():
        taken = list(
            SimDelivery.objects.select_for_update(skip_locked=True).filter(
                pk__in=list(delivery_ids), status=DeliveryStatus.QUEUED
            )
        )
        if not taken:
            return []
        SimDelivery.objects.filter(pk__in=[d.pk for d in taken]).update(status=DeliveryStatus.DELIVERING)
    taken.sort(key=lambda d: d.pk)
    attempts_made: list[SimPush] = []
    replies: list[SimOutboundMessage] = []
    for delivery in taken:
        account = account_for_appid(delivery.appid)
        if account is None:
            _finish(delivery, DeliveryStatus.FAILED, "the account is no longer simulated")
            continue
        attempts = 1 if delivery.kind == DeliveryKind.URL_CHECK else 1 + push_retries()
        last: SimPush | None = None
        for attempt_no in range(1, attempts + 1):
            last, reply = _attempt(account, delivery, attempt_no)
            attempts_made.append(last)
            if reply is not None:
                replies.append(reply)
            if last.result in (PushResult.ACCEPTED, PushResult.REPLIED):
                status = DeliveryStatus.REPLIED if last.result == PushResult.REPLIED else DeliveryStatus.ACCEPTED
                _finish(delivery, status, "")
                break
        else:
            reason = f"{last.get_result_display()}: {last.error}" if last else "no attempt"
            _finish(delivery, DeliveryStatus.FAILED, reason)
    with transaction.atomic():
        SimPush.objects.bulk_create(attempts_made, batch_size=500)
        SimOutboundMessage.objects.bulk_create(replies, batch_size=500)
        outcomes: dict[tuple[str, str], list[int]] = {}
        for delivery in taken:
            outcomes.setdefault((delivery.status, delivery.failure_reason), []).append(delivery.pk)
        finished_at = clock.now()
        for (settled, reason), ids in outcomes.items():
            SimDelivery.objects.filter(pk__in=ids).update(
                status=settled, failure_reason=reason, finished_at=finished_at
            )
        for delivery in taken:
            delivery.finished_at = finished_at
    return taken


def _finish(delivery: SimDelivery, status: str, reason: str) -> None:
    delivery.status = status
    delivery.failure_reason = reason[:300]


def _attempt(account: SimAccount, delivery: SimDelivery, attempt_no: int) -> tuple[SimPush, SimOutboundMessage | None]:
    timestamp, nonce = str(int(clock.now().timestamp())), identifiers.new_nonce()
    started_at, started = clock.now(), time.monotonic()
    if delivery.kind == DeliveryKind.URL_CHECK:
        query = {"signature": url_signature(account, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        query["echostr"], body = delivery.xml, b""
    else:
        query, body = seal_push(account, delivery.xml, timestamp, nonce)
    push = SimPush(
        delivery=delivery, attempt_no=attempt_no, url=account.callback_url, query=query, started_at=started_at
    )
    push.body = body.decode("utf-8")
    reply: dict | None = None
    try:
        response = _send(account.callback_url, query, body, get=delivery.kind == DeliveryKind.URL_CHECK)
        text = response.content.decode("utf-8", errors="replace")
        push.status_code, push.response_body = response.status_code, text[:10000]
        push.result, push.error, reply = _judge(account, delivery, response.status_code, text)
    except requests.Timeout:
        push.result, push.error = PushResult.TIMEOUT, f"no answer within {push_timeout():g} s"
    except requests.RequestException as error:
        push.result, push.error = PushResult.CONNECTION_ERROR, str(error)[:300]
    push.duration_ms = int((time.monotonic() - started) * 1000)
    if reply is not None and delivery.user_id is not None:
        return push, SimOutboundMessage(
            appid=delivery.appid,
            user_id=delivery.user_id,
            kind=OutboundKind.PASSIVE_REPLY,
            msgtype=reply["msgtype"],
            body=reply,
            delivery=delivery,
        )
    return push, None


_sessions = threading.local()


def _session() -> requests.Session:
    """This thread's session: pushes to the callback reuse keep-alive connections."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
        session.trust_env = False  # a proxy from the environment must not sit between WeChat and us
    return session


def _send(url: str, query: dict[str, str], body: bytes, *, get: bool) -> requests.Response:
    session = _session()
    if get:
        return session.get(url, params=query, timeout=push_timeout())
    headers = {"Content-Type": "text/xml", "User-Agent": "Mozilla/4.0"}
    return session.post(url, params=query, data=body, headers=headers, timeout=push_timeout())


def _judge(account: SimAccount, delivery: SimDelivery, status_code: int, text: str) -> tuple[str, str, dict | None]:
    """What WeChat makes of an answer: (result, error, passive reply to show or None)."""
    if status_code != 200:
        return PushResult.HTTP_ERROR, f"HTTP {status_code}", None
    if delivery.kind == DeliveryKind.URL_CHECK:
        if text == delivery.xml:
            return PushResult.ACCEPTED, "", None
        return PushResult.INVALID_REPLY, "the body is not the echostr unchanged", None
    if text.strip() in ("", "success"):
        return PushResult.ACCEPTED, "", None
    if not _reply_reaches_user(delivery):
        return PushResult.ACCEPTED, "", None  # job reports and unsubscribes: WeChat drops any reply
    try:
        reply = passive_reply_body(
            parse_xml(open_reply(account, text)),
            openid=delivery.openid,
            original_id=account.original_id,
            max_articles=1 if delivery.kind == DeliveryKind.USER_MESSAGE else 8,
        )
    except InvalidReply as error:
        return PushResult.INVALID_REPLY, str(error)[:300], None
    except WeloopError as error:  # MalformedXml
        return PushResult.INVALID_REPLY, error.detail[:300], None
    return PushResult.REPLIED, "", reply


def _reply_reaches_user(delivery: SimDelivery) -> bool:
    return delivery.kind in (DeliveryKind.USER_MESSAGE, DeliveryKind.USER_EVENT) and delivery.event != "unsubscribe"
