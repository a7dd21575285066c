"""Deals (团购), the vouchers buying one issues, and every redemption as a ledger row.

A ``Deal`` sells one catalog SKU (a product of kind ``deal``); its quota is an inventory capacity
pool of kind ``deal_quota`` with subject ``deal:<public_id>``, held at checkout and confirmed on
payment like any stock. Catalog, inventory, stores and members share this layer, so they are
referenced by model name only and never imported.

A ``Voucher`` is one unit bought: a single-use voucher has 1 use, a punch card (次卡) N. Its code
is never stored in clear (see codes.py). ``uses_remaining`` only changes through a conditional
UPDATE (``… WHERE uses_remaining >= k``), so two counters scanning one code at once cannot both
take the last use; the CHECK constraints make any other path fail loudly.

A ``Redemption`` is one redemption of k uses at a store by someone, with the money it settles
(its share of the price paid and the commissions, fixed when it happened); an undo stamps
``undone_at`` and never deletes the row.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.vouchers.enums import DealStatus, VoucherKind, VoucherStatus


class Deal(TenantModel):
    public_id = public_id_field("dl_")
    name = models.CharField(_("name"), max_length=120)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(max_length=16, choices=DealStatus.choices, default=DealStatus.DRAFT)
    kind = models.CharField(_("kind"), max_length=16, choices=VoucherKind.choices, default=VoucherKind.SINGLE)
    uses_per_voucher = models.PositiveIntegerField(_("uses per voucher"), default=1)
    list_price_fen = models.BigIntegerField(_("list price"))
    deal_price_fen = models.BigIntegerField(_("deal price"))
    # Validity: a fixed window (valid_from … valid_until) or N days from purchase (valid_days).
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid for days after purchase"), null=True, blank=True)
    usage_rules = models.TextField(_("usage rules"), blank=True, default="")
    per_member_limit = models.PositiveIntegerField(_("limit per member"), null=True, blank=True)
    quota = models.PositiveIntegerField(_("quota"), default=0)
    platform_commission_bp = models.PositiveIntegerField(_("platform commission (bp)"), default=0)
    merchant_commission_bp = models.PositiveIntegerField(_("merchant commission (bp)"), default=0)
    refund_anytime = models.BooleanField(_("refund any time (随时退)"), default=True)
    refund_on_expiry = models.BooleanField(_("refund on expiry (过期退)"), default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="deal_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "sku"], name="deal_once_per_sku"),
            models.CheckConstraint(condition=Q(status__in=DealStatus.values), name="deal_status_known"),
            models.CheckConstraint(condition=Q(kind__in=VoucherKind.values), name="deal_kind_known"),
            models.CheckConstraint(condition=Q(deal_price_fen__gte=0), name="deal_price_not_negative"),
            models.CheckConstraint(condition=Q(list_price_fen__gte=F("deal_price_fen")), name="deal_list_not_below"),
            models.CheckConstraint(condition=Q(uses_per_voucher__gte=1), name="deal_uses_positive"),
            models.CheckConstraint(
                condition=Q(platform_commission_bp__lte=10000)
                & Q(merchant_commission_bp__lte=10000)
                & Q(platform_commission_bp__lte=10000 - F("merchant_commission_bp")),
                name="deal_commission_at_most_all",
            ),
            models.CheckConstraint(
                condition=(Q(valid_days__isnull=False) & Q(valid_until__isnull=True))
                | (Q(valid_days__isnull=True) & Q(valid_until__isnull=False)),
                name="deal_validity_fixed_or_relative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def quota_subject(self) -> str:
        return f"deal:{self.public_id}"


class DealStore(TenantModel):
    """A store where a deal's vouchers may be redeemed."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_stores")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "deal", "store"], name="deal_store_once")]


class Voucher(TenantModel):
    public_id = public_id_field("vc_")
    deal = models.ForeignKey(Deal, on_delete=models.RESTRICT, related_name="vouchers")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    kind = models.CharField(max_length=16, choices=VoucherKind.choices)
    status = models.CharField(max_length=16, choices=VoucherStatus.choices, default=VoucherStatus.ACTIVE)
    # Where it came from: one voucher per unit of an order line (``seq`` 1…quantity).
    order_no = models.CharField(max_length=32)
    order_line_id = models.CharField(max_length=24)
    seq = models.PositiveIntegerField()
    code_hash = models.CharField(max_length=64)
    code_sealed = models.CharField(max_length=120)
    code_tail = models.CharField(max_length=4)  # the last 4 characters, to tell vouchers apart in lists
    uses_total = models.PositiveIntegerField()
    uses_remaining = models.PositiveIntegerField()
    paid_fen = models.BigIntegerField()  # this voucher's share of what the line cost
    face_value_fen = models.BigIntegerField()  # the deal's list price
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    issued_at = models.DateTimeField(default=clock.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    refund_fen = models.BigIntegerField(default=0)  # what a refund of its unused uses returns
    refund_reason = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="voucher_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "code_hash"], name="voucher_code_once"),
            models.UniqueConstraint(fields=["merchant", "order_line_id", "seq"], name="voucher_once_per_unit"),
            models.CheckConstraint(condition=Q(status__in=VoucherStatus.values), name="voucher_status_known"),
            models.CheckConstraint(
                condition=Q(uses_remaining__lte=F("uses_total")), name="voucher_remaining_within_total"
            ),
            models.CheckConstraint(condition=Q(paid_fen__gte=0) & Q(refund_fen__gte=0), name="voucher_money_ok"),
        ]
        indexes = [
            models.Index(fields=["merchant", "member", "status"], name="voucher_member_idx"),
            models.Index(fields=["status", "valid_until"], name="voucher_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def uses_done(self) -> int:
        return self.uses_total - self.uses_remaining


class Redemption(TenantModel):
    public_id = public_id_field("rd_")
    voucher = models.ForeignKey(Voucher, on_delete=models.RESTRICT, related_name="redemptions")
    deal = models.ForeignKey(Deal, on_delete=models.RESTRICT, related_name="+")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, related_name="+")
    staff = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.CharField(max_length=150)
    count = models.PositiveIntegerField()
    # Fixed when redeemed: the uses' share of the list price and of the price paid, and commissions.
    face_value_fen = models.BigIntegerField()
    paid_fen = models.BigIntegerField()
    platform_commission_fen = models.BigIntegerField()
    merchant_commission_fen = models.BigIntegerField()
    redeemed_at = models.DateTimeField(default=clock.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="redemption_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(count__gte=1), name="redemption_count_positive"),
            models.CheckConstraint(
                condition=Q(platform_commission_fen__gte=0)
                & Q(merchant_commission_fen__gte=0)
                & Q(paid_fen__gte=F("platform_commission_fen") + F("merchant_commission_fen")),
                name="redemption_commission_within_paid",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "store", "redeemed_at"], name="redemption_settlement_idx")]

    def __str__(self) -> str:
        return self.public_id
