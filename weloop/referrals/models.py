"""Referrals (联盟营销): members share a link or poster, friends are bound to them for a while, and
paid orders of bound friends earn a two-level commission kept in an append-only ledger.

- ``Referrer``: a member's referral code (``?ref=<code>``) and standing (a blocked referrer earns
  nothing new and binds nobody).
- ``ReferralBinding``: visitor -> referrer, from ``bound_at`` until ``expires_at`` (the attribution
  window). The first binding wins: a member has at most one binding at a time, and the database
  refuses a second one with the same sequence number (concurrent landings produce one binding).
- ``CommissionEntry``: the ledger. Amounts are signed fen and never edited; a refund writes a new
  ``reverse`` entry, a payout a ``payout`` entry. One entry per (order, level, kind, source_ref).
- ``Statement``: what one referrer is paid in one go; its lines are the entries it took.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.referrals.enums import (
    BindingSource,
    EntryKind,
    EntryStatus,
    PayoutMethod,
    ReferrerStatus,
    StatementStatus,
)

MAX_BPS = 10_000


class ReferralSettings(TenantModel):
    """The merchant's programme: rates, the attribution window and the refund (freeze) window."""

    enabled = models.BooleanField(_("referrals enabled"), default=True)
    level1_bps = models.PositiveIntegerField(_("direct referrer rate (bp)"), default=500)
    level2_bps = models.PositiveIntegerField(_("second-level rate (bp)"), default=100)
    attribution_days = models.PositiveIntegerField(_("attribution window (days)"), default=30)
    freeze_days = models.PositiveIntegerField(_("refund window (days)"), default=7)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="referral_settings_once_per_merchant"),
            models.CheckConstraint(
                condition=Q(level1_bps__lte=MAX_BPS) & Q(level2_bps__lte=MAX_BPS), name="referral_settings_bps_range"
            ),
            models.CheckConstraint(
                condition=Q(attribution_days__gte=1) & Q(attribution_days__lte=3650), name="referral_attribution_range"
            ),
            models.CheckConstraint(condition=Q(freeze_days__lte=365), name="referral_freeze_range"),
        ]


