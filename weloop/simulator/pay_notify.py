"""WeChat Pay notifications to the merchant's notify_url: encrypted, signed, retried, sometimes twice.

Each notification is sealed once (``seal_notification``: the resource AES-256-GCM encrypted with
the APIv3 key) and every attempt re-sends the same body with fresh signature headers, as WeChat Pay
does. Only the HTTP status counts: 200 or 204 is a success; anything else, a timeout
(``SIMULATOR_PAY_NOTIFY_TIMEOUT``, 5 s like WeChat) or no connection is retried.

Retry schedule: WeChat waits 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h
(``WECHAT_RETRY_SCHEDULE``: 15 retries over about 24 hours). The simulator compresses it to
``SIMULATOR_PAY_RETRY_SCHEDULE`` (default ``[1, 2, 5, 10, 30]`` seconds: 5 retries).

Duplicates: WeChat sometimes delivers a notification again after a success (a second network path).
With probability ``SIMULATOR_PAY_DUPLICATE_RATE`` (default 0.1) the simulator sends a second copy
(``copy_no`` 2, same ``id`` and body) right after the first success.

Deliveries run on the simulator's push pool (``weloop.simulator.pushes``), never in the request
that caused them, started after the transaction commits; a retry waits on a timer thread. Like the
OA pushes, attempts still waiting when the process stops are not resumed. Every attempt is a
``SimPayNotification`` row; ``deliver_notification_now`` runs one synchronously (tests use it).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from weloop.core import clock
from weloop.simulator.pay_enums import NotificationStatus
from weloop.simulator.pay_models import SimPayNotification, SimPayOrder, SimPayRefund
from weloop.simulator.pay_registry import PayMerchant, pay_merchant_for
from weloop.simulator.pushes import _executor as push_pool  # the simulator's one background pool
from weloop.wechat.pay_crypto import seal_notification, sign_response

logger = logging.getLogger(__name__)

WECHAT_RETRY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
DEFAULT_RETRY_SCHEDULE = (1, 2, 5, 10, 30)
SUCCESS_STATUSES = (200, 204)


def retry_schedule() -> list[float]:
    return [float(s) for s in getattr(settings, "SIMULATOR_PAY_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE)]


def duplicate_rate() -> float:
    return float(getattr(settings, "SIMULATOR_PAY_DUPLICATE_RATE", 0.1))


def notify_timeout() -> float:
    return float(getattr(settings, "SIMULATOR_PAY_NOTIFY_TIMEOUT", 5.0))


def run_in_background(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` on the simulator's pool with its own database connection."""
    push_pool().submit(_background, func, *args)


def _background(func: Callable[..., Any], *args: Any) -> None:
    close_old_connections()
    try:
        func(*args)
    except Exception:
        logger.exception("simulator pay task %s crashed", getattr(func, "__name__", func))
    finally:
        connections.close_all()


def notification_queue(
    *,
    merchant: PayMerchant,
    order: SimPayOrder,
    event_type: str,
    summary: str,
    original_type: str,
    resource: Mapping[str, Any],
    refund: SimPayRefund | None = None,
) -> SimPayNotification:
    """Seal a notification and schedule its first attempt once the current transaction commits."""
    url = refund.notify_url if refund is not None else order.notify_url
    _, body = seal_notification(
        merchant.apiv3_key,
        merchant.platform_private_key_pem,
        merchant.platform_public_key_id,
        event_type,
        "encrypt-resource",
        original_type,
        resource,
        summary,
    )
    first = SimPayNotification.objects.create(
        event_id=_event_id(body),
        mchid=merchant.mchid,
        order=order,
        refund=refund,
        event_type=event_type,
        url=url,
        body=body.decode("utf-8"),
        send_duplicate=random.random() < duplicate_rate(),
    )
    _schedule(first.pk, 0)
    return first


def _event_id(body: bytes) -> str:
    return str(json.loads(body)["id"])


def _schedule(attempt_id: int, delay: float) -> None:
    def start() -> None:
        if delay <= 0:
            run_in_background(deliver_notification_now, attempt_id)
            return
        timer = threading.Timer(delay, run_in_background, args=(deliver_notification_now, attempt_id))
        timer.daemon = True
        timer.start()

    transaction.on_commit(start)


def deliver_notification_now(attempt_id: int) -> SimPayNotification:
    """Send one attempt; schedule the next retry or the duplicate copy. A taken attempt is left alone."""
    taken = SimPayNotification.objects.filter(pk=attempt_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENDING
    )
    attempt = SimPayNotification.objects.get(pk=attempt_id)
    if not taken:
        return attempt
    merchant = pay_merchant_for(attempt.mchid)
    if merchant is None:
        return _record(attempt, NotificationStatus.FAILED, error="the merchant is no longer registered")
    body = attempt.body.encode("utf-8")
    headers = sign_response(merchant.platform_private_key_pem, merchant.platform_public_key_id, body)
    attempt.headers, attempt.sent_at = headers, clock.now()
    started = time.monotonic()
    try:
        response = _post(_target(merchant, attempt.url), headers, body)
        attempt.response_code, attempt.response_body = response.status_code, response.text[:2000]
        ok = response.status_code in SUCCESS_STATUSES
        error = "" if ok else f"HTTP {response.status_code}"
    except requests.Timeout:
        ok, error = False, f"no answer within {notify_timeout():g} s"
    except requests.RequestException as exc:
        ok, error = False, f"could not connect ({type(exc).__name__})"
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    _record(attempt, NotificationStatus.DELIVERED if ok else NotificationStatus.FAILED, error=error)
    if ok:
        _maybe_duplicate(attempt)
    else:
        _maybe_retry(attempt)
    return attempt


def _record(attempt: SimPayNotification, status: str, *, error: str = "") -> SimPayNotification:
    attempt.status, attempt.error = status, error[:300]
    attempt.save()
    return attempt


def _target(merchant: PayMerchant, url: str) -> str:
    if not merchant.notify_base:
        return url
    parts = urlsplit(url)
    return merchant.notify_base + parts.path


def _post(url: str, headers: Mapping[str, str], body: bytes) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment must not sit between WeChat and us
        all_headers = {**headers, "Content-Type": "application/json", "User-Agent": "Mozilla/4.0"}
        return session.post(url, data=body, headers=all_headers, timeout=notify_timeout())


def _follow_up(
    attempt: SimPayNotification, *, copy_no: int, attempt_no: int, delay: float, send_duplicate: bool = False
) -> None:
    follow = SimPayNotification.objects.create(
        event_id=attempt.event_id,
        mchid=attempt.mchid,
        order_id=attempt.order_id,
        refund_id=attempt.refund_id,
        event_type=attempt.event_type,
        url=attempt.url,
        body=attempt.body,
        copy_no=copy_no,
        attempt_no=attempt_no,
        send_duplicate=send_duplicate,
        due_at=clock.now() + timedelta(seconds=delay),
    )
    _schedule(follow.pk, delay)


def _maybe_retry(attempt: SimPayNotification) -> None:
    schedule = retry_schedule()
    if attempt.copy_no == 1 and attempt.attempt_no <= len(schedule):
        # The duplicate wish travels with the retries: it applies after the first success.
        delay = schedule[attempt.attempt_no - 1]
        _follow_up(
            attempt,
            copy_no=1,
            attempt_no=attempt.attempt_no + 1,
            delay=delay,
            send_duplicate=attempt.send_duplicate,
        )


def _maybe_duplicate(attempt: SimPayNotification) -> None:
    if attempt.copy_no == 1 and attempt.send_duplicate:
        _follow_up(attempt, copy_no=2, attempt_no=1, delay=0)
