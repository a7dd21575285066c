"""Writes for stores: create, update, change status, set weekly hours and dated exceptions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.stores.calculations import Period, parse_coordinates, parse_time, validate_periods
from weloop.stores.errors import InvalidOpeningHours, InvalidStore, StoreNameTaken
from weloop.stores.models import HoursException, OpeningHours, Store, StoreAssignment
from weloop.stores.state import STORE
from weloop.tenants.models import Merchant, StaffMember

_PHONE = re.compile(r"^[0-9+\-() ]{3,32}$")
_EDITABLE = ("name", "address", "city", "district", "phone")


@dataclass
class HoursInput:
    weekday: int
    opens: str
    closes: str


@dataclass
class StoreInput:
    name: str
    address: str
    city: str
    latitude: object
    longitude: object
    district: str = ""
    phone: str = ""
    hours: Sequence[HoursInput] | None = None


@dataclass
class StorePatch:
    """Only the fields that are not None change."""

    name: str | None = None
    address: str | None = None
    city: str | None = None
    district: str | None = None
    phone: str | None = None
    latitude: object = None
    longitude: object = None
    hours: Sequence[HoursInput] | None = None
    changed: list[str] = field(default_factory=list)


def _clean_text(value: str, *, field_name: str, max_length: int, required: bool) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InvalidStore(f"{field_name} is required.", extra={"field": field_name})
    if len(text) > max_length:
        raise InvalidStore(f"{field_name} is longer than {max_length} characters.", extra={"field": field_name})
    return text


def _clean_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and not _PHONE.match(phone):
        raise InvalidStore("The phone number may contain digits, spaces, +, - and brackets.", extra={"field": "phone"})
    return phone


def _periods_from(hours: Sequence[HoursInput]) -> list[Period]:
    periods = []
    for i, h in enumerate(hours):
        try:
            weekday = int(h.weekday)
        except (TypeError, ValueError) as exc:
            raise InvalidOpeningHours("Weekday must be 0 (Monday) to 6 (Sunday).", extra={"index": i}) from exc
        periods.append(
            Period(
                weekday,
                parse_time(h.opens, field=f"hours[{i}].opens"),
                parse_time(h.closes, field=f"hours[{i}].closes"),
            )
        )
    return validate_periods(periods)


@transaction.atomic
def store_create(*, merchant: Merchant, data: StoreInput, actor: str) -> Store:
    """Create a store with its weekly hours. Raises InvalidStore, InvalidCoordinates,
    InvalidOpeningHours or StoreNameTaken; writes nothing when it raises. Emits stores.store_created."""
    latitude, longitude = parse_coordinates(data.latitude, data.longitude)
    periods = _periods_from(data.hours or [])
    store = Store(
        merchant=merchant,
        name=_clean_text(data.name, field_name="name", max_length=80, required=True),
        address=_clean_text(data.address, field_name="address", max_length=200, required=True),
        city=_clean_text(data.city, field_name="city", max_length=40, required=True),
        district=_clean_text(data.district, field_name="district", max_length=40, required=False),
        phone=_clean_phone(data.phone),
        latitude=latitude,
        longitude=longitude,
    )
    _save_unique_name(store)
    _replace_hours(store, periods)
    publish(merchant=merchant, name="stores.store_created", payload={"store_id": store.public_id, "actor": actor})
    return store


@transaction.atomic
def store_update(*, merchant: Merchant, public_id: str, patch: StorePatch, actor: str) -> Store:
    """Change the given fields of a store. Same errors as store_create. Emits stores.store_updated."""
    store = get_or_not_found(
        Store.objects.for_merchant(merchant).select_for_update(), what="store", public_id=public_id
    )
    changed = []
    limits = {"name": (80, True), "address": (200, True), "city": (40, True), "district": (40, False)}
    for name in _EDITABLE:
        value = getattr(patch, name)
        if value is None:
            continue
        if name == "phone":
            value = _clean_phone(value)
        else:
            max_length, required = limits[name]
            value = _clean_text(value, field_name=name, max_length=max_length, required=required)
        setattr(store, name, value)
        changed.append(name)
    if patch.latitude is not None or patch.longitude is not None:
        store.latitude, store.longitude = parse_coordinates(
            store.latitude if patch.latitude is None else patch.latitude,
            store.longitude if patch.longitude is None else patch.longitude,
        )
        changed += ["latitude", "longitude"]
    if patch.hours is not None:
        _replace_hours(store, _periods_from(patch.hours))
        changed.append("hours")
    store.updated_at = clock.now()
    _save_unique_name(store)
    publish(
        merchant=merchant,
        name="stores.store_updated",
        payload={"store_id": store.public_id, "fields": changed, "actor": actor},
    )
    return store


def _save_unique_name(store: Store) -> None:
    try:
        with transaction.atomic():
            store.save()
    except IntegrityError as exc:
        raise StoreNameTaken(extra={"name": store.name}) from exc


def _replace_hours(store: Store, periods: list[Period]) -> None:
    OpeningHours.objects.for_merchant(store.merchant).filter(store=store).delete()
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(merchant=store.merchant, store=store, weekday=p.weekday, opens=p.opens, closes=p.closes)
            for p in periods
        ]
    )


def store_set_status(*, merchant: Merchant, public_id: str, status: str, actor: str, reason: str = "") -> Store:
    """Open, pause or close a store through the store state machine. Emits stores.store_status_changed."""
    with transaction.atomic():
        store = get_or_not_found(
            Store.objects.for_merchant(merchant).select_for_update(), what="store", public_id=public_id
        )
        STORE.transition(store, status, actor=actor, reason=reason)
        publish(
            merchant=merchant,
            name="stores.store_status_changed",
            payload={"store_id": store.public_id, "status": status, "actor": actor},
        )
    return store


@transaction.atomic
def store_set_exception(
    *,
    merchant: Merchant,
    public_id: str,
    day: date,
    is_closed: bool,
    opens: str | None = None,
    closes: str | None = None,
    note: str = "",
) -> HoursException:
    """Close a store on ``day`` or give it special hours that day (replacing an earlier exception)."""
    store = get_or_not_found(Store.objects.for_merchant(merchant), what="store", public_id=public_id)
    opens_t = closes_t = None
    if not is_closed:
        if not opens or not closes:
            raise InvalidOpeningHours("Special hours need an opening and a closing time.")
        opens_t, closes_t = parse_time(opens, field="opens"), parse_time(closes, field="closes")
        if opens_t == closes_t:
            raise InvalidOpeningHours("A period must not start and end at the same time.")
    exception, _ = HoursException.objects.update_or_create(
        merchant=merchant,
        store=store,
        date=day,
        defaults={"is_closed": is_closed, "opens": opens_t, "closes": closes_t, "note": note[:100]},
    )
    return exception


def store_remove_exception(*, merchant: Merchant, public_id: str, day: date) -> None:
    store = get_or_not_found(Store.objects.for_merchant(merchant), what="store", public_id=public_id)
    HoursException.objects.for_merchant(merchant).filter(store=store, date=day).delete()


@transaction.atomic
def store_assign_staff(*, merchant: Merchant, staff: StaffMember, store_public_ids: Sequence[str]) -> None:
    """Limit ``staff`` to exactly these stores (an empty list lifts the limit)."""
    if staff.merchant_id != merchant.pk:  # another merchant's staff is as unknown as a missing one
        raise NotFound("No such staff member.", extra={"what": "staff member"})
    stores = list(Store.objects.for_merchant(merchant).filter(public_id__in=list(store_public_ids)))
    if len(stores) != len(set(store_public_ids)):
        raise InvalidStore("Unknown store in the assignment.", extra={"field": "stores"})
    StoreAssignment.objects.for_merchant(merchant).filter(staff=staff).delete()
    StoreAssignment.objects.bulk_create([StoreAssignment(merchant=merchant, staff=staff, store=s) for s in stores])
