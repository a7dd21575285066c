"""Points, levels and stored value of a member.

``LoyaltySettings`` (one row per merchant) holds the earn rules, expiry, the value of a point at
checkout and the top-up bonus rules. ``Level`` rows are the merchant's levels, ordered by the growth
value needed. ``MemberAccount`` (one per member) carries the running totals: points balance, growth
value, the stored-value balance in fen and the current level; each is changed together with its
ledger row in one transaction and a CHECK keeps balances at or above zero.

``PointsEntry`` is the points ledger: one row per change, idempotent per (member, kind, ref).
Positive rows (earn, return, positive adjust) are *lots*: ``remaining`` says how much of the lot is
still unspent and ``expires_at`` when what remains lapses; spending consumes the lots that expire
first. ``ValueEntry`` is the stored-value ledger (amounts in fen, the direction given by the kind).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel


class PointsKind(models.TextChoices):
    EARN = "earn", _("earned")
    SPEND = "spend", _("spent")
    RETURN = "return", _("returned")
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjusted")


class ValueKind(models.TextChoices):
    TOPUP = "topup", _("top-up")
    BONUS = "bonus", _("top-up bonus")
    SPEND = "spend", _("payment")
    REFUND = "refund", _("refund")
    ADJUST = "adjust", _("adjustment")


class PayMethod(models.TextChoices):
    CASH = "cash", _("cash")
    CARD = "card", _("bank card")
    WECHAT = "wechat", _("WeChat Pay")
    NONE = "", _("none")


class LoyaltySettings(TenantModel):
    # Points earned per whole yuan paid (0 = none), per review, per daily sign-in.
    points_per_yuan = models.PositiveIntegerField(_("points per yuan paid"), default=1)
    points_per_review = models.PositiveIntegerField(_("points per review"), default=10)
    points_daily_signin = models.PositiveIntegerField(_("points per daily sign-in"), default=5)
    expiry_months = models.PositiveIntegerField(_("earned points expire after months (0 = never)"), default=12)
    fen_per_point = models.PositiveIntegerField(_("value of one point in fen"), default=1)
    max_points_share_bps = models.PositiveIntegerField(
        _("at most this share of goods paid with points (bp)"), default=5000
    )
    # [{"min_fen": 50000, "bonus_fen": 5000}, ...]: the largest min_fen at or below the top-up applies.
    topup_bonuses = models.JSONField(_("top-up bonuses"), default=list, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="loyalty_settings_once_per_merchant"),
            models.CheckConstraint(
                condition=Q(max_points_share_bps__lte=10000), name="loyalty_points_share_at_most_all"
            ),
        ]


class Level(TenantModel):
    public_id = public_id_field("lvl_")
    name = models.CharField(_("name"), max_length=40)
    # The growth value (fen paid, net of refunds) from which a member holds this level.
    growth_threshold = models.BigIntegerField(_("growth value from"), default=0)
    discount_bps = models.PositiveIntegerField(_("discount (bp)"), default=0)
    free_shipping = models.BooleanField(_("free shipping"), default=False)
    birthday_template_id = models.CharField(_("birthday gift coupon template"), max_length=24, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["growth_threshold", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="loyalty_level_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="loyalty_level_name_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "growth_threshold"], name="loyalty_level_threshold_per_merchant"
            ),
            models.CheckConstraint(condition=Q(growth_threshold__gte=0), name="loyalty_level_threshold_not_negative"),
            models.CheckConstraint(condition=Q(discount_bps__lte=10000), name="loyalty_level_discount_at_most_all"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberAccount(TenantModel):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    points_balance = models.BigIntegerField(default=0)
    growth = models.BigIntegerField(default=0)
    balance_fen = models.BigIntegerField(default=0)
    level = models.ForeignKey(Level, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_signin_on = models.DateField(null=True, blank=True)
    last_birthday_year = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "member"], name="loyalty_account_once_per_member"),
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="loyalty_points_not_negative"),
            models.CheckConstraint(condition=Q(growth__gte=0), name="loyalty_growth_not_negative"),
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="loyalty_balance_not_negative"),
        ]


class PointsEntry(TenantModel):
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=PointsKind.choices)
    delta = models.BigIntegerField()
    growth_delta = models.BigIntegerField(default=0)
    remaining = models.BigIntegerField(default=0)  # of a lot: still unspent
    expires_at = models.DateTimeField(null=True, blank=True)
    ref = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    balance_after = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "member", "kind", "ref"], condition=~Q(ref=""), name="loyalty_points_once_per_ref"
            ),
            models.CheckConstraint(condition=Q(kind__in=PointsKind.values), name="loyalty_points_kind_known"),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="loyalty_points_remaining_not_negative"),
        ]
        indexes = [
            models.Index(fields=["merchant", "member", "remaining"], name="loyalty_points_lots_idx"),
            models.Index(fields=["merchant", "expires_at"], name="loyalty_points_expiry_idx"),
        ]


class ValueEntry(TenantModel):
    public_id = public_id_field("sv_")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=ValueKind.choices)
    amount_fen = models.BigIntegerField()  # positive; ``credit`` says which way it went
    credit = models.BooleanField(default=True)
    balance_after_fen = models.BigIntegerField(default=0)
    method = models.CharField(max_length=8, choices=PayMethod.choices, blank=True, default="")
    ref = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="loyalty_value_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "member", "kind", "ref"], condition=~Q(ref=""), name="loyalty_value_once_per_ref"
            ),
            models.CheckConstraint(condition=Q(kind__in=ValueKind.values), name="loyalty_value_kind_known"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0) & Q(balance_after_fen__gte=0), name="loyalty_value_money_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["merchant", "member", "id"], name="loyalty_value_member_idx")]
