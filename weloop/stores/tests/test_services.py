"""Store writes: validated whole, scoped to the merchant, nothing half-written on bad input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from weloop.core.errors import InvalidTransition, NotFound, ValidationFailed
from weloop.core.models import OutboxEvent, StateTransition
from weloop.core.state import history_of
from weloop.stores.enums import StoreStatus
from weloop.stores.errors import InvalidOpeningHours, StoreNameTaken
from weloop.stores.models import HoursException, OpeningHours, Store, StoreAssignment
from weloop.stores.services import (
    HoursInput,
    StoreInput,
    StorePatch,
    store_assign_staff,
    store_create,
    store_remove_exception,
    store_set_exception,
    store_set_status,
    store_update,
)
from weloop.stores.state import STORE
from weloop.tenants.enums import StaffRole


def _input(**overrides) -> StoreInput:
    values = {
        "name": "Futian flagship",
        "address": "1 Shennan Avenue",
        "city": "Shenzhen",
        "latitude": "22.543096",
        "longitude": "114.057865",
        "hours": [HoursInput(w, "08:00", "22:00") for w in range(7)],
    }
    return StoreInput(**{**values, **overrides})


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Store, OpeningHours, OutboxEvent, StateTransition))


def _hours(store: Store) -> list[tuple[int, str, str]]:
    rows = OpeningHours.objects.for_merchant(store.merchant).filter(store=store).order_by("weekday", "opens")
    return [(h.weekday, h.opens.strftime("%H:%M"), h.closes.strftime("%H:%M")) for h in rows]


# --- store_create ---------------------------------------------------------------------------


def test_store_create_cleans_the_input_and_publishes(merchant):
    data = _input(
        name="  Futian   flagship ",
        district=" Futian ",
        phone=" +86 (755) 1234-5678 ",
        latitude=22.5430961,
        longitude="114.057865",
        hours=[HoursInput(6, "22:00", "02:00"), HoursInput("0", "08:00", "12:00")],
    )

    store = store_create(merchant=merchant, data=data, actor="staff:1")

    store.refresh_from_db()
    assert store.public_id.startswith("st_") and len(store.public_id) == 13
    assert (store.name, store.district, store.phone) == ("Futian flagship", "Futian", "+86 (755) 1234-5678")
    assert (store.latitude, store.longitude) == (Decimal("22.543096"), Decimal("114.057865"))
    assert store.status == StoreStatus.ACTIVE
    assert _hours(store) == [(0, "08:00", "12:00"), (6, "22:00", "02:00")]
    event = OutboxEvent.objects.get(merchant=merchant, name="stores.store_created")
    assert event.payload == {"store_id": store.public_id, "actor": "staff:1"}


def test_store_create_without_hours_is_allowed(merchant):
    store = store_create(merchant=merchant, data=_input(hours=None), actor="t")

    assert _hours(store) == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"name": "   "}, "stores.invalid_store"),
        ({"name": "x" * 81}, "stores.invalid_store"),
        ({"address": ""}, "stores.invalid_store"),
        ({"city": None}, "stores.invalid_store"),
        ({"district": "d" * 41}, "stores.invalid_store"),
        ({"phone": "call me!"}, "stores.invalid_store"),
        ({"latitude": "nan"}, "stores.invalid_coordinates"),
        ({"latitude": float("nan")}, "stores.invalid_coordinates"),
        ({"longitude": "Infinity"}, "stores.invalid_coordinates"),
        ({"latitude": "91"}, "stores.invalid_coordinates"),
        ({"longitude": "-180.5"}, "stores.invalid_coordinates"),
        ({"latitude": None}, "stores.invalid_coordinates"),
        ({"latitude": "north"}, "stores.invalid_coordinates"),
        ({"hours": [HoursInput(0, "09:00", "12:00"), HoursInput(0, "11:00", "13:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput(6, "22:00", "03:00"), HoursInput(0, "02:00", "09:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput(0, "25:00", "26:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput(0, "09:00", "09:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput(7, "09:00", "10:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput("monday", "09:00", "10:00")]}, "stores.invalid_opening_hours"),
        ({"hours": [HoursInput(None, "09:00", "10:00")]}, "stores.invalid_opening_hours"),
    ],
)
def test_store_create_refuses_bad_input_and_writes_nothing(merchant, overrides, code):
    before = _counts()

    with pytest.raises(ValidationFailed) as excinfo:
        store_create(merchant=merchant, data=_input(**overrides), actor="t")

    assert excinfo.value.code == code
    assert excinfo.value.status == 400
    assert _counts() == before


def test_store_names_are_unique_per_merchant_only(merchant, other_merchant, store):
    before = _counts()

    with pytest.raises(StoreNameTaken) as excinfo:
        store_create(merchant=merchant, data=_input(name=store.name), actor="t")

    assert excinfo.value.code == "stores.name_taken"
    assert _counts() == before
    twin = store_create(merchant=other_merchant, data=_input(name=store.name), actor="t")
    assert (twin.merchant, twin.name) == (other_merchant, store.name)


# --- store_update ---------------------------------------------------------------------------


def test_store_update_changes_only_the_given_fields_and_publishes(merchant, store):
    old_longitude, old_updated = store.longitude, store.updated_at

    updated = store_update(
        merchant=merchant,
        public_id=store.public_id,
        patch=StorePatch(name="Futian  flagship 2", phone="", latitude="22.6", hours=[HoursInput(0, "10:00", "11:00")]),
        actor="staff:2",
    )

    fresh = Store.objects.get(pk=store.pk)
    assert (fresh.name, fresh.phone, fresh.address) == ("Futian flagship 2", "", "1 Shennan Avenue")
    assert (fresh.latitude, fresh.longitude) == (Decimal("22.600000"), old_longitude)
    assert fresh.updated_at >= old_updated
    assert updated.pk == store.pk
    assert _hours(fresh) == [(0, "10:00", "11:00")]
    event = OutboxEvent.objects.get(merchant=merchant, name="stores.store_updated")
    assert event.payload == {
        "store_id": store.public_id,
        "fields": ["name", "phone", "latitude", "longitude", "hours"],
        "actor": "staff:2",
    }


def test_store_update_with_an_empty_patch_keeps_everything(merchant, store):
    hours_before = _hours(store)

    store_update(merchant=merchant, public_id=store.public_id, patch=StorePatch(), actor="t")

    assert _hours(store) == hours_before
    assert Store.objects.get(pk=store.pk).name == store.name


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        (StorePatch(name="Second", hours=[HoursInput(1, "09:00", "10:00")]), "stores.name_taken"),
        (StorePatch(address="New address", hours=[HoursInput(1, "09:00", "9:00")]), "stores.invalid_opening_hours"),
        (StorePatch(city="Guangzhou", longitude="200"), "stores.invalid_coordinates"),
        (StorePatch(name=" ", hours=[HoursInput(2, "09:00", "10:00")]), "stores.invalid_store"),
        (
            StorePatch(hours=[HoursInput(3, "20:00", "04:00"), HoursInput(4, "03:00", "05:00")]),
            "stores.invalid_opening_hours",
        ),
    ],
)
def test_store_update_refuses_bad_input_and_writes_nothing(merchant, make_store, store, patch, code):
    make_store(merchant, name="Second")
    before, hours_before = _counts(), _hours(store)
    snapshot = Store.objects.filter(pk=store.pk).values().get()

    with pytest.raises(ValidationFailed) as excinfo:
        store_update(merchant=merchant, public_id=store.public_id, patch=patch, actor="t")

    assert excinfo.value.code == code
    assert Store.objects.filter(pk=store.pk).values().get() == snapshot
    assert _hours(store) == hours_before
    assert _counts() == before


def test_another_merchants_store_cannot_be_updated(store, other_merchant):
    with pytest.raises(NotFound):
        store_update(merchant=other_merchant, public_id=store.public_id, patch=StorePatch(name="Mine"), actor="t")

    assert Store.objects.get(pk=store.pk).name == "Futian flagship"


# --- store_set_status -----------------------------------------------------------------------


def test_store_set_status_moves_writes_history_and_publishes(merchant, store):
    store_set_status(merchant=merchant, public_id=store.public_id, status=StoreStatus.PAUSED, actor="a", reason="refit")

    assert Store.objects.get(pk=store.pk).status == StoreStatus.PAUSED
    (row,) = history_of(STORE, store)
    assert (row.from_status, row.to_status, row.reason, row.merchant_id) == ("active", "paused", "refit", merchant.pk)
    event = OutboxEvent.objects.get(name="stores.store_status_changed")
    assert event.payload == {"store_id": store.public_id, "status": "paused", "actor": "a"}


def test_store_set_status_refuses_a_forbidden_move_and_writes_nothing(merchant, store):
    store_set_status(merchant=merchant, public_id=store.public_id, status=StoreStatus.CLOSED, actor="a")
    before = _counts()

    with pytest.raises(InvalidTransition):
        store_set_status(merchant=merchant, public_id=store.public_id, status=StoreStatus.PAUSED, actor="a")

    assert Store.objects.get(pk=store.pk).status == StoreStatus.CLOSED
    assert _counts() == before


def test_another_merchant_cannot_change_a_stores_status(store, other_merchant):
    with pytest.raises(NotFound):
        store_set_status(merchant=other_merchant, public_id=store.public_id, status=StoreStatus.CLOSED, actor="x")

    assert Store.objects.get(pk=store.pk).status == StoreStatus.ACTIVE
    assert not history_of(STORE, store).exists()


# --- exceptions -----------------------------------------------------------------------------

NATIONAL_DAY = date(2026, 10, 1)


def test_store_set_exception_closes_a_day_then_replaces_it_with_special_hours(merchant, store):
    closed = store_set_exception(
        merchant=merchant, public_id=store.public_id, day=NATIONAL_DAY, is_closed=True, note="holiday"
    )
    assert (closed.is_closed, closed.opens, closed.note) == (True, None, "holiday")

    special = store_set_exception(
        merchant=merchant, public_id=store.public_id, day=NATIONAL_DAY, is_closed=False, opens="10:00", closes="02:00"
    )

    row = HoursException.objects.for_merchant(merchant).get(store=store)
    assert row.pk == special.pk == closed.pk
    assert (row.is_closed, row.opens.hour, row.closes.hour) == (False, 10, 2)


@pytest.mark.parametrize(
    ("opens", "closes"), [(None, "18:00"), ("10:00", None), ("10:00", "10:00"), ("10am", "6pm"), ("", "")]
)
def test_store_set_exception_refuses_bad_special_hours_and_writes_nothing(merchant, store, opens, closes):
    with pytest.raises(InvalidOpeningHours):
        store_set_exception(
            merchant=merchant, public_id=store.public_id, day=NATIONAL_DAY, is_closed=False, opens=opens, closes=closes
        )

    assert not HoursException.objects.exists()


def test_store_remove_exception_and_scoping(merchant, other_merchant, store):
    store_set_exception(merchant=merchant, public_id=store.public_id, day=NATIONAL_DAY, is_closed=True)

    with pytest.raises(NotFound):
        store_set_exception(merchant=other_merchant, public_id=store.public_id, day=NATIONAL_DAY, is_closed=True)
    with pytest.raises(NotFound):
        store_remove_exception(merchant=other_merchant, public_id=store.public_id, day=NATIONAL_DAY)
    assert HoursException.objects.count() == 1

    store_remove_exception(merchant=merchant, public_id=store.public_id, day=NATIONAL_DAY)
    assert not HoursException.objects.exists()


# --- assignments ----------------------------------------------------------------------------


def _assigned(staff) -> set[str]:
    return set(StoreAssignment.objects.filter(staff=staff).values_list("store__public_id", flat=True))


def test_store_assign_staff_sets_exactly_the_given_stores(merchant, make_store, make_staff, store):
    second = make_store(merchant, name="Nanshan")
    manager = make_staff(merchant, StaffRole.STORE_MANAGER)

    store_assign_staff(merchant=merchant, staff=manager, store_public_ids=[store.public_id, second.public_id])
    assert _assigned(manager) == {store.public_id, second.public_id}

    store_assign_staff(merchant=merchant, staff=manager, store_public_ids=[second.public_id, second.public_id])
    assert _assigned(manager) == {second.public_id}

    store_assign_staff(merchant=merchant, staff=manager, store_public_ids=[])
    assert _assigned(manager) == set()


def test_store_assign_staff_refuses_unknown_or_foreign_stores_and_changes_nothing(
    merchant, other_merchant, make_store, make_staff, store
):
    foreign = make_store(other_merchant, name="Rival store")
    clerk = make_staff(merchant, StaffRole.CLERK)
    store_assign_staff(merchant=merchant, staff=clerk, store_public_ids=[store.public_id])

    for bad in (["st_NOPE"], [store.public_id, foreign.public_id]):
        with pytest.raises(ValidationFailed) as excinfo:
            store_assign_staff(merchant=merchant, staff=clerk, store_public_ids=bad)
        assert excinfo.value.code == "stores.invalid_store"

    assert _assigned(clerk) == {store.public_id}


def test_store_assign_staff_refuses_another_merchants_staff(merchant, other_merchant, make_staff, store):
    # Before the fix, the service assigned a rival's staff member to this merchant's store.
    rival_clerk = make_staff(other_merchant, StaffRole.CLERK)

    with pytest.raises(NotFound):
        store_assign_staff(merchant=merchant, staff=rival_clerk, store_public_ids=[store.public_id])

    assert not StoreAssignment.objects.exists()
