"""Store reads: always one merchant's stores, filtered as asked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import (
    store_exceptions,
    store_get,
    store_is_open,
    store_list,
    store_list_public,
    store_periods,
    stores_editable_by,
)
from weloop.stores.services import HoursInput, store_assign_staff, store_set_exception
from weloop.tenants.enums import StaffRole


@pytest.fixture
def three_stores(merchant, other_merchant, make_store):
    futian = make_store(merchant, name="Futian", city="Shenzhen", address="1 Shennan Avenue")
    nanshan = make_store(merchant, name="Nanshan", city="Shenzhen", address="9 Keyuan Road")
    tianhe = make_store(merchant, name="Tianhe", city="Guangzhou", address="5 Tianhe Road")
    make_store(other_merchant, name="Futian", city="Shenzhen")
    return futian, nanshan, tianhe


def test_store_list_is_scoped_and_filtered(merchant, three_stores):
    futian, nanshan, tianhe = three_stores
    Store.objects.filter(pk=nanshan.pk).update(status=StoreStatus.PAUSED)

    assert list(store_list(merchant=merchant)) == [futian, nanshan, tianhe]
    assert list(store_list(merchant=merchant, city="Shenzhen")) == [futian, nanshan]
    assert list(store_list(merchant=merchant, status=StoreStatus.PAUSED)) == [nanshan]
    assert list(store_list(merchant=merchant, search="nansh")) == [nanshan]
    assert list(store_list(merchant=merchant, search="road")) == [nanshan, tianhe]  # matches the address
    assert list(store_list(merchant=merchant, search="Futian", city="Guangzhou")) == []


def test_store_list_search_never_leaks_another_merchants_stores(merchant, other_merchant, three_stores):
    assert {s.merchant_id for s in store_list(merchant=merchant, search="Futian")} == {merchant.pk}
    assert [s.name for s in store_list(merchant=other_merchant, search="Road")] == []


def test_store_list_prefetches_hours(merchant, three_stores, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        hours = [len(store_periods(s)) for s in store_list(merchant=merchant)]

    assert hours == [7, 7, 7]


def test_store_list_public_hides_closed_stores_only(merchant, three_stores):
    futian, nanshan, tianhe = three_stores
    Store.objects.filter(pk=futian.pk).update(status=StoreStatus.CLOSED)
    Store.objects.filter(pk=nanshan.pk).update(status=StoreStatus.PAUSED)

    assert list(store_list_public(merchant=merchant)) == [nanshan, tianhe]


def test_store_get_is_a_404_for_another_merchants_or_a_missing_store(merchant, other_merchant, three_stores):
    futian = three_stores[0]

    assert store_get(merchant=merchant, public_id=futian.public_id) == futian
    for owner, public_id in ((other_merchant, futian.public_id), (merchant, "st_MISSING00"), (merchant, "")):
        with pytest.raises(NotFound):
            store_get(merchant=owner, public_id=public_id)


def test_stores_editable_by_follows_store_assignments(merchant, make_staff, three_stores):
    futian, nanshan, tianhe = three_stores
    manager = make_staff(merchant, StaffRole.STORE_MANAGER)

    assert list(stores_editable_by(staff=manager)) == [futian, nanshan, tianhe]

    store_assign_staff(merchant=merchant, staff=manager, store_public_ids=[nanshan.public_id])
    manager = type(manager).objects.get(pk=manager.pk)  # the assignment is cached per staff instance

    assert list(stores_editable_by(staff=manager)) == [nanshan]


# --- store_is_open --------------------------------------------------------------------------

# 2026-06-01 is a Monday; the project time zone is Asia/Shanghai (UTC+8).
MONDAY_10_LOCAL = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def night_store(merchant, make_store):
    hours = [HoursInput(d, "09:00", "18:00") for d in range(5)] + [HoursInput(6, "20:00", "02:00")]
    return make_store(merchant, name="Night owl", hours=hours)


def test_store_is_open_uses_local_time(night_store):
    assert store_is_open(night_store, MONDAY_10_LOCAL)
    assert not store_is_open(night_store, MONDAY_10_LOCAL + timedelta(hours=8))  # 18:00 local
    # Sunday 23:00 local and Monday 01:00 local (the tail of Sunday night)
    assert store_is_open(night_store, MONDAY_10_LOCAL - timedelta(hours=11))
    assert store_is_open(night_store, MONDAY_10_LOCAL - timedelta(hours=9))
    assert not store_is_open(night_store, MONDAY_10_LOCAL - timedelta(hours=7))  # Monday 03:00


def test_store_is_open_defaults_to_the_clock(night_store):
    with clock.frozen_at(MONDAY_10_LOCAL):
        assert store_is_open(night_store)
    with clock.frozen_at(MONDAY_10_LOCAL + timedelta(days=5)):  # Saturday
        assert not store_is_open(night_store)


def test_store_is_open_honours_exceptions(merchant, night_store):
    monday, sunday = date(2026, 6, 1), date(2026, 5, 31)
    store_set_exception(merchant=merchant, public_id=night_store.public_id, day=monday, is_closed=True)

    assert not store_is_open(night_store, MONDAY_10_LOCAL)
    assert store_is_open(night_store, MONDAY_10_LOCAL - timedelta(hours=9))  # Sunday's tail is Sunday's

    store_set_exception(merchant=merchant, public_id=night_store.public_id, day=sunday, is_closed=True)
    assert not store_is_open(night_store, MONDAY_10_LOCAL - timedelta(hours=9))
    assert [e.date for e in store_exceptions(night_store)] == [sunday, monday]
    assert [e.date for e in store_exceptions(night_store, from_day=monday)] == [monday]


@pytest.mark.parametrize("status", [StoreStatus.PAUSED, StoreStatus.CLOSED])
def test_a_paused_or_closed_store_is_never_open(night_store, status):
    Store.objects.filter(pk=night_store.pk).update(status=status)
    night_store.refresh_from_db()

    assert not store_is_open(night_store, MONDAY_10_LOCAL)
