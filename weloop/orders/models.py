"""Carts, orders and their lines, shipments, pickup codes, after-sales requests and order refunds.

An order's money is int fen with ``total = subtotal + shipping - discount`` as a CHECK; every
amount is ``>= 0`` and what was refunded never exceeds the total. Status changes go through
``state.ORDER`` (history rows in core's StateTransition). Stock is held in ``inventory`` with the
order number as the hold reference; each line keeps the public id of its hold.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.orders.enums import (
    AfterSalesKind,
    AfterSalesStatus,
    FulfilmentType,
    OrderRefundKind,
    OrderRefundStatus,
    OrderStatus,
    ShipmentStatus,
    VirtualCodeStatus,
)


class ShippingRule(TenantModel):
    """The merchant's delivery fee: a flat fee, free from ``free_above_fen`` of goods (None: never)."""

    flat_fee_fen = models.BigIntegerField(_("delivery fee"), default=0)
    free_above_fen = models.BigIntegerField(_("free delivery from"), null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="shipping_rule_once_per_merchant"),
            models.CheckConstraint(condition=Q(flat_fee_fen__gte=0), name="shipping_rule_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(free_above_fen__isnull=True) | Q(free_above_fen__gte=0),
                name="shipping_rule_threshold_not_negative",
            ),
        ]


class PurchaseLimit(TenantModel):
    """At most ``max_per_member`` units of ``product`` per member, over all their live orders."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    max_per_member = models.PositiveIntegerField(_("limit per member"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "product"], name="purchase_limit_once_per_product"),
            models.CheckConstraint(condition=Q(max_per_member__gt=0), name="purchase_limit_positive"),
        ]


class Cart(TenantModel):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "member"], name="cart_once_per_member")]


class CartLine(TenantModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "cart", "sku"], name="cart_line_once_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]


class Order(TenantModel):
    URL_KWARG = "order_no"

    order_no = models.CharField(_("order number"), max_length=24)
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(max_length=24, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    # Where a refund started from: a refused refund puts the order back there (state.py).
    status_before_refund = models.CharField(max_length=24, blank=True, default="")
    fulfilment_type = models.CharField(max_length=16, choices=FulfilmentType.choices)
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    table_code = models.CharField(_("table or shelf"), max_length=32, blank=True, default="")
    ship_name = models.CharField(_("recipient"), max_length=40, blank=True, default="")
    ship_phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    ship_province = models.CharField(_("province"), max_length=40, blank=True, default="")
    ship_city = models.CharField(_("city"), max_length=40, blank=True, default="")
    ship_district = models.CharField(_("district"), max_length=40, blank=True, default="")
    ship_detail = models.CharField(_("address"), max_length=200, blank=True, default="")
    subtotal_fen = models.BigIntegerField(default=0)
    shipping_fen = models.BigIntegerField(default=0)
    discount_fen = models.BigIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)
    refunding_fen = models.BigIntegerField(default=0)  # reserved by the refund in flight
    # attribution: who brought the sale (a ledger: a refund never edits these)
    source_store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    guide = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    qr_scene = models.CharField(max_length=64, blank=True, default="")
    channel = models.CharField(max_length=64, blank=True, default="")
    created_by_staff = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    payment_id = models.CharField(max_length=24, blank=True, default="")  # the payments.Payment that paid it
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    placed_at = models.DateTimeField(default=clock.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "order_no"], name="order_no_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "member", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="order_idempotency_key_per_member",
            ),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_known"),
            models.CheckConstraint(
                condition=Q(fulfilment_type__in=FulfilmentType.values), name="order_fulfilment_known"
            ),
            models.CheckConstraint(
                condition=Q(subtotal_fen__gte=0)
                & Q(shipping_fen__gte=0)
                & Q(discount_fen__gte=0)
                & Q(total_fen__gte=0)
                & Q(refunded_fen__gte=0)
                & Q(refunding_fen__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_fen=F("subtotal_fen") + F("shipping_fen") - F("discount_fen")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(total_fen__gte=F("refunded_fen") + F("refunding_fen")), name="order_refunds_within_total"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="order_due_idx"),
            models.Index(fields=["merchant", "member", "status"], name="order_member_idx"),
        ]

    def __str__(self) -> str:
        return self.order_no

    @property
    def refundable_fen(self) -> int:
        return self.total_fen - self.refunded_fen - self.refunding_fen


class OrderLine(TenantModel):
    public_id = public_id_field("ol_")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, related_name="+")
    product_id_snapshot = models.CharField(max_length=24)  # the product's public id, for purchase limits
    product_name = models.CharField(max_length=120)
    # The product's kind when ordered: ``virtual`` lines are delivered as codes when the order is paid.
    product_kind = models.CharField(max_length=16, default="physical")
    sku_code = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)
    unit_price_fen = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    line_total_fen = models.BigIntegerField()
    discount_fen = models.BigIntegerField(default=0)
    refunded_fen = models.BigIntegerField(default=0)
    returned_quantity = models.PositiveIntegerField(default=0)  # units put back on sale
    hold_id = models.CharField(max_length=24, blank=True, default="")  # inventory Hold public id

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="order_line_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price_fen__gte=0) & Q(discount_fen__gte=0) & Q(refunded_fen__gte=0),
                name="order_line_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(line_total_fen=F("unit_price_fen") * F("quantity")), name="order_line_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(line_total_fen__gte=F("discount_fen") + F("refunded_fen")),
                name="order_line_refund_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=F("quantity")), name="order_line_returns_within_quantity"
            ),
        ]

    @property
    def net_fen(self) -> int:
        return self.line_total_fen - self.discount_fen


class Shipment(TenantModel):
    public_id = public_id_field("shp_")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking number"), max_length=64)
    status = models.CharField(max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.SHIPPED)
    shipped_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="shipment_public_id_per_merchant")
        ]


class TrackingEvent(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    description = models.CharField(max_length=200)
    location = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]


class PickupCode(TenantModel):
    """The code a customer shows at the counter. Used once.

    ``code_hash`` (a keyed HMAC) finds a typed code; ``code_sealed`` (AES-256-GCM, see
    ``weloop.orders.codes.pickup_seal``) lets the order's member read it on their order page.
    Codes issued before sealing existed have an empty ``code_sealed``.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    code_sealed = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "order"], name="pickup_code_once_per_order"),
            # Live codes are unique per merchant, so a typed code finds exactly one order.
            models.UniqueConstraint(
                fields=["merchant", "code_hash"], condition=Q(used_at__isnull=True), name="pickup_code_live_unique"
            ),
        ]


