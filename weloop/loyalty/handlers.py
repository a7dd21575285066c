"""Outbox handlers of loyalty: points and growth from paid and refunded orders, points for reviews."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.loyalty import services


@subscribe("orders.order_paid")
def earn_on_order_paid(event: OutboxEvent) -> None:
    p = event.payload
    member = services.member_by_public_id(merchant=event.merchant, member_id=str(p.get("member_id") or ""))
    if member is None or not p.get("order_no"):
        return
    services.points_for_order_paid(
        merchant=event.merchant, member=member, order_no=str(p["order_no"]), paid_fen=int(p.get("total_fen") or 0)
    )


@subscribe("orders.order_refunded")
def reverse_on_order_refunded(event: OutboxEvent) -> None:
    p = event.payload
    member = services.member_by_public_id(merchant=event.merchant, member_id=str(p.get("member_id") or ""))
    if member is None or not p.get("order_no"):
        return
    services.points_for_order_refunded(
        merchant=event.merchant,
        member=member,
        order_no=str(p["order_no"]),
        total_fen=int(p.get("total_fen") or 0),
        refunded_fen=int(p.get("refunded_fen") or 0),
    )


@subscribe("reviews.review_created")
def earn_on_review(event: OutboxEvent) -> None:
    p = event.payload
    member = services.member_by_public_id(merchant=event.merchant, member_id=str(p.get("member_id") or ""))
    points = services.settings_of(merchant=event.merchant).points_per_review
    if member is None or not p.get("review_id") or not points:
        return
    services.points_earn(
        merchant=event.merchant, member=member, points=points, ref=f"review:{p['review_id']}", reason="review"
    )
