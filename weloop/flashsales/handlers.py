"""Outbox subscribers of flash sales: a claim follows its order (paid, or lapsed when the order
was cancelled or expired, which released the unit back to the sale)."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.flashsales import services


def _follow(event: OutboxEvent, status: str) -> None:
    services.claim_follow_order(
        merchant=event.merchant, order_no=str(event.payload.get("order_no", "")), order_status=status
    )


@subscribe("orders.order_paid")
def claim_paid(event: OutboxEvent) -> None:
    _follow(event, "paid")


@subscribe("orders.order_cancelled")
def claim_cancelled(event: OutboxEvent) -> None:
    _follow(event, "cancelled")


@subscribe("orders.order_expired")
def claim_expired(event: OutboxEvent) -> None:
    _follow(event, "expired")
