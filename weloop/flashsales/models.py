"""Flash sales (限时抢购): a SKU at a flash price, for a time window, with a quota and a per-member limit.

The quota is a capacity pool of the inventory engine (kind ``flash_sale_quota``, subject
``flash:<sale public id>``): the CHECK constraint of CapacityPool makes overselling it impossible.
Winners are admitted by the engine's combining writer (``inventory.combining``); each winner gets
a real Order in ``pending_payment`` whose line holds one hold of that pool (the hold's reference is
the order number, so paying, cancelling and expiring the order confirm or release the unit with
the ordinary order services). ``FlashSaleClaim`` links sale, member and order; a partial unique
index allows one active (pending or paid) claim per member and sale.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.flashsales.enums import ACTIVE_CLAIM_STATUSES, ClaimStatus, FlashSaleStatus


class FlashSale(TenantModel):
    URL_KWARG = "sale_id"

    public_id = public_id_field("fs_")
    title = models.CharField(_("title"), max_length=120)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.RESTRICT, related_name="+")
    price_fen = models.BigIntegerField(_("flash price"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    quota = models.PositiveIntegerField(_("quota"))
    per_member_limit = models.PositiveIntegerField(_("limit per member"), default=1)
    # Pickup at this store; without one the orders are delivered.
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    pool = models.ForeignKey("inventory.CapacityPool", on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(max_length=16, choices=FlashSaleStatus.choices, default=FlashSaleStatus.SCHEDULED)
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="flash_sale_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="flash_sale_price_not_negative"),
            models.CheckConstraint(condition=Q(quota__gt=0), name="flash_sale_quota_positive"),
            models.CheckConstraint(condition=Q(per_member_limit__gt=0), name="flash_sale_limit_positive"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_window_ordered"),
            models.CheckConstraint(condition=Q(status__in=FlashSaleStatus.values), name="flash_sale_status_known"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="flash_sale_due_idx")]

    def __str__(self) -> str:
        return self.title


class FlashSaleClaim(TenantModel):
    """One winner: the member, the units, the order to pay (and its hold of the sale's pool)."""

    sale = models.ForeignKey(FlashSale, on_delete=models.RESTRICT, related_name="claims")
    member = models.ForeignKey("members.Member", on_delete=models.RESTRICT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    hold_id = models.CharField(max_length=24)  # inventory Hold public id
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING_PAYMENT)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            # 0 duplicate buyers, said by the database: one pending or paid claim per member and sale.
            models.UniqueConstraint(
                fields=["merchant", "sale", "member"],
                condition=Q(status__in=[str(s) for s in ACTIVE_CLAIM_STATUSES]),
                name="flash_sale_claim_once_per_member",
            ),
            models.UniqueConstraint(fields=["merchant", "order"], name="flash_sale_claim_once_per_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="flash_sale_claim_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="flash_sale_claim_status_known"),
        ]
