"""One capacity engine: units that can be held with an expiry, confirmed and released.

A ``CapacityPool`` counts units of one subject at one place: goods stock of a SKU at a warehouse
or store, a time slot's seats, a deal's, coupon batch's or flash sale's quota. Its three counters
obey ``held + consumed <= capacity`` as a CHECK constraint: whatever a service does, the database
refuses to oversell. ``available = capacity - held - consumed``.

A ``Hold`` reserves units until ``expires_at``; confirming moves them from held to consumed (paid),
releasing or expiring gives them back. Every change of a counter writes ``LedgerEntry`` rows in the
same transaction, so each counter equals the sum of its column in the ledger.

Subjects are typed strings (``sku:sku_XXXXXXXXXX``), so inventory imports no other domain app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.inventory.enums import ACTIVE_HOLD_STATUSES, HoldStatus, LocationKind, Movement, PoolKind


def _public_id_without_own_index(prefix: str) -> models.CharField:
    field = public_id_field(prefix)
    field.db_index = False  # type: ignore[attr-defined]
    return field


class Location(TenantModel):
    """Where goods are: a warehouse, or a store (then ``store`` says which)."""

    public_id = public_id_field("loc_")
    kind = models.CharField(_("kind"), max_length=16, choices=LocationKind.choices, default=LocationKind.WAREHOUSE)
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="location_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="location_name_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "store"], condition=Q(store__isnull=False), name="location_once_per_store"
            ),
            models.CheckConstraint(
                condition=(Q(kind=LocationKind.STORE) & Q(store__isnull=False))
                | (Q(kind=LocationKind.WAREHOUSE) & Q(store__isnull=True)),
                name="location_store_iff_store_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CapacityPool(TenantModel):
    public_id = public_id_field("cap_")
    kind = models.CharField(max_length=24, choices=PoolKind.choices)
    subject = models.CharField(max_length=120)
    location = models.ForeignKey(Location, on_delete=models.RESTRICT, null=True, blank=True, related_name="pools")
    capacity = models.PositiveBigIntegerField(default=0)
    held = models.PositiveBigIntegerField(default=0)
    consumed = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="capacity_pool_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "kind", "subject", "location"],
                condition=Q(location__isnull=False),
                name="capacity_pool_once_per_location",
            ),
            # NULLs are distinct in a unique index: a pool without a location needs its own rule.
            models.UniqueConstraint(
                fields=["merchant", "kind", "subject"],
                condition=Q(location__isnull=True),
                name="capacity_pool_once_without_location",
            ),
            # The last line against oversell: no code path can commit more than capacity.
            models.CheckConstraint(condition=Q(held__gte=0), name="capacity_pool_held_not_negative"),
            models.CheckConstraint(condition=Q(consumed__gte=0), name="capacity_pool_consumed_not_negative"),
            models.CheckConstraint(
                condition=Q(capacity__gte=F("held") + F("consumed")), name="capacity_pool_never_oversold"
            ),
            models.CheckConstraint(condition=Q(kind__in=PoolKind.values), name="capacity_pool_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"

    @property
    def available(self) -> int:
        return self.capacity - self.held - self.consumed


class Hold(TenantModel):
    """Units of one pool reserved for ``reference`` (an order number) until ``expires_at``.

    ``buyer_key`` is set by per-buyer claims (flash sales): a partial unique index lets a buyer
    have at most one held or confirmed hold per pool; a released or expired hold frees the buyer.
    """

    # A flash sale inserts hundreds of holds per transaction, and every index and foreign-key check
    # costs on each row. So: no single-column index on merchant or public_id (the unique
    # (merchant, public_id) index serves lookups by public id), and no database foreign key on
    # merchant: the hold's merchant is its pool's (services copy it), and the pool's foreign key is
    # checked. Django still cascades a merchant's deletion to its holds.
    merchant = models.ForeignKey(
        "tenants.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    public_id = _public_id_without_own_index("hold_")
    pool = models.ForeignKey(CapacityPool, on_delete=models.RESTRICT, related_name="holds")
    quantity = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    expires_at = models.DateTimeField()
    reference = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    buyer_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    # When it left "held" (confirmed, released or expired).
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="hold_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "pool", "buyer_key"],
                condition=Q(buyer_key__isnull=False) & Q(status__in=[str(s) for s in ACTIVE_HOLD_STATUSES]),
                name="hold_one_active_claim_per_buyer",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="hold_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=HoldStatus.values), name="hold_status_known"),
        ]
        indexes = [
            # Partial indexes: the expiry sweep only looks for held holds, and only holds made for
            # an order are looked up by reference (a fresh flash-sale claim has none yet).
            models.Index(fields=["expires_at"], condition=Q(status=HoldStatus.HELD), name="hold_due_idx"),
            models.Index(fields=["merchant", "reference"], condition=~Q(reference=""), name="hold_reference_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id


class LedgerEntry(TenantModel):
    """One movement of a pool's counters. Never updated or deleted: a reversal is a new entry."""

    pool = models.ForeignKey(CapacityPool, on_delete=models.RESTRICT, related_name="ledger")
    hold = models.ForeignKey(Hold, on_delete=models.RESTRICT, null=True, blank=True, related_name="ledger")
    movement = models.CharField(max_length=16, choices=Movement.choices)
    capacity_delta = models.BigIntegerField(default=0)
    held_delta = models.BigIntegerField(default=0)
    consumed_delta = models.BigIntegerField(default=0)
    # A flash-sale batch writes one entry for all the holds it created; this says how many.
    hold_count = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True, default="")
    actor = models.CharField(max_length=150, blank=True, default="")
    reference = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["pool", "id"], name="ledger_pool_idx"),
            models.Index(fields=["merchant", "reference"], name="ledger_reference_idx"),
        ]
