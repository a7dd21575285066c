"""The transactional outbox: publish inside the caller's transaction, deliver at least once.

    publish(merchant=m, name="stores.store_created", payload={"store_id": s.public_id})

``publish`` writes one OutboxEvent and one OutboxDelivery per subscribed handler in the caller's
transaction, so an event exists if and only if the change it reports was committed. After commit
the worker is nudged; a periodic sweep also picks up anything due, so a lost nudge only delays.

Handlers are idempotent (delivery is at least once) and are registered with ``@subscribe``
in an app's ``handlers.py``. A failing handler is retried with exponential backoff; after
``MAX_ATTEMPTS`` its delivery becomes a dead letter, visible in the console and re-queueable.
"""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.module_loading import import_string

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.models import DeliveryStatus, OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(hours=1)
# A claimed delivery is invisible to other workers for this long; a worker killed mid-handler
# therefore only delays the retry, it never loses the delivery.
CLAIM_LEASE = timedelta(minutes=5)

_subscribers: dict[str, list[str]] = defaultdict(list)


def subscribe(event_name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of ``event_name``."""

    def register(func: Handler) -> Handler:
        path = f"{func.__module__}.{func.__qualname__}"
        if path not in _subscribers[event_name]:
            _subscribers[event_name].append(path)
        return func

    return register


def subscribers_of(event_name: str) -> list[str]:
    return list(_subscribers.get(event_name, ()))


def publish(*, merchant: Any, name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Store ``name`` with ``payload`` for ``merchant`` in the current transaction."""
    event = OutboxEvent.objects.create(merchant=merchant, name=name, payload=payload, created_at=clock.now())
    OutboxDelivery.objects.bulk_create(
        [
            OutboxDelivery(merchant=merchant, event=event, handler=path, next_attempt_at=event.created_at)
            for path in subscribers_of(name)
        ]
    )
    if _subscribers.get(name):
        transaction.on_commit(_nudge_worker)
    return event


def publish_many(*, merchant: Any, name: str, payloads: list[dict[str, Any]]) -> list[OutboxEvent]:
    """``publish`` for many events of one name at once: two bulk inserts instead of two per event.

    Used by the queue when it handles a batch (e.g. one ``messaging.message_received`` per inbound
    message); the events are the same as ``publish`` would write, in the order given.
    """
    if not payloads:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:  # deliveries need the events' ids
        return [publish(merchant=merchant, name=name, payload=payload) for payload in payloads]
    now = clock.now()
    events = OutboxEvent.objects.bulk_create(
        [OutboxEvent(merchant=merchant, name=name, payload=payload, created_at=now) for payload in payloads]
    )
    handlers = subscribers_of(name)
    if handlers:
        OutboxDelivery.objects.bulk_create(
            [
                OutboxDelivery(merchant=merchant, event=event, handler=path, next_attempt_at=now)
                for event in events
                for path in handlers
            ]
        )
        transaction.on_commit(_nudge_worker)
    return events


def _nudge_worker() -> None:
    from weloop.core.tasks import outbox_deliver

    try:
        outbox_deliver()
    except Exception:  # the periodic sweep will deliver; never fail the caller's request
        logger.exception("could not enqueue outbox delivery; the periodic sweep will pick it up")


def backoff_for(attempts: int) -> timedelta:
    # Bound the exponent: the cap is reached long before it, and 2**n past ~30 overflows timedelta.
    return min(BASE_BACKOFF * (2 ** min(max(attempts - 1, 0), 30)), MAX_BACKOFF)


def deliver_due(*, limit: int = 200) -> int:
    """Run every due delivery once; return how many were attempted."""
    now = clock.now()
    due = list(
        OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", "next_attempt_at")[:limit]
    )
    attempted = 0
    for delivery_id, seen_next in due:
        # Claim by compare-and-set on next_attempt_at: of two workers, exactly one wins.
        claimed = OutboxDelivery.objects.filter(
            id=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at=seen_next
        ).update(next_attempt_at=now + CLAIM_LEASE)
        if claimed:
            _attempt(OutboxDelivery.objects.select_related("event__merchant").get(id=delivery_id))
            attempted += 1
    return attempted


def _attempt(delivery: OutboxDelivery) -> None:
    attempts = delivery.attempts + 1
    try:
        handler: Handler = import_string(delivery.handler)
        with transaction.atomic():
            handler(delivery.event)
            OutboxDelivery.objects.filter(id=delivery.id).update(
                status=DeliveryStatus.DELIVERED, attempts=attempts, delivered_at=clock.now(), last_error=""
            )
    except Exception:
        error = traceback.format_exc(limit=5)[-4000:]
        dead = attempts >= MAX_ATTEMPTS
        logger.warning(
            "outbox handler %s failed (attempt %s)%s", delivery.handler, attempts, "; dead-lettered" if dead else ""
        )
        OutboxDelivery.objects.filter(id=delivery.id).update(
            status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
            attempts=attempts,
            last_error=error,
            next_attempt_at=clock.now() + backoff_for(attempts),
        )


def delivery_requeue(*, merchant: Any, delivery_id: int) -> OutboxDelivery:
    """Give a dead letter another round of attempts (an operator fixed the cause)."""
    delivery = get_or_not_found(OutboxDelivery.objects.for_merchant(merchant), what="delivery", id=delivery_id)
    OutboxDelivery.objects.filter(id=delivery.id, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=clock.now()
    )
    transaction.on_commit(_nudge_worker)
    delivery.refresh_from_db()
    return delivery
