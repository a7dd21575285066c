"""What the H5 shop pages show: the cart, a checkout's preview, the member's orders and one order.

Read-only. Orders owns carts, orders and fulfilment; catalog owns prices (a store may price a SKU
differently, so the checkout preview prices the lines where the order will be fulfilled); payments
owns payments. Writes go through ``weloop.orders.services`` in the views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet, Sum

from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.models import Sku
from weloop.catalog.selectors import sku_offer_at
from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.models import StateTransition
from weloop.core.money import yuan_text
from weloop.core.state import history_of
from weloop.members.models import Member
from weloop.orders.calculations import line_total, order_totals, shipping_fee
from weloop.orders.enums import REFUNDABLE_STATUSES, FulfilmentType, OrderStatus
from weloop.orders.models import AfterSalesRequest, CartLine, Order, PickupCode, ShippingRule
from weloop.orders.selectors import order_get, order_list, order_payments
from weloop.orders.services import LineInput
from weloop.orders.state import ORDER
from weloop.payments.models import Payment
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import store_list_public
from weloop.tenants.models import Merchant

# The "My orders" filter tabs: key -> the statuses it shows (an empty tuple: every order).
ORDER_TABS: dict[str, tuple[str, ...]] = {
    "all": (),
    "to_pay": (OrderStatus.PENDING_PAYMENT,),
    "in_progress": (OrderStatus.PAID, OrderStatus.FULFILLING, OrderStatus.SHIPPED, OrderStatus.READY_FOR_PICKUP),
    "completed": (OrderStatus.COMPLETED,),
    "refunds": (OrderStatus.REFUNDING, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
    "closed": (OrderStatus.CANCELLED, OrderStatus.EXPIRED),
}
ORDERS_PER_PAGE = 50


# --- the cart -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartRow:
    sku: Sku
    quantity: int
    unit_price_fen: int  # the online (base) price; a store may charge its own at checkout
    line_total_fen: int
    sellable: bool  # still on sale: checkout refuses the cart while a row is not


@dataclass(frozen=True)
class CartPage:
    rows: list[CartRow]
    subtotal_fen: int
    units: int

    @property
    def can_check_out(self) -> bool:
        return bool(self.rows) and all(row.sellable for row in self.rows)


def cart_units(*, merchant: Merchant, member: Member) -> int:
    """How many units the member's cart holds (the tab bar's badge)."""
    lines = CartLine.objects.for_merchant(merchant).filter(cart__member=member)
    return int(lines.aggregate(n=Sum("quantity"))["n"] or 0)


def cart_page(*, merchant: Merchant, member: Member) -> CartPage:
    lines = (
        CartLine.objects.for_merchant(merchant)
        .filter(cart__member=member)
        .select_related("sku", "sku__product")
        .order_by("id")
    )
    rows = []
    for line in lines:
        offer = sku_offer_at(sku=line.sku)
        rows.append(
            CartRow(
                sku=line.sku,
                quantity=line.quantity,
                unit_price_fen=offer.price_fen,
                line_total_fen=line_total(offer.price_fen, line.quantity),
                sellable=offer.is_sellable,
            )
        )
    return CartPage(
        rows=rows,
        subtotal_fen=sum(row.line_total_fen for row in rows if row.sellable),
        units=sum(row.quantity for row in rows),
    )


# --- checkout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    sku: Sku | None
    sku_id: str
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    problem: str = ""  # not on sale (here): the order will be refused


@dataclass(frozen=True)
class CheckoutPreview:
    lines: list[PreviewLine]
    subtotal_fen: int
    shipping_fen: int
    total_fen: int

    @property
    def has_problem(self) -> bool:
        return any(line.problem for line in self.lines)


def checkout_preview(
    *, merchant: Merchant, lines: list[LineInput], fulfilment_type: str, store: Store | None
) -> CheckoutPreview:
    """The lines priced where the order is fulfilled (the store's price for pickup and in-store orders),
    the shipping fee and the total: what ``checkout_place`` will charge, unless prices change meanwhile."""
    skus = {
        s.public_id: s
        for s in Sku.objects.for_merchant(merchant)
        .select_related("product")
        .filter(public_id__in=[line.sku_id for line in lines])
    }
    where = None if fulfilment_type == FulfilmentType.DELIVERY else store
    rows = []
    for line in lines:
        sku = skus.get(line.sku_id)
        if sku is None or sku.product.status != ProductStatus.ACTIVE:
            rows.append(PreviewLine(None, line.sku_id, int(line.quantity), 0, 0, problem="unknown"))
            continue
        offer = sku_offer_at(sku=sku, store=where)
        problem = "" if offer.is_sellable else "not_sold_here"
        unit, quantity = offer.price_fen, int(line.quantity)
        rows.append(PreviewLine(sku, line.sku_id, quantity, unit, line_total(unit, quantity), problem))
    subtotal_lines = [row.line_total_fen for row in rows if not row.problem]
    rule = ShippingRule.objects.for_merchant(merchant).first()
    shipping = (
        shipping_fee(
            fulfilment=fulfilment_type,
            subtotal_fen=sum(subtotal_lines),
            flat_fee_fen=rule.flat_fee_fen,
            free_above_fen=rule.free_above_fen,
        )
        if rule is not None and subtotal_lines
        else 0
    )
    totals = order_totals(line_totals=subtotal_lines, shipping_fen=shipping)
    return CheckoutPreview(rows, totals.subtotal_fen, totals.shipping_fen, totals.total_fen)


def lines_all_virtual(*, merchant: Merchant, lines: list[LineInput]) -> bool:
    """Every line is a virtual product (or a deal): the order is delivered as codes, no address, no store."""
    if not lines:
        return False
    ids = {str(line.sku_id) for line in lines}
    kinds = list(Sku.objects.for_merchant(merchant).filter(public_id__in=ids).values_list("public_id", "product__kind"))
    return len(kinds) == len(ids) and all(kind in (ProductKind.VIRTUAL, ProductKind.DEAL) for _, kind in kinds)


def pickup_stores(*, merchant: Merchant) -> list[Store]:
    """Stores an order can be picked up at, or placed in: open for business (not paused or closed)."""
    return list(store_list_public(merchant=merchant).filter(status=StoreStatus.ACTIVE))


def store_for_checkout(*, merchant: Merchant, store_id: str) -> Store | None:
    """The merchant's store with this public id, or None (a stale or foreign id is just not chosen)."""
    if not store_id:
        return None
    return store_list_public(merchant=merchant).filter(public_id=store_id[:40]).first()


# --- my orders ------------------------------------------------------------------------------------


def member_orders(*, merchant: Merchant, member: Member, tab: str) -> QuerySet[Order]:
    """The member's orders, newest first, filtered by one of ``ORDER_TABS``."""
    orders = order_list(merchant=merchant, member_id=member.public_id).prefetch_related("lines")
    statuses = ORDER_TABS.get(tab, ())
    if statuses:
        orders = orders.filter(status__in=statuses)
    return orders[:ORDERS_PER_PAGE]


def member_order(*, merchant: Merchant, member: Member, order_no: str) -> Order:
    """One of the member's orders; another member's order is NotFound, exactly like a missing one."""
    order = order_get(merchant=merchant, order_no=str(order_no)[:24])
    if order.member_id != member.pk:
        raise NotFound("No such order.", extra={"what": "order"})
    return order


def order_exists(*, merchant: Merchant, order_no: str) -> bool:
    return Order.objects.for_merchant(merchant).filter(order_no=str(order_no)[:24]).exists()


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    status: str
    label: str


@dataclass(frozen=True)
class OrderPage:
    order: Order
    history: list[HistoryRow]
    payments: list[Payment]
    aftersales: list[AfterSalesRequest]
    pickup_code_issued: bool  # the order has a live pickup code (the clerk handed it to the member)
    can_pay: bool
    can_cancel: bool
    can_request_aftersales: bool
    seconds_left: int  # until the payment deadline (0 when not waiting for payment)

    @property
    def status_label(self) -> str:
        return str(OrderStatus(self.order.status).label)

    @property
    def refundable_yuan(self) -> str:
        """What is left to refund, as the after-sales form's default amount (``12.30``)."""
        return yuan_text(self.order.refundable_fen)


def _history(order: Order) -> list[HistoryRow]:
    rows: list[StateTransition] = list(history_of(ORDER, order))
    placed = HistoryRow(order.placed_at, OrderStatus.PENDING_PAYMENT, str(OrderStatus.PENDING_PAYMENT.label))
    labels = dict(OrderStatus.choices)
    moves = [HistoryRow(row.created_at, row.to_status, str(labels.get(row.to_status, row.to_status))) for row in rows]
    return [placed, *moves]


def order_page(*, merchant: Merchant, order: Order) -> OrderPage:
    now = clock.now()
    pending = order.status == OrderStatus.PENDING_PAYMENT and order.expires_at > now
    open_request = any(r.status == "requested" for r in order.aftersales.all())
    return OrderPage(
        order=order,
        history=_history(order),
        payments=order_payments(merchant=merchant, order=order),
        aftersales=list(order.aftersales.all()),
        pickup_code_issued=PickupCode.objects.for_merchant(merchant).filter(order=order, used_at__isnull=True).exists(),
        can_pay=pending,
        can_cancel=order.status == OrderStatus.PENDING_PAYMENT,
        can_request_aftersales=order.status in REFUNDABLE_STATUSES and order.refundable_fen > 0 and not open_request,
        seconds_left=max(0, int((order.expires_at - now).total_seconds())) if pending else 0,
    )
