"""Reads of the capacity engine: locations, pools, availability, holds and the ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from weloop.core.db import get_or_not_found
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool, Hold, LedgerEntry, Location
from weloop.tenants.models import Merchant


def location_list(*, merchant: Merchant, active_only: bool = False) -> QuerySet[Location]:
    locations = Location.objects.for_merchant(merchant)
    if active_only:
        locations = locations.filter(is_active=True)
    return locations.order_by("name", "id")


def location_get(*, merchant: Merchant, location_id: str) -> Location:
    return get_or_not_found(Location.objects.for_merchant(merchant), what="location", public_id=location_id)


def location_names(*, merchant: Merchant) -> list[str]:
    """The names a catalog CSV may use in its ``stock:<name>`` columns."""
    return list(location_list(merchant=merchant).values_list("name", flat=True))


def capacity_pool_get(*, merchant: Merchant, pool_id: str) -> CapacityPool:
    return get_or_not_found(
        CapacityPool.objects.for_merchant(merchant).select_related("location"), what="capacity pool", public_id=pool_id
    )


def capacity_pool_find(
    *, merchant: Merchant, kind: str, subject: str, location: Location | None = None
) -> CapacityPool | None:
    """The pool of (kind, subject, location), or None when nothing was ever stocked there."""
    return CapacityPool.objects.for_merchant(merchant).filter(kind=kind, subject=subject, location=location).first()


def capacity_pools_of(*, merchant: Merchant, kind: str, subjects: Iterable[str]) -> QuerySet[CapacityPool]:
    return (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=kind, subject__in=list(subjects))
        .select_related("location")
        .order_by("subject", "location__name", "id")
    )


def available_by_location(
    *, merchant: Merchant, subjects: Iterable[str], kind: str = PoolKind.GOODS_STOCK
) -> dict[str, dict[str, int]]:
    """``{subject: {location name: available}}`` for the pools of ``subjects`` that have a location.

    The catalog's CSV export is handed this (by a caller that sees both apps) to fill its
    ``stock:<location>`` columns.
    """
    levels: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=kind, subject__in=list(subjects), location__isnull=False)
        .values_list("subject", "location__name", "capacity", "held", "consumed")
    )
    for subject, location_name, capacity, held, consumed in rows:
        levels[subject][location_name] = capacity - held - consumed
    return dict(levels)


def sku_stock_by_location(*, merchant: Merchant, sku_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """``{sku public id: {location name: available}}``: the shape the catalog's CSV export takes."""
    levels = available_by_location(merchant=merchant, subjects=[sku_subject(sku_id) for sku_id in sku_ids])
    return {subject.removeprefix("sku:"): by_location for subject, by_location in levels.items()}


def available_total(*, merchant: Merchant, kind: str, subject: str, locations: Iterable[Location] | None = None) -> int:
    """Units of ``subject`` available now, summed over ``locations`` (all of them when None)."""
    pools = CapacityPool.objects.for_merchant(merchant).filter(kind=kind, subject=subject)
    if locations is not None:
        pools = pools.filter(location__in=list(locations))
    return sum(p.available for p in pools.only("capacity", "held", "consumed"))


def hold_get(*, merchant: Merchant, hold_id: str) -> Hold:
    return get_or_not_found(Hold.objects.for_merchant(merchant).select_related("pool"), what="hold", public_id=hold_id)


def holds_for_reference(*, merchant: Merchant, reference: str) -> QuerySet[Hold]:
    """The holds made for ``reference`` (an order number), oldest first."""
    return Hold.objects.for_merchant(merchant).filter(reference=reference).select_related("pool").order_by("id")


def ledger_of(*, merchant: Merchant, pool: CapacityPool) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.for_merchant(merchant).filter(pool=pool).select_related("hold").order_by("id")


@dataclass(frozen=True)
class Balance:
    capacity: int
    held: int
    consumed: int

    @property
    def available(self) -> int:
        return self.capacity - self.held - self.consumed


def ledger_balance(pool: CapacityPool) -> Balance:
    """The counters as the ledger has them: the sums of its deltas. They equal the pool's counters."""
    sums = LedgerEntry.objects.filter(pool_id=pool.pk).aggregate(
        capacity=Sum("capacity_delta"), held=Sum("held_delta"), consumed=Sum("consumed_delta")
    )
    return Balance(capacity=sums["capacity"] or 0, held=sums["held"] or 0, consumed=sums["consumed"] or 0)


def pool_balance(pool: CapacityPool) -> Balance:
    """The pool's counters as stored, read fresh."""
    capacity, held, consumed = CapacityPool.objects.filter(pk=pool.pk).values_list("capacity", "held", "consumed").get()
    return Balance(capacity=capacity, held=held, consumed=consumed)