class ProductRate(TenantModel):
    """A product whose commission differs from the merchant's rates (e.g. 0 on a loss leader)."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    level1_bps = models.PositiveIntegerField(_("direct referrer rate (bp)"))
    level2_bps = models.PositiveIntegerField(_("second-level rate (bp)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "product"], name="referral_product_rate_once"),
            models.CheckConstraint(
                condition=Q(level1_bps__lte=MAX_BPS) & Q(level2_bps__lte=MAX_BPS), name="referral_product_bps_range"
            ),
        ]


class Referrer(TenantModel):
    URL_KWARG = "referrer_id"

    public_id = public_id_field("rf_")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("referral code"), max_length=16)
    status = models.CharField(max_length=16, choices=ReferrerStatus.choices, default=ReferrerStatus.ACTIVE)
    blocked_reason = models.CharField(max_length=200, blank=True, default="")
    # The referrer's temporary WeChat parametric QR (channel ``ref:<code>``): following the service
    # account through it binds the new follower. Renewed when it nears its expiry.
    wechat_qr = models.ForeignKey("members.QrCode", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="referrer_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "code"], name="referrer_code_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "member"], name="referrer_once_per_member"),
            models.CheckConstraint(condition=Q(status__in=ReferrerStatus.values), name="referrer_status_known"),
        ]

    def __str__(self) -> str:
        return self.code


class ReferralBinding(TenantModel):
    URL_KWARG = "binding_id"

    public_id = public_id_field("rb_")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    referrer = models.ForeignKey(Referrer, on_delete=models.CASCADE, related_name="bindings")
    # The referrer's member, denormalised so the upline and loop walks are one query per step.
    referrer_member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    # 1 for the member's first binding, 2 after the first one expired, ...: two landings at once
    # both try the same number and the database keeps one.
    seq = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=16, choices=BindingSource.choices, default=BindingSource.LINK)
    bound_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-bound_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="referral_binding_public_id"),
            models.UniqueConstraint(fields=["merchant", "member", "seq"], name="referral_binding_one_at_a_time"),
            models.CheckConstraint(condition=~Q(member=models.F("referrer_member")), name="referral_binding_not_self"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("bound_at")), name="referral_binding_window"),
        ]
        indexes = [
            models.Index(fields=["merchant", "member", "-expires_at"], name="referral_binding_member_idx"),
            models.Index(fields=["merchant", "referrer_member"], name="referral_binding_upline_idx"),
        ]


class Statement(TenantModel):
    """A payout to one referrer: the sum of the available entries it took, paid by hand (cash/transfer)."""

    URL_KWARG = "statement_id"

    public_id = public_id_field("rs_")
    referrer = models.ForeignKey(Referrer, on_delete=models.RESTRICT, related_name="statements")
    total_fen = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=StatementStatus.choices, default=StatementStatus.OPEN)
    method = models.CharField(max_length=16, choices=PayoutMethod.choices, blank=True, default="")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.CharField(max_length=150, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="referral_statement_public_id"),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="referral_statement_total_positive"),
            models.CheckConstraint(condition=Q(status__in=StatementStatus.values), name="referral_statement_status"),
        ]

    def __str__(self) -> str:
        return self.public_id


class CommissionEntry(TenantModel):
    """One line of the commission ledger. ``amount_fen`` is signed and written once."""

    public_id = public_id_field("rc_")
    referrer = models.ForeignKey(Referrer, on_delete=models.RESTRICT, related_name="entries")
    order_no = models.CharField(max_length=24, blank=True, default="")  # "" for a payout
    level = models.PositiveSmallIntegerField(default=1)  # 1 direct, 2 second level, 0 payout
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    # What made this entry unique beside (order, level, kind): the refund number of a reversal,
    # the statement of a payout, "" for an accrual.
    source_ref = models.CharField(max_length=40, blank=True, default="")
    amount_fen = models.BigIntegerField()  # signed: accruals positive, reversals and payouts negative
    status = models.CharField(max_length=16, choices=EntryStatus.choices, default=EntryStatus.FROZEN)
    buyer = models.ForeignKey("members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    base_fen = models.BigIntegerField(default=0)  # goods paid (accrual) or goods refunded (reversal)
    rate_bps = models.PositiveIntegerField(default=0)  # the order-level rate (per-line rates in basis)
    basis = models.JSONField(default=list, blank=True)  # accrual: [{"line", "paid_fen", "bps"}]
    statement = models.ForeignKey(Statement, on_delete=models.SET_NULL, null=True, blank=True, related_name="lines")
    unfreeze_at = models.DateTimeField(null=True, blank=True)  # set when the order completes
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="referral_entry_public_id"),
            models.UniqueConstraint(
                fields=["merchant", "order_no", "level", "kind", "source_ref"], name="referral_entry_once"
            ),
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="referral_entry_kind_known"),
            models.CheckConstraint(condition=Q(status__in=EntryStatus.values), name="referral_entry_status_known"),
            models.CheckConstraint(
                condition=(Q(kind=EntryKind.ACCRUE) & Q(amount_fen__gte=0))
                | (~Q(kind=EntryKind.ACCRUE) & Q(amount_fen__lte=0)),
                name="referral_entry_sign_by_kind",
            ),
            models.CheckConstraint(condition=Q(level__lte=2), name="referral_entry_two_levels_at_most"),
            models.CheckConstraint(condition=Q(base_fen__gte=0), name="referral_entry_base_not_negative"),
        ]
        indexes = [
            models.Index(fields=["merchant", "referrer", "status"], name="referral_entry_balance_idx"),
            models.Index(fields=["status", "unfreeze_at"], name="referral_entry_unfreeze_idx"),
            models.Index(fields=["merchant", "order_no"], name="referral_entry_order_idx"),
        ]


class RefusedReferral(TenantModel):
    """How many ``?ref=`` landings were refused, per day and reason (the H5 ignores them silently)."""

    day = models.DateField()
    code = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day", "code"], name="referral_refusal_per_day"),
        ]
