"""Pre-sales (C2B 预售, 以销定产): members pay for a product before it is made; production starts
only when enough of them did by the deadline, otherwise everybody gets their money back.

``Presale`` is the offer (SKU, price, mode ``full`` or ``deposit``, target, deadline, optional
maximum). Its maximum is a capacity pool of the inventory engine (kind ``deal_quota``, subject
``presale:<public id>``; without a maximum the pool is as large as the service allows), so it is
never oversold: each join holds units with the order number as the reference and paying confirms
them. ``PresaleEntry`` is one participant's order (deposit or full price) and, in deposit mode,
their balance (a second order once the presale succeeded). Only paid entries count toward the
target (``paid_quantity``, changed under the presale's row lock).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.presales.enums import BalanceStatus, EntryStatus, PresaleMode, PresaleStatus


class Presale(TenantModel):
    URL_KWARG = "presale_id"

    public_id = public_id_field("ps_")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, default="")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, related_name="+")
    mode = models.CharField(_("mode"), max_length=16, choices=PresaleMode.choices, default=PresaleMode.FULL)
    price_fen = models.BigIntegerField(_("presale price"))
    # Deposit mode: paid when joining (per unit); the balance (price - deposit) after success.
    deposit_fen = models.BigIntegerField(_("deposit"), default=0)
    target_quantity = models.PositiveIntegerField(_("target quantity"))
    max_quantity = models.PositiveIntegerField(_("maximum quantity"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(_("limit per member"), default=5)
    deadline = models.DateTimeField(_("deadline"))
    balance_window_hours = models.PositiveIntegerField(_("hours to pay the balance"), default=72)
    lead_time_text = models.CharField(_("production and shipping time"), max_length=200, blank=True, default="")
    # Pickup at this store; without one the orders are delivered.
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    pool = models.ForeignKey("inventory.CapacityPool", on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(max_length=16, choices=PresaleStatus.choices, default=PresaleStatus.DRAFT)
    # How it ended: "succeeded", "failed" or "cancelled" ("" while draft or open).
    outcome = models.CharField(max_length=16, blank=True, default="")
    paid_quantity = models.PositiveIntegerField(default=0)
    final_quantity = models.PositiveIntegerField(null=True, blank=True)  # paid units when it was settled
    settled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="presale_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="presale_price_not_negative"),
            models.CheckConstraint(condition=Q(deposit_fen__gte=0), name="presale_deposit_not_negative"),
            models.CheckConstraint(
                condition=Q(deposit_fen__lte=models.F("price_fen")), name="presale_deposit_le_price"
            ),
            models.CheckConstraint(condition=Q(target_quantity__gt=0), name="presale_target_positive"),
            models.CheckConstraint(
                condition=Q(max_quantity__isnull=True) | Q(max_quantity__gte=models.F("target_quantity")),
                name="presale_max_at_least_target",
            ),
            models.CheckConstraint(condition=Q(per_member_limit__gt=0), name="presale_limit_positive"),
            models.CheckConstraint(condition=Q(status__in=PresaleStatus.values), name="presale_status_known"),
            models.CheckConstraint(condition=Q(mode__in=PresaleMode.values), name="presale_mode_known"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="presale_due_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def balance_fen(self) -> int:
        """The balance per unit (deposit mode); 0 in full mode."""
        return self.price_fen - self.deposit_fen if self.mode == PresaleMode.DEPOSIT else 0

    @property
    def pay_now_fen(self) -> int:
        """What a member pays per unit when joining."""
        return self.deposit_fen if self.mode == PresaleMode.DEPOSIT else self.price_fen

    @property
    def progress_bps(self) -> int:
        """Paid units over the target, in basis points (capped at 10000)."""
        quantity = self.paid_quantity if self.final_quantity is None else self.final_quantity
        return min(10_000, quantity * 10_000 // max(1, self.target_quantity))


class PresaleEntry(TenantModel):
    """One participant's order in a presale (and, in deposit mode, their balance)."""

    URL_KWARG = "entry_id"

    public_id = public_id_field("pse_")
    presale = models.ForeignKey(Presale, on_delete=models.RESTRICT, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=EntryStatus.choices, default=EntryStatus.PENDING_PAYMENT)
    counted = models.BooleanField(default=False)  # its units are in the presale's paid_quantity
    paid_at = models.DateTimeField(null=True, blank=True)
    # Refund on failure or cancellation: one OrderRefund, recorded here before payments is asked.
    refund_out_no = models.CharField(max_length=40, blank=True, default="")
    refund_attempts = models.PositiveIntegerField(default=0)
    refund_error = models.CharField(max_length=300, blank=True, default="")
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # Deposit mode, after success.
    balance_status = models.CharField(max_length=16, choices=BalanceStatus.choices, default=BalanceStatus.NONE)
    balance_fen = models.BigIntegerField(default=0)
    balance_due_at = models.DateTimeField(null=True, blank=True)
    balance_order = models.ForeignKey(
        "orders.Order", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="presale_entry_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "order"], name="presale_entry_once_per_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="presale_entry_quantity_positive"),
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="presale_entry_balance_not_negative"),
            models.CheckConstraint(condition=Q(status__in=EntryStatus.values), name="presale_entry_status_known"),
            models.CheckConstraint(
                condition=Q(balance_status__in=BalanceStatus.values), name="presale_entry_balance_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["presale", "status"], name="presale_entry_status_idx"),
            models.Index(fields=["balance_status", "balance_due_at"], name="presale_entry_balance_due_idx"),
        ]