class AfterSalesRequest(TenantModel):
    public_id = public_id_field("as_")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="aftersales")
    kind = models.CharField(max_length=24, choices=AfterSalesKind.choices)
    amount_fen = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=AfterSalesStatus.choices, default=AfterSalesStatus.REQUESTED)
    # {line public id: units that come back} for return_and_refund
    return_lines = models.JSONField(default=dict, blank=True)
    decided_by = models.CharField(max_length=150, blank=True, default="")
    decision_note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="aftersales_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aftersales_amount_positive"),
        ]


class OrderRefund(TenantModel):
    """One refund the orders app asked payments for; ``out_refund_no`` ties the two together."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    kind = models.CharField(max_length=16, choices=OrderRefundKind.choices, default=OrderRefundKind.REFUND)
    out_refund_no = models.CharField(max_length=64)
    payment_id = models.CharField(max_length=24)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=OrderRefundStatus.choices, default=OrderRefundStatus.PENDING)
    # {line public id: fen, "shipping": fen}: the refund split over the lines
    allocation = models.JSONField(default=dict, blank=True)
    # {line public id: units}: goods that go back on sale when the refund succeeds
    return_lines = models.JSONField(default=dict, blank=True)
    aftersales = models.ForeignKey(
        AfterSalesRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=80, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "out_refund_no"], name="order_refund_number_per_merchant"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="order_refund_amount_positive"),
        ]


class VirtualCode(TenantModel):
    """One code delivered for one unit of a virtual line (a top-up, a ticket, a gift code).

    The code itself is stored sealed (AES-256-GCM, key derived from SECRET_KEY, see
    ``weloop.orders.codes``) so that its member can read it again in their order; ``code_hash``
    (a keyed HMAC) finds a typed code without decrypting anything, and is unique per merchant.
    """

    public_id = public_id_field("vc_")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="virtual_codes")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="virtual_codes")
    code_hash = models.CharField(max_length=64)
    code_sealed = models.TextField()
    last4 = models.CharField(max_length=4)  # what staff see: ••••-WXYZ
    status = models.CharField(max_length=16, choices=VirtualCodeStatus.choices, default=VirtualCodeStatus.ISSUED)
    issued_at = models.DateTimeField(default=clock.now)
    first_shown_at = models.DateTimeField(null=True, blank=True)  # the member first opened it
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="virtual_code_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "code_hash"], name="virtual_code_unique_per_merchant"),
            models.CheckConstraint(condition=Q(status__in=VirtualCodeStatus.values), name="virtual_code_status_known"),
        ]


class OrderDiscount(TenantModel):
    """One step of an order's price breakdown: what the member level, a coupon or points took.

    Written when the order is placed, in the fixed order of ``coupons.calculations`` (``stage``).
    ``line_shares`` (fen) is this step's share of each line (in line order); the lines' ``discount_fen`` is
    the sum over the steps. A shipping step (``shipping_fen``) lowered the order's shipping fee.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    source = models.CharField(max_length=16)  # "level" | "coupon" | "points"
    ref = models.CharField(max_length=64, blank=True, default="")  # coupon public id, level name
    label = models.CharField(max_length=120, blank=True, default="")
    stage = models.PositiveSmallIntegerField()
    goods_fen = models.BigIntegerField(default=0)
    shipping_fen = models.BigIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)
    line_shares = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["stage", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(goods_fen__gte=0) & Q(shipping_fen__gte=0), name="order_discount_amounts_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "source", "ref"], name="order_discount_ref_idx")]

    def __str__(self) -> str:
        return f"{self.source}:{self.ref}"
