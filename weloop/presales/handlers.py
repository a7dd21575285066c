"""Outbox subscribers of pre-sales: a participant follows their order (paid: counted, or refunded
when the presale already failed; cancelled/expired: lapsed; refunded; refund failed: retried)."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.presales import services


def _order_no(event: OutboxEvent) -> str:
    return str(event.payload.get("order_no", ""))


@subscribe("orders.order_paid")
def entry_paid(event: OutboxEvent) -> None:
    services.entry_order_paid(merchant=event.merchant, order_no=_order_no(event))


@subscribe("orders.order_cancelled")
def entry_cancelled(event: OutboxEvent) -> None:
    services.entry_order_closed(merchant=event.merchant, order_no=_order_no(event))


@subscribe("orders.order_expired")
def entry_expired(event: OutboxEvent) -> None:
    services.entry_order_closed(merchant=event.merchant, order_no=_order_no(event))


@subscribe("orders.order_refunded")
def entry_refunded(event: OutboxEvent) -> None:
    services.entry_order_refunded(
        merchant=event.merchant, order_no=_order_no(event), order_status=str(event.payload.get("status", ""))
    )


@subscribe("orders.refund_failed")
def entry_refund_failed(event: OutboxEvent) -> None:
    services.entry_refund_failed(
        merchant=event.merchant, order_no=_order_no(event), reason=str(event.payload.get("reason", ""))
    )
