"""Outbox subscribers: every event a customer cares about becomes a notification (see notification_kinds).

Each handler only records the notification (idempotent through its dedup key); sending happens on
the queue. Events with no publisher yet (vouchers, bookings, reviews) are subscribed already, so the
apps that will publish them only have to emit the payload documented in docs/notifications.md.
"""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.messaging.notification_kinds import KINDS
from weloop.messaging.notifications import notification_enqueue


def _notify(kind: str, event: OutboxEvent) -> None:
    notification_enqueue(merchant=event.merchant, kind=kind, payload=event.payload)


def _register() -> None:
    for spec in KINDS.values():

        def handler(event: OutboxEvent, _kind: str = spec.kind) -> None:
            _notify(_kind, event)

        name = f"notify_{spec.kind}"
        handler.__name__ = handler.__qualname__ = name
        globals()[name] = handler  # importable by path, as the outbox requires
        subscribe(spec.event)(handler)


_register()
