"""Reads that exist for console pages: the overview counts and the outbox views.

The outbox belongs to core, which knows nothing about pages; what the console shows of it is
decided here. Every query starts from ``for_merchant``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from weloop.core.db import get_or_not_found
from weloop.core.models import DeliveryStatus, OutboxDelivery, OutboxEvent
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.models import ApiKey, Merchant, StaffMember

RECENT_EVENTS = 50
DEAD_LETTERS = 100


@dataclass(frozen=True)
class Overview:
    stores_by_status: dict[str, int]
    staff_active: int
    api_keys_live: int
    outbox_pending: int
    outbox_dead: int

    @property
    def stores_total(self) -> int:
        return sum(self.stores_by_status.values())


def console_overview(*, merchant: Merchant) -> Overview:
    by_status = dict(
        Store.objects.for_merchant(merchant)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    deliveries = dict(
        OutboxDelivery.objects.for_merchant(merchant)
        .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DEAD])
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Overview(
        stores_by_status={status: by_status.get(status, 0) for status in StoreStatus.values},
        staff_active=StaffMember.objects.for_merchant(merchant).filter(is_active=True).count(),
        api_keys_live=ApiKey.objects.for_merchant(merchant).filter(revoked_at__isnull=True).count(),
        outbox_pending=deliveries.get(DeliveryStatus.PENDING, 0),
        outbox_dead=deliveries.get(DeliveryStatus.DEAD, 0),
    )


def recent_events(*, merchant: Merchant, limit: int = RECENT_EVENTS) -> list[OutboxEvent]:
    deliveries = OutboxDelivery.objects.for_merchant(merchant).order_by("id")
    return list(
        OutboxEvent.objects.for_merchant(merchant)
        .prefetch_related(Prefetch("deliveries", queryset=deliveries))
        .order_by("-id")[:limit]
    )


def dead_letters(*, merchant: Merchant, limit: int = DEAD_LETTERS) -> QuerySet[OutboxDelivery]:
    return (
        OutboxDelivery.objects.for_merchant(merchant)
        .filter(status=DeliveryStatus.DEAD)
        .select_related("event")
        .order_by("-id")[:limit]
    )


def delivery_get(*, merchant: Merchant, delivery_id: int) -> OutboxDelivery:
    return get_or_not_found(
        OutboxDelivery.objects.for_merchant(merchant).select_related("event"), what="delivery", id=delivery_id
    )
