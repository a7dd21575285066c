"""Outbox subscribers that keep the attribution ledger (services.py); each is idempotent.

Bookings are subscribed to by event name only (bookings sits on this layer and is not imported):
``bookings.booking_confirmed`` and ``bookings.booking_completed`` credit a booking once,
``bookings.booking_cancelled`` reverses it.
"""

from __future__ import annotations

from weloop.analytics import services
from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent


@subscribe("orders.order_paid")
def credit_order(event: OutboxEvent) -> None:
    services.attribution_order_paid(merchant=event.merchant, order_no=str(event.payload.get("order_no", "")))


@subscribe("orders.order_refunded")
def reverse_refund(event: OutboxEvent) -> None:
    payload = event.payload
    amount = payload.get("amount_fen")
    if not isinstance(amount, int) or not payload.get("out_refund_no"):
        return
    services.attribution_order_refunded(
        merchant=event.merchant,
        order_no=str(payload.get("order_no", "")),
        out_refund_no=str(payload["out_refund_no"]),
        amount_fen=amount,
        at=event.created_at,
    )


@subscribe("vouchers.voucher_redeemed")
def credit_redemption(event: OutboxEvent) -> None:
    services.attribution_redemption(merchant=event.merchant, redemption_id=str(event.payload.get("redemption_id", "")))


@subscribe("vouchers.redemption_undone")
def reverse_redemption(event: OutboxEvent) -> None:
    services.attribution_redemption_undone(
        merchant=event.merchant, redemption_id=str(event.payload.get("redemption_id", ""))
    )


@subscribe("bookings.booking_confirmed")
def credit_booking_confirmed(event: OutboxEvent) -> None:
    services.attribution_booking(merchant=event.merchant, payload=event.payload, at=event.created_at)


@subscribe("bookings.booking_completed")
def credit_booking_completed(event: OutboxEvent) -> None:
    services.attribution_booking(merchant=event.merchant, payload=event.payload, at=event.created_at)


@subscribe("bookings.booking_cancelled")
def reverse_booking(event: OutboxEvent) -> None:
    booking_id = str(event.payload.get("booking_id") or "")
    if booking_id:
        services.attribution_booking_cancelled(merchant=event.merchant, booking_id=booking_id, at=event.created_at)
