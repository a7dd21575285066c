"""The attribution ledger: who is credited for each paid order, booking and redemption.

One ``AttributionEntry`` per fact, append-only: a refund or an undone redemption adds a reversing
entry (negative amount) with the same crediting as the entry it reverses; nothing is edited.
``key`` names the fact (``order_paid:O2026…``, ``order_refund:O2026…R01``, ``redemption:rd_…``):
unique per merchant, so an event delivered twice, or a backfill run again, writes nothing new.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.analytics.enums import EntryKind, SourceKind
from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel


class AttributionEntry(TenantModel):
    public_id = public_id_field("ae_")
    key = models.CharField(max_length=100)  # the fact recorded; unique per merchant
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    is_reversal = models.BooleanField(default=False)
    reverses = models.ForeignKey("self", on_delete=models.RESTRICT, null=True, blank=True, related_name="reversals")
    # Signed fen: orders what was paid (refunds negative); redemptions the price paid for the uses;
    # bookings the booked price. Only ``order`` amounts are money taken (see docs/store-attribution.md).
    amount_fen = models.BigIntegerField()
    # Signed: 1 order paid (0 for a refund), uses redeemed (negative when undone), 1 booking (-1 cancelled).
    units = models.IntegerField(default=0)
    reference = models.CharField(max_length=40)  # order number, redemption id or booking id
    # The crediting
    store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    guide = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.DIRECT)
    source = models.CharField(max_length=64, blank=True, default="")  # scene, table code, deal id or referrer
    qr_scene = models.CharField(max_length=64, blank=True, default="")
    table_code = models.CharField(max_length=32, blank=True, default="")
    deal_id = models.CharField(max_length=24, blank=True, default="")
    referrer = models.CharField(max_length=64, blank=True, default="")  # filled once referrals exist
    channel = models.CharField(max_length=64, blank=True, default="")
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="attribution_entry_key_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "public_id"], name="attribution_entry_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="attribution_entry_kind_known"),
            models.CheckConstraint(
                condition=Q(source_kind__in=SourceKind.values), name="attribution_entry_source_kind_known"
            ),
            # A credit is never negative and a reversal never positive.
            models.CheckConstraint(
                condition=(Q(is_reversal=False) & Q(amount_fen__gte=0) & Q(units__gte=0))
                | (Q(is_reversal=True) & Q(amount_fen__lte=0) & Q(units__lte=0)),
                name="attribution_entry_sign_follows_reversal",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "occurred_at"], name="attribution_merchant_time_idx"),
            models.Index(fields=["merchant", "store", "occurred_at"], name="attribution_store_time_idx"),
            models.Index(fields=["merchant", "guide", "occurred_at"], name="attribution_guide_time_idx"),
            models.Index(fields=["merchant", "reference"], name="attribution_reference_idx"),
        ]

    def __str__(self) -> str:
        return self.key
