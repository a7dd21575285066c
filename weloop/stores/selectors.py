"""Reads for stores."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
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


def store_hours_on(store: Store, day: date) -> list[tuple[time, time]]:
    """The opening periods of ``day``: a dated exception replaces the weekly hours (closed = [])."""
    exception = store_exceptions(store).filter(date=day).first()
    if exception is not None:
        return [] if exception.is_closed else [(exception.opens, exception.closes)]  # type: ignore[list-item]
    return [(p.opens, p.closes) for p in store_periods(store) if p.weekday == day.weekday()]


def store_is_open(store: Store, at: datetime | None = None) -> bool:
    """Whether the store is open at ``at`` (now): active, and inside its hours or that day's exception.

    A store that came through ``stores_with_open_state`` answers from that read, without a query.
    """
    if at is None and hasattr(store, "open_now"):
        return bool(store.open_now)
    return _open_states([store], at)[store.pk]


def stores_with_open_state(stores: Iterable[Store], at: datetime | None = None) -> list[Store]:
    """Set ``open_now`` on every store, with one query for all their recent exceptions.

    Lists call this instead of ``store_is_open`` per row (a query per store). The weekly hours come
    from the ``opening_hours`` prefetch that ``store_list`` sets up.
    """
    stores = list(stores)
    states = _open_states(stores, at)
    for store in stores:
        store.open_now = states[store.pk]  # type: ignore[attr-defined]
    return stores


def _open_states(stores: list[Store], at: datetime | None) -> dict[int, bool]:
    local = timezone.localtime(at or clock.now())
    days = [local.date(), local.date() - timedelta(days=1)]
    active = [s for s in stores if s.status == StoreStatus.ACTIVE]
    exceptions: dict[int, dict[date, tuple[time, time] | None]] = defaultdict(dict)
    if active:
        rows = HoursException.objects.filter(merchant_id=active[0].merchant_id, store__in=active, date__in=days)
        for e in rows:
            exceptions[e.store_id][e.date] = None if e.is_closed else (e.opens, e.closes)  # type: ignore[assignment]
    naive = local.replace(tzinfo=None)
    states = {store.pk: False for store in stores}
    for store in active:
        states[store.pk] = is_open_at(naive, store_periods(store), exceptions[store.pk])
    return states


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres between two points in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def stores_nearest(
    *, merchant: Merchant, latitude: float, longitude: float, limit: int | None = 3, radius_km: float | None = None
) -> list[tuple[Store, float]]:
    """The merchant's stores that are not closed for good, nearest first, as (store, metres).

    Brute force over the merchant's stores (fine for a chain's few hundred); ``radius_km`` drops the
    farther ones, ``limit=None`` keeps all. Ties are broken by store id so the order is stable.
    """
    lat, lng = float(latitude), float(longitude)
    found = [
        (store, distance_m(lat, lng, float(store.latitude), float(store.longitude)))
        for store in store_list_public(merchant=merchant)
    ]
    if radius_km is not None:
        found = [(store, metres) for store, metres in found if metres <= radius_km * 1000]
    found.sort(key=lambda pair: (pair[1], pair[0].pk))
    return found if limit is None else found[:limit]
