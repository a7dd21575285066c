"""Outbox subscribers: what a member consumed becomes reviewable (idempotent by source).

Subscribed by event name only, so reviews imports nothing of orders, vouchers or bookings; an event
that is never published (bookings before that app exists) simply never arrives.

- ``orders.order_completed``: the order (payload: order_no, member_id, store_id; ``lines`` with
  product_id/product_name when the payload carries them, for product ratings);
- ``vouchers.voucher_redeemed``: the redemption (redemption_id, member_id, store_id, deal_id);
- ``bookings.booking_completed``: the booking (booking_id, member_id, store_id), once it exists.
"""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.reviews.enums import ConsumptionKind
from weloop.reviews.services import eligibility_record


def _str(payload: dict, *names: str) -> str:
    for name in names:
        value = payload.get(name)
        if value:
            return str(value)
    return ""


@subscribe("orders.order_completed")
def order_completed(event: OutboxEvent) -> None:
    payload = event.payload
    lines = payload.get("lines") or []
    products = [
        {"id": _str(line, "product_id", "product"), "name": _str(line, "product_name", "name")}
        for line in lines
        if isinstance(line, dict)
    ]
    if not _str(payload, "order_no", "member_id"):
        return
    eligibility_record(
        merchant=event.merchant,
        kind=ConsumptionKind.ORDER,
        source_ref=_str(payload, "order_no"),
        member_ref=_str(payload, "member_id"),
        store_ref=_str(payload, "store_id"),
        products=products,
        title=_str(payload, "title") or _str(payload, "order_no"),
        consumed_at=event.created_at,
        openid=_str(payload, "openid"),
    )


@subscribe("vouchers.voucher_redeemed")
def voucher_redeemed(event: OutboxEvent) -> None:
    payload = event.payload
    source = _str(payload, "redemption_id", "voucher_id")
    if not source or not _str(payload, "member_id", "member"):
        return
    deal = _str(payload, "deal_id", "deal")
    eligibility_record(
        merchant=event.merchant,
        kind=ConsumptionKind.VOUCHER,
        source_ref=source,
        member_ref=_str(payload, "member_id", "member"),
        store_ref=_str(payload, "store_id", "store"),
        products=[{"id": deal, "name": _str(payload, "deal_title", "title")}] if deal else [],
        title=_str(payload, "deal_title", "title") or deal,
        consumed_at=event.created_at,
        openid=_str(payload, "openid"),
    )


@subscribe("bookings.booking_completed")
def booking_completed(event: OutboxEvent) -> None:
    payload = event.payload
    source = _str(payload, "booking_id", "booking_no")
    if not source or not _str(payload, "member_id"):
        return
    eligibility_record(
        merchant=event.merchant,
        kind=ConsumptionKind.BOOKING,
        source_ref=source,
        member_ref=_str(payload, "member_id"),
        store_ref=_str(payload, "store_id"),
        products=[],
        title=_str(payload, "service_name", "title") or source,
        consumed_at=event.created_at,
        openid=_str(payload, "openid"),
    )
