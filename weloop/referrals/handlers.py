"""Outbox subscribers: paid orders accrue commission, refunds reverse it, completion starts the
refund window. Each is idempotent (the ledger's (order, level, kind, source_ref) is unique)."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.referrals import services


@subscribe("orders.order_paid")
def accrue_commission(event: OutboxEvent) -> None:
    services.commissions_accrue(merchant=event.merchant, order_no=str(event.payload.get("order_no") or ""))


@subscribe("orders.order_completed")
def start_refund_window(event: OutboxEvent) -> None:
    services.commissions_schedule_unfreeze(merchant=event.merchant, order_no=str(event.payload.get("order_no") or ""))


@subscribe("orders.order_refunded")
def reverse_commission(event: OutboxEvent) -> None:
    payload = event.payload
    services.commissions_reverse(
        merchant=event.merchant,
        order_no=str(payload.get("order_no") or ""),
        out_refund_no=str(payload.get("out_refund_no") or ""),
    )
