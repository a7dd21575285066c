"""Coupons and points follow their order (registered by orders.handlers). Every handler is idempotent.

- ``orders.order_paid``: the order's locked coupons become used (with what each took off), and a
  member's FIRST paid order triggers the "after the first payment" coupon templates.
- ``orders.order_cancelled`` / ``orders.order_expired``: the points the order spent come back
  (its coupons are released by the coupons app's own handler).
- ``orders.order_refunded``: a FULL refund gives back the points and the coupons (still valid ones
  become available, the others expired); a partial refund keeps both spent.
"""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.coupons import services as coupon_services
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order
from weloop.orders.services import pricing


def _order(event: OutboxEvent) -> Order | None:
    return (
        Order.objects.for_merchant(event.merchant)
        .select_related("member")
        .filter(order_no=str(event.payload.get("order_no", "")))
        .first()
    )


@subscribe("orders.order_paid")
def coupons_on_paid(event: OutboxEvent) -> None:
    order = _order(event)
    if order is None:
        return
    coupon_services.coupons_use_for_order(
        merchant=event.merchant,
        order_no=order.order_no,
        amounts=pricing.order_coupon_amounts(merchant=event.merchant, order=order),
    )
    first = not (
        Order.objects.for_merchant(event.merchant)
        .filter(member=order.member, paid_at__isnull=False)
        .exclude(pk=order.pk)
        .filter(paid_at__lte=order.paid_at or order.placed_at)
        .exists()
    )
    if first:
        coupon_services.coupons_issue_on_event(
            merchant=event.merchant, member=order.member, trigger="first_payment", source_ref="first_payment"
        )


def _return_points(event: OutboxEvent, order: Order) -> None:
    if not pricing.order_points_used(merchant=event.merchant, order=order):
        return
    from weloop.loyalty.services import points_return

    points_return(merchant=event.merchant, member=order.member, ref=pricing.points_ref(order.order_no))


@subscribe("orders.order_cancelled")
@subscribe("orders.order_expired")
def points_on_unpaid_close(event: OutboxEvent) -> None:
    order = _order(event)
    if order is not None and order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        _return_points(event, order)


@subscribe("orders.order_refunded")
def coupons_and_points_on_refund(event: OutboxEvent) -> None:
    order = _order(event)
    if order is None or order.status != OrderStatus.REFUNDED:
        return
    coupon_services.coupons_restore_for_refund(merchant=event.merchant, order_no=order.order_no)
    _return_points(event, order)
