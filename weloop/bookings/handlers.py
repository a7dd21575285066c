"""Outbox subscribers: bookings and reservations follow their orders.

- ``orders.order_paid``: a booking's order (channel ``booking``) confirms the booking; a
  reservation's order (channel ``reserve``) marks the reservation paid.
- ``orders.order_expired`` / ``orders.order_cancelled``: the held booking lapses and gives its
  slots back (the order already released its own holds); the reservation expires or is cancelled.
"""

from __future__ import annotations

from weloop.bookings import services
from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent


def _order_no(event: OutboxEvent) -> str:
    return str(event.payload.get("order_no") or "")


@subscribe("orders.order_paid")
def order_paid(event: OutboxEvent) -> None:
    order_no = _order_no(event)
    if order_no:
        services.booking_confirm_paid(merchant=event.merchant, order_no=order_no)
        services.reservation_follow_order(merchant=event.merchant, order_no=order_no, order_status="paid")


@subscribe("orders.order_expired")
def order_expired(event: OutboxEvent) -> None:
    order_no = _order_no(event)
    if order_no:
        services.booking_order_closed(merchant=event.merchant, order_no=order_no, to="expired")
        services.reservation_follow_order(merchant=event.merchant, order_no=order_no, order_status="expired")


@subscribe("orders.order_cancelled")
def order_cancelled(event: OutboxEvent) -> None:
    order_no = _order_no(event)
    if order_no:
        services.booking_order_closed(merchant=event.merchant, order_no=order_no, to="cancelled")
        services.reservation_follow_order(merchant=event.merchant, order_no=order_no, order_status="cancelled")
