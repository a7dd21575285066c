"""Reads of the orders app: lists of orders and one order with what hangs off it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from weloop.core.db import get_or_not_found
from weloop.core.models import StateTransition
from weloop.core.state import history_of
from weloop.orders.enums import UNPURCHASED_STATUSES, AfterSalesStatus, OrderStatus
from weloop.orders.models import AfterSalesRequest, Order, OrderLine, Shipment, VirtualCode
from weloop.orders.state import ORDER
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
            "aftersales",
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


# --- the console: search with filters and totals, after-sales, history ---------------------------


@dataclass(frozen=True)
class OrderSearch:
    """Filters of the console's order list; empty values do not filter."""

    status: str = ""
    fulfilment_type: str = ""
    store_id: str = ""  # fulfilling or attributed store, ``st_…``
    member_id: str = ""  # ``mb_…``
    q: str = ""  # order number (or its start)
    placed_from: date | None = None
    placed_to: date | None = None  # inclusive


def _in_stores(orders: QuerySet[Order], store_pks: frozenset[int] | None) -> QuerySet[Order]:
    """Orders fulfilled in, or attributed to, one of ``store_pks`` (None: no narrowing)."""
    if store_pks is None:
        return orders
    return orders.filter(Q(store_id__in=store_pks) | Q(source_store_id__in=store_pks))


def order_search(
    *, merchant: Merchant, search: OrderSearch, store_pks: frozenset[int] | None = None
) -> QuerySet[Order]:
    """The merchant's orders matching ``search``, newest first; ``store_pks`` narrows to those stores."""
    orders = _in_stores(
        Order.objects.for_merchant(merchant).select_related("member", "store", "source_store", "guide"), store_pks
    )
    if search.status:
        orders = orders.filter(status=search.status)
    if search.fulfilment_type:
        orders = orders.filter(fulfilment_type=search.fulfilment_type)
    if search.store_id:
        orders = orders.filter(Q(store__public_id=search.store_id) | Q(source_store__public_id=search.store_id))
    if search.member_id:
        orders = orders.filter(member__public_id=search.member_id)
    if search.q:
        orders = orders.filter(order_no__istartswith=search.q.strip())
    tz = timezone.get_current_timezone()
    if search.placed_from:
        orders = orders.filter(placed_at__gte=datetime.combine(search.placed_from, time.min, tzinfo=tz))
    if search.placed_to:
        orders = orders.filter(
            placed_at__lt=datetime.combine(search.placed_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    return orders.order_by("-placed_at", "-id")


@dataclass(frozen=True)
class OrderTotals:
    count: int
    total_fen: int
    refunded_fen: int

    @property
    def net_fen(self) -> int:
        return self.total_fen - self.refunded_fen


def order_totals(orders: QuerySet[Order]) -> OrderTotals:
    """Count and money of ``orders`` (a result of ``order_search``), unpaid and closed ones excluded."""
    paid = orders.exclude(status__in=[*UNPURCHASED_STATUSES, OrderStatus.PENDING_PAYMENT])
    sums = paid.aggregate(total=Sum("total_fen"), refunded=Sum("refunded_fen"))
    return OrderTotals(count=orders.count(), total_fen=sums["total"] or 0, refunded_fen=sums["refunded"] or 0)


def order_history(*, order: Order) -> QuerySet[StateTransition]:
    """The order's status changes, oldest first."""
    return history_of(ORDER, order)


def order_virtual_codes(*, merchant: Merchant, order: Order) -> QuerySet[VirtualCode]:
    """The codes delivered for the order (sealed: staff see ``last4`` and the status only)."""
    return VirtualCode.objects.for_merchant(merchant).filter(order=order).select_related("line")


def aftersales_list(
    *, merchant: Merchant, status: str = "", store_pks: frozenset[int] | None = None
) -> QuerySet[AfterSalesRequest]:
    """After-sales requests, oldest open first when filtered by ``requested``, else newest first."""
    requests = AfterSalesRequest.objects.for_merchant(merchant).select_related("order", "order__member")
    if store_pks is not None:
        requests = requests.filter(Q(order__store_id__in=store_pks) | Q(order__source_store_id__in=store_pks))
    if status:
        requests = requests.filter(status=status)
    return requests.order_by("id" if status == AfterSalesStatus.REQUESTED else "-id")


def aftersales_get(*, merchant: Merchant, aftersales_id: str) -> AfterSalesRequest:
    return get_or_not_found(
        AfterSalesRequest.objects.for_merchant(merchant).select_related("order"),
        what="after-sales request",
        public_id=aftersales_id,
    )
