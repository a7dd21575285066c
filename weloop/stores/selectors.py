"""Reads for stores."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.stores.calculations import Period, is_open_at
from weloop.stores.enums import StoreStatus
from weloop.stores.models import HoursException, OpeningHours, Store
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.permissions import assigned_store_ids


def store_list(
    *, merchant: Merchant, status: str | None = None, city: str | None = None, search: str | None = None
) -> QuerySet[Store]:
    stores = Store.objects.for_merchant(merchant).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens"))
    )
    if status:
        stores = stores.filter(status=status)
    if city:
        stores = stores.filter(city=city)
    if search:
        stores = stores.filter(name__icontains=search) | stores.filter(address__icontains=search)
    return stores.order_by("id")


def store_list_public(*, merchant: Merchant) -> QuerySet[Store]:
    """Stores a consumer can visit: not closed for good."""
    return store_list(merchant=merchant).exclude(status=StoreStatus.CLOSED)


def stores_editable_by(*, staff: StaffMember) -> QuerySet[Store]:
    scope = assigned_store_ids(staff)
    stores = store_list(merchant=staff.merchant)
    return stores.filter(pk__in=scope) if scope else stores


def store_get(*, merchant: Merchant, public_id: str) -> Store:
    return get_or_not_found(Store.objects.for_merchant(merchant), what="store", public_id=public_id)


def store_periods(store: Store) -> list[Period]:
    return [Period(h.weekday, h.opens, h.closes) for h in store.opening_hours.all()]


def store_exceptions(store: Store, *, from_day: date | None = None) -> QuerySet[HoursException]:
    exceptions = HoursException.objects.for_merchant(store.merchant).filter(store=store)
    if from_day:
        exceptions = exceptions.filter(date__gte=from_day)
    return exceptions.order_by("date")


def store_is_open(store: Store, at: datetime | None = None) -> bool:
    if store.status != StoreStatus.ACTIVE:
        return False
    local = timezone.localtime(at or clock.now())
    days = [local.date(), local.date() - timedelta(days=1)]
    exceptions: dict[date, tuple[time, time] | None] = {
        e.date: None if e.is_closed else (e.opens, e.closes)  # type: ignore[misc]
        for e in store_exceptions(store).filter(date__in=days)
    }
    return is_open_at(local.replace(tzinfo=None), store_periods(store), exceptions)
