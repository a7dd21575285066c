"""Reads of bookings: services, resources, slots and their availability, bookings, leads, reservations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from weloop.bookings.calculations import minute, slot_count, slot_starts, store_windows
from weloop.bookings.enums import ACTIVE_BOOKING_STATUSES
from weloop.bookings.errors import InvalidService, InvalidSlot, OutsideOpeningHours, SlotInPast
from weloop.bookings.models import (
    Booking,
    Lead,
    Reservation,
    Resource,
    ScheduleException,
    ScheduleRule,
    Service,
    ServiceStore,
)
from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import store_hours_on
from weloop.tenants.models import Merchant

MAX_DAYS_AHEAD = 90


def service_list(*, merchant: Merchant, active_only: bool = False) -> QuerySet[Service]:
    qs = Service.objects.for_merchant(merchant).prefetch_related("stores")
    return qs.filter(is_active=True) if active_only else qs


def service_get(*, merchant: Merchant, public_id: str, lock: bool = False) -> Service:
    qs = Service.objects.for_merchant(merchant).select_related("sku")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_or_not_found(qs, what="service", public_id=public_id)


def service_store_ids(service: Service) -> set[int]:
    return set(ServiceStore.objects.filter(service=service).values_list("store_id", flat=True))


def services_at(*, merchant: Merchant, store: Store) -> QuerySet[Service]:
    return Service.objects.for_merchant(merchant).filter(is_active=True, service_stores__store=store)


def resource_list(*, merchant: Merchant, store: Store | None = None) -> QuerySet[Resource]:
    qs = Resource.objects.for_merchant(merchant).select_related("store").prefetch_related("schedule")
    return qs.filter(store=store) if store is not None else qs


def resource_get(*, merchant: Merchant, public_id: str, lock: bool = False) -> Resource:
    qs = Resource.objects.for_merchant(merchant).select_related("store")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_or_not_found(qs, what="resource", public_id=public_id)


def resource_exceptions(resource: Resource) -> QuerySet[ScheduleException]:
    return ScheduleException.objects.filter(resource=resource, date__gte=timezone.localdate()).order_by("date")


def resource_has_future_bookings(resource: Resource) -> bool:
    return Booking.objects.filter(
        resource=resource, status__in=ACTIVE_BOOKING_STATUSES, ends_at__gt=clock.now()
    ).exists()


def slot_subject(resource: Resource, starts_at: datetime) -> str:
    """The inventory subject of one slot: ``slot:<resource id>:<local YYYYMMDDHHMM>``."""
    return f"slot:{resource.public_id}:{timezone.localtime(starts_at):%Y%m%d%H%M}"


def booking_slot_subjects(booking: Booking) -> list[str]:
    resource = booking.resource
    n = slot_count(booking.service.duration_minutes, resource.slot_minutes)
    return [slot_subject(resource, booking.starts_at + timedelta(minutes=i * resource.slot_minutes)) for i in range(n)]


def future_slot_pools(resource: Resource) -> list[CapacityPool]:
    prefix = f"slot:{resource.public_id}:"
    now_key = f"{prefix}{timezone.localtime(clock.now()):%Y%m%d%H%M}"
    return list(
        CapacityPool.objects.filter(
            merchant_id=resource.merchant_id, kind=PoolKind.TIME_SLOT, subject__startswith=prefix, subject__gte=now_key
        ).order_by("pk")
    )


def work_windows(resource: Resource, day: date) -> list[tuple[int, int]]:
    """The resource's working minutes on ``day``: that day's exception, else its weekly shifts."""
    exception = ScheduleException.objects.filter(resource=resource, date=day).first()
    if exception is not None:
        if exception.is_off:
            return []
        return [(minute(exception.starts), minute(exception.ends))]  # type: ignore[arg-type]
    rules = ScheduleRule.objects.filter(resource=resource, weekday=day.weekday()).order_by("starts")
    return [(minute(r.starts), minute(r.ends)) for r in rules]


def open_windows(store: Store, day: date) -> list[tuple[int, int]]:
    if store.status != StoreStatus.ACTIVE:
        return []
    return store_windows(store_hours_on(store, day), store_hours_on(store, day - timedelta(days=1)))


def _at(day: date, minutes: int) -> datetime:
    naive = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def check_bookable(*, merchant: Merchant, service: Service, resource: Resource, starts_at: datetime) -> datetime:
    """Refuse a booking that does not fit, most specific reason first; returns the start, normalised."""
    if service.merchant_id != merchant.pk or resource.merchant_id != merchant.pk:
        raise InvalidService("No such service or resource.")
    if not service.is_active or not resource.is_active:
        raise InvalidService("This service or resource is not bookable now.", extra={"field": "service"})
    if resource.kind != service.resource_kind:
        raise InvalidService("This resource does not give this service.", extra={"field": "resource"})
    if resource.store_id not in service_store_ids(service):
        raise InvalidService("This service is not offered at this store.", extra={"field": "store"})
    if starts_at is None or starts_at.tzinfo is None:
        raise InvalidSlot("Give the start with its time zone.", extra={"field": "starts_at"})
    local = timezone.localtime(starts_at)
    if local.second or local.microsecond:
        raise InvalidSlot(extra={"starts_at": local.isoformat()})
    if starts_at <= clock.now():
        raise SlotInPast(extra={"starts_at": local.isoformat()})
    if local.date() > timezone.localdate() + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidSlot(f"Book at most {MAX_DAYS_AHEAD} days ahead.", extra={"starts_at": local.isoformat()})
    day = local.date()
    start = minute(local.time())
    end = start + service.duration_minutes
    windows = open_windows(resource.store, day)
    if end > 1440 or not any(ws <= start and end <= we for ws, we in windows):
        raise OutsideOpeningHours(extra={"starts_at": local.isoformat(), "store": resource.store.public_id})
    starts = slot_starts(
        work_windows(resource, day), windows, slot_minutes=resource.slot_minutes, duration=service.duration_minutes
    )
    if start not in starts:
        raise InvalidSlot(extra={"starts_at": local.isoformat(), "resource": resource.public_id})
    return _at(day, start)


@dataclass(frozen=True)
class Slot:
    resource: Resource
    starts_at: datetime
    ends_at: datetime
    available: int


def slots_for(
    *, merchant: Merchant, service: Service, store: Store, day: date, resource: Resource | None = None
) -> list[Slot]:
    """Every start on ``day`` where ``service`` fits at ``store`` (per resource), with how many
    more bookings each can take (0: full). Past starts are left out."""
    if store.merchant_id != merchant.pk or store.pk not in service_store_ids(service) or not service.is_active:
        return []
    resources = (
        [resource]
        if resource is not None
        else list(resource_list(merchant=merchant, store=store).filter(kind=service.resource_kind, is_active=True))
    )
    windows = open_windows(store, day)
    now = clock.now()
    plan: list[tuple[Resource, datetime, list[str]]] = []
    for res in resources:
        if res.store_id != store.pk or res.kind != service.resource_kind:
            continue
        n = slot_count(service.duration_minutes, res.slot_minutes)
        for start in slot_starts(
            work_windows(res, day), windows, slot_minutes=res.slot_minutes, duration=service.duration_minutes
        ):
            at = _at(day, start)
            if at <= now:
                continue
            subjects = [slot_subject(res, at + timedelta(minutes=i * res.slot_minutes)) for i in range(n)]
            plan.append((res, at, subjects))
    wanted = {s for _, _, subjects in plan for s in subjects}
    free = {
        p.subject: p.available
        for p in CapacityPool.objects.for_merchant(merchant).filter(kind=PoolKind.TIME_SLOT, subject__in=wanted)
    }
    return [
        Slot(
            res, at, at + timedelta(minutes=service.duration_minutes), min(free.get(s, res.capacity) for s in subjects)
        )
        for res, at, subjects in plan
    ]


def booking_list(
    *,
    merchant: Merchant,
    store: Store | None = None,
    status: str = "",
    day: date | None = None,
    member: Any = None,
    store_ids: Any = None,
) -> QuerySet[Booking]:
    qs = Booking.objects.for_merchant(merchant).select_related("service", "resource", "store", "member")
    if store is not None:
        qs = qs.filter(store=store)
    if store_ids:
        qs = qs.filter(store_id__in=store_ids)
    if status:
        qs = qs.filter(status=status)
    if member is not None:
        qs = qs.filter(member=member)
    if day is not None:
        qs = qs.filter(starts_at__gte=_at(day, 0), starts_at__lt=_at(day + timedelta(days=1), 0))
    return qs


def booking_get(*, merchant: Merchant, public_id: str, lock: bool = False) -> Booking:
    qs = Booking.objects.for_merchant(merchant).select_related(
        "service", "resource", "resource__store", "store", "member"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    return get_or_not_found(qs, what="booking", public_id=public_id)


def lead_list(*, merchant: Merchant, status: str = "") -> QuerySet[Lead]:
    qs = Lead.objects.for_merchant(merchant).select_related("member", "store", "booking")
    return qs.filter(status=status) if status else qs


def lead_get(*, merchant: Merchant, public_id: str) -> Lead:
    return get_or_not_found(
        Lead.objects.for_merchant(merchant).select_related("member", "store", "booking"),
        what="lead",
        public_id=public_id,
    )


def reservation_list(
    *, merchant: Merchant, status: str = "", store: Store | None = None, store_ids: Any = None, member: Any = None
) -> QuerySet[Reservation]:
    qs = Reservation.objects.for_merchant(merchant).select_related("member", "store", "sku", "sku__product")
    if status:
        qs = qs.filter(status=status)
    if store is not None:
        qs = qs.filter(store=store)
    if store_ids:
        qs = qs.filter(store_id__in=store_ids)
    if member is not None:
        qs = qs.filter(member=member)
    return qs


def reservation_get(*, merchant: Merchant, public_id: str) -> Reservation:
    return get_or_not_found(
        Reservation.objects.for_merchant(merchant).select_related("member", "store", "sku", "sku__product"),
        what="reservation",
        public_id=public_id,
    )
