"""Coupon templates, the coupons issued from them, and the merchant's price floor.

A ``CouponTemplate`` says what a coupon takes off (kind + amounts), when and where it applies
(validity, store and product scope as lists of public ids: stores, catalog and members share this
layer, so they are referenced by string only), how many may exist (``budget``: ``issued_count``
only grows through ``UPDATE … WHERE issued_count < budget`` and a CHECK backs it) and how it stacks
(``stacking_group``: at most one coupon per group in an order; ``combinable``: may sit beside
coupons of other groups).

A ``Coupon`` is one issued to one member, with a short code (unique per merchant) shown as QR in
the card pack. Its status moves through ``state.COUPON``. ``CouponHolding`` counts a member's
coupons of a template, so the per-member limit is a conditional UPDATE too.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.coupons.enums import Channel, CouponStatus, TemplateKind, TemplateStatus


class CouponTemplate(TenantModel):
    public_id = public_id_field("cpt_")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=TemplateKind.choices)
    status = models.CharField(max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.ACTIVE)
    # amount_off / threshold: fen off; shipping: the most of the shipping fee it waives.
    amount_fen = models.BigIntegerField(_("amount off"), default=0)
    # percent_off: the share taken off in basis points (2000 = 20 % off), at most cap_fen (0 = no cap).
    percent_bps = models.PositiveIntegerField(_("percent off (bp)"), default=0)
    cap_fen = models.BigIntegerField(_("at most"), default=0)
    # The least the eligible goods must come to (满 X); 0 = no threshold. Any kind may have one.
    threshold_fen = models.BigIntegerField(_("minimum spend"), default=0)
    free_sku_id = models.CharField(_("free SKU"), max_length=24, blank=True, default="")
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid for days after issue"), null=True, blank=True)
    store_ids = models.JSONField(_("stores"), default=list, blank=True)  # [] = every store
    product_ids = models.JSONField(_("products"), default=list, blank=True)  # [] = every product
    budget = models.PositiveIntegerField(_("total to give out"), null=True, blank=True)  # None = unlimited
    issued_count = models.PositiveIntegerField(default=0)
    used_count = models.PositiveIntegerField(default=0)
    per_member_limit = models.PositiveIntegerField(_("limit per member"), default=1)
    stacking_group = models.CharField(_("stacking group"), max_length=32, default="default")
    combinable = models.BooleanField(_("combinable with other groups"), default=True)
    claimable = models.BooleanField(_("members may claim it"), default=False)
    claim_token = models.CharField(max_length=24, default="", blank=True)
    is_birthday = models.BooleanField(_("birthday gift"), default=False)
    on_follow = models.BooleanField(_("give on follow"), default=False)
    on_first_payment = models.BooleanField(_("give after the first payment"), default=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="coupon_template_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "claim_token"], condition=~Q(claim_token=""), name="coupon_template_claim_token"
            ),
            models.CheckConstraint(condition=Q(kind__in=TemplateKind.values), name="coupon_template_kind_known"),
            models.CheckConstraint(condition=Q(status__in=TemplateStatus.values), name="coupon_template_status_known"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0) & Q(cap_fen__gte=0) & Q(threshold_fen__gte=0),
                name="coupon_template_money_not_negative",
            ),
            models.CheckConstraint(condition=Q(percent_bps__lte=10000), name="coupon_template_percent_at_most_all"),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(issued_count__lte=F("budget")),
                name="coupon_template_within_budget",
            ),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="coupon_template_limit_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def budget_left(self) -> int | None:
        return None if self.budget is None else self.budget - self.issued_count


class Coupon(TenantModel):
    public_id = public_id_field("cpn_")
    template = models.ForeignKey(CouponTemplate, on_delete=models.RESTRICT, related_name="coupons")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    code = models.CharField(max_length=12)
    status = models.CharField(max_length=16, choices=CouponStatus.choices, default=CouponStatus.AVAILABLE)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source_ref = models.CharField(max_length=100, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    issued_at = models.DateTimeField(default=clock.now)
    order_no = models.CharField(max_length=24, blank=True, default="")  # the order holding or using it
    used_at = models.DateTimeField(null=True, blank=True)
    used_store_id = models.CharField(max_length=24, blank=True, default="")  # counter redemption
    used_amount_fen = models.BigIntegerField(default=0)  # what it took off when used

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="coupon_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "code"], name="coupon_code_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "template", "member", "source_ref"],
                condition=~Q(source_ref=""),
                name="coupon_once_per_source_ref",
            ),
            models.CheckConstraint(condition=Q(status__in=CouponStatus.values), name="coupon_status_known"),
            models.CheckConstraint(condition=Q(used_amount_fen__gte=0), name="coupon_used_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["merchant", "member", "status"], name="coupon_member_idx"),
            models.Index(fields=["merchant", "order_no"], name="coupon_order_idx"),
            models.Index(fields=["status", "valid_until"], name="coupon_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class CouponHolding(TenantModel):
    """How many coupons of a template a member was given: the per-member limit's counter."""

    template = models.ForeignKey(CouponTemplate, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "template", "member"], name="coupon_holding_once"),
        ]


class PricingPolicy(TenantModel):
    """The merchant's floor: goods never cost less than max(floor_fen, floor_bps of the subtotal)."""

    floor_fen = models.BigIntegerField(_("minimum payable for goods"), default=1)
    floor_bps = models.PositiveIntegerField(_("minimum share of the subtotal (bp)"), default=0)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="pricing_policy_once_per_merchant"),
            models.CheckConstraint(condition=Q(floor_fen__gte=0), name="pricing_policy_floor_not_negative"),
            models.CheckConstraint(condition=Q(floor_bps__lte=10000), name="pricing_policy_share_at_most_all"),
        ]
