"""Reads of the orders app: lists of orders and one order with what hangs off it."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from weloop.core.db import get_or_not_found
from weloop.orders.models import Order, OrderLine, Shipment
from weloop.payments.models import Payment, Refund
from weloop.tenants.models import Merchant


def order_list(
    *,
    merchant: Merchant,
    status: str | None = None,
    member_id: str | None = None,
    openid: str | None = None,
    store_id: str | None = None,
) -> QuerySet[Order]:
    """The merchant's orders, newest first; filters are public ids (``mb_…``, ``st_…``) or an openid."""
    orders = Order.objects.for_merchant(merchant).select_related("member", "store", "source_store", "guide")
    if status:
        orders = orders.filter(status=status)
    if member_id:
        orders = orders.filter(member__public_id=member_id)
    if openid:
        orders = orders.filter(member__openid=openid)
    if store_id:
        orders = orders.filter(store__public_id=store_id)
    return orders.order_by("-placed_at", "-id")


def order_get(*, merchant: Merchant, order_no: str) -> Order:
    """One order with its lines, shipments (and their tracking events) and refunds; else NotFound."""
    orders = (
        Order.objects.for_merchant(merchant)
        .select_related("member", "store", "source_store", "guide", "created_by_staff")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("id")),
            "refunds",
            Prefetch("shipments", queryset=Shipment.objects.prefetch_related("events").order_by("id")),
        )
    )
    return get_or_not_found(orders, what="order", order_no=order_no)


def shipment_get(*, merchant: Merchant, order: Order, shipment_id: str) -> Shipment:
    """A shipment of ``order``; another order's or merchant's shipment is NotFound."""
    return get_or_not_found(
        Shipment.objects.for_merchant(merchant).filter(order=order), what="shipment", public_id=shipment_id
    )


def order_payments(*, merchant: Merchant, order: Order) -> list[Payment]:
    """Every payment started or recorded for ``order``, newest first."""
    return list(Payment.objects.for_merchant(merchant).filter(reference=order.order_no).order_by("-id"))


def refund_money_statuses(*, merchant: Merchant, refund_nos: list[str]) -> dict[str, str]:
    """{refund number: payments' status of that refund}: where the money of each order refund is."""
    rows = Refund.objects.for_merchant(merchant).filter(out_refund_no__in=refund_nos)
    return dict(rows.values_list("out_refund_no", "status"))
