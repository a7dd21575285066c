"""Reads of flash sales: lists with sold/quota, one sale, and the claim path's cached sale."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models import QuerySet

from weloop.core.db import get_or_not_found
from weloop.flashsales.models import FlashSale, FlashSaleClaim
from weloop.inventory.models import CapacityPool
from weloop.members.models import Member
from weloop.tenants.models import Merchant

# The claim path reads its sale from here: one query per sale per process per second, not one per
# buyer. A cancellation is therefore seen within a second by every process (at once in this one).
CACHE_SECONDS = 1.0
_cache: dict[tuple[int, str], tuple[float, FlashSale]] = {}
_cache_lock = threading.Lock()


def _with_relations(qs: QuerySet[FlashSale]) -> QuerySet[FlashSale]:
    return qs.select_related("sku", "sku__product", "store", "pool")


def flash_sale_list(*, merchant: Merchant, status: str | None = None) -> QuerySet[FlashSale]:
    sales = _with_relations(FlashSale.objects.for_merchant(merchant))
    return sales.filter(status=status) if status else sales


def flash_sale_get(*, merchant: Merchant, public_id: str) -> FlashSale:
    return get_or_not_found(
        _with_relations(FlashSale.objects.for_merchant(merchant)), what="flash sale", public_id=public_id
    )


def flash_sale_for_claim(*, merchant: Merchant, public_id: str) -> FlashSale:
    """The sale (with SKU, product, store and pool), from a cache at most ``CACHE_SECONDS`` old."""
    key = (merchant.pk, str(public_id))
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    sale = flash_sale_get(merchant=merchant, public_id=str(public_id))
    with _cache_lock:
        _cache[key] = (now, sale)
    return sale


def forget_cached_sales() -> None:
    with _cache_lock:
        _cache.clear()


@dataclass(frozen=True)
class SaleCounts:
    quota: int
    held: int  # won, waiting for payment
    paid: int  # won and paid
    available: int

    @property
    def sold(self) -> int:
        return self.held + self.paid


def sale_counts(sale: FlashSale) -> SaleCounts:
    """What the sale's pool says now (fresh from the database)."""
    capacity, held, consumed = (
        CapacityPool.objects.filter(pk=sale.pool_id).values_list("capacity", "held", "consumed").get()
    )
    return SaleCounts(quota=capacity, held=held, paid=consumed, available=capacity - held - consumed)


def claims_of(*, merchant: Merchant, sale: FlashSale) -> QuerySet[FlashSaleClaim]:
    return FlashSaleClaim.objects.for_merchant(merchant).filter(sale=sale).select_related("member", "order")


def member_claim(*, merchant: Merchant, sale: FlashSale, member: Member) -> FlashSaleClaim | None:
    """The member's pending or paid claim of ``sale``, if any."""
    return claims_of(merchant=merchant, sale=sale).filter(member=member, status__in=["pending_payment", "paid"]).first()
