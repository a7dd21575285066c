"""The capacity engine's services: locations, pools, holds, confirmation, release, expiry, returns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.models import StateTransition
from weloop.core.state import history_of
from weloop.inventory import gates
from weloop.inventory.enums import HoldStatus, LocationKind, Movement, PoolKind
from weloop.inventory.errors import (
    BelowCommitted,
    HoldAlreadyConfirmed,
    HoldNotActive,
    InsufficientCapacity,
    InvalidExpiry,
    InvalidLocation,
    InvalidPool,
    InvalidQuantity,
    LocationNameTaken,
    ReturnExceedsConsumed,
)
from weloop.inventory.models import CapacityPool, Hold, LedgerEntry, Location
from weloop.inventory.selectors import (
    available_by_location,
    available_total,
    holds_for_reference,
    ledger_balance,
    ledger_of,
    location_names,
    pool_balance,
)
from weloop.inventory.services import (
    capacity_adjust,
    capacity_hold,
    capacity_pool_get_or_create,
    capacity_return,
    capacity_set_available,
    hold_confirm,
    hold_release,
    holds_expire_due,
    location_create,
    location_for_store,
)
from weloop.inventory.state import HOLD

pytestmark = pytest.mark.django_db


def counters(pool):
    balance = pool_balance(pool)
    return (balance.capacity, balance.held, balance.consumed)


def assert_ledger_balances(pool):
    assert ledger_balance(pool) == pool_balance(pool)


# --- locations ------------------------------------------------------------------------------


def test_location_create_warehouse_and_store(merchant, store):
    warehouse = location_create(merchant=merchant, name="  Main   warehouse ")
    shop = location_for_store(merchant=merchant, store=store)

    assert (warehouse.name, warehouse.kind, warehouse.store) == ("Main warehouse", LocationKind.WAREHOUSE, None)
    assert (shop.name, shop.kind, shop.store_id) == (store.name, LocationKind.STORE, store.pk)
    assert location_for_store(merchant=merchant, store=store) == shop  # the same one, not a second
    assert location_names(merchant=merchant) == ["Futian flagship", "Main warehouse"]


def test_location_names_are_unique_per_merchant(merchant, other_merchant):
    location_create(merchant=merchant, name="Main")
    location_create(merchant=other_merchant, name="Main")  # another merchant may use the name

    with pytest.raises(LocationNameTaken):
        location_create(merchant=merchant, name="Main")
    assert Location.objects.for_merchant(merchant).count() == 1


def test_location_kind_and_store_must_agree(merchant, store):
    with pytest.raises(InvalidLocation):
        location_create(merchant=merchant, name="W", kind=LocationKind.WAREHOUSE, store=store)
    with pytest.raises(InvalidLocation):
        location_create(merchant=merchant, name="S", kind=LocationKind.STORE)
    with pytest.raises(InvalidLocation):
        location_create(merchant=merchant, name="", kind=LocationKind.WAREHOUSE)


def test_a_store_of_another_merchant_is_not_found(merchant, other_merchant, make_store):
    foreign = make_store(other_merchant, name="Rival shop")

    with pytest.raises(NotFound):
        location_for_store(merchant=merchant, store=foreign)


def test_store_location_takes_another_name_when_a_warehouse_has_the_store_name(merchant, store):
    location_create(merchant=merchant, name=store.name)

    shop = location_for_store(merchant=merchant, store=store)

    assert shop.name == f"{store.name} ({store.public_id})"


# --- pools ----------------------------------------------------------------------------------


def test_pool_get_or_create_writes_initial_capacity_to_the_ledger(merchant, warehouse):
    pool, created = capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=warehouse, initial_capacity=5
    )
    again, created_again = capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=warehouse, initial_capacity=99
    )

    assert (created, created_again) == (True, False)
    assert again.pk == pool.pk
    assert counters(pool) == (5, 0, 0)  # the second call's capacity is ignored
    (entry,) = ledger_of(merchant=merchant, pool=pool)
    assert (entry.movement, entry.capacity_delta) == (Movement.ADJUST, 5)


def test_pools_are_distinct_per_location_and_one_without_location(merchant, warehouse, store):
    shop = location_for_store(merchant=merchant, store=store)
    made = {
        capacity_pool_get_or_create(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:s", location=loc)[0].pk
        for loc in (warehouse, shop, None, None)
    }

    assert len(made) == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityPool.objects.create(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:s", location=None)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "stock"}, InvalidPool),
        ({"subject": "no-type"}, InvalidPool),
        ({"initial_capacity": -1}, InvalidQuantity),
        ({"initial_capacity": 2.5}, InvalidQuantity),
    ],
)
def test_pool_get_or_create_refuses_bad_input(merchant, kwargs, error):
    arguments = {"kind": PoolKind.DEAL_QUOTA, "subject": "deal:dl_1", **kwargs}

    with pytest.raises(error):
        capacity_pool_get_or_create(merchant=merchant, **arguments)
    assert not CapacityPool.objects.exists()


def test_another_merchants_pool_is_not_found(merchant, other_merchant, make_pool, later):
    foreign = make_pool(5, owner=other_merchant)

    with pytest.raises(NotFound):
        capacity_adjust(merchant=merchant, pool=foreign, delta=1, reason="r", actor="a")
    with pytest.raises(NotFound):
        capacity_hold(merchant=merchant, lines=[(foreign, 1)], expires_at=later)
    assert counters(foreign) == (5, 0, 0)


# --- adjust, set available, return ----------------------------------------------------------


def test_capacity_adjust_restocks_and_shrinks(merchant, pool):
    capacity_adjust(merchant=merchant, pool=pool, delta=5, reason="delivery", actor="clerk", reference="PO-1")
    capacity_adjust(merchant=merchant, pool=pool, delta=-3, reason="damaged", actor="clerk")

    assert counters(pool) == (12, 0, 0)
    entries = list(ledger_of(merchant=merchant, pool=pool).values_list("capacity_delta", "reason", "reference"))
    assert entries == [(10, "initial capacity", ""), (5, "delivery", "PO-1"), (-3, "damaged", "")]


def test_capacity_never_shrinks_below_held_plus_consumed(merchant, pool, later):
    (hold,) = capacity_hold(merchant=merchant, lines=[(pool, 4)], expires_at=later)
    hold_confirm(merchant=merchant, holds=[hold])
    capacity_hold(merchant=merchant, lines=[(pool, 3)], expires_at=later)

    with pytest.raises(BelowCommitted) as excinfo:
        capacity_adjust(merchant=merchant, pool=pool, delta=-4, reason="stocktake", actor="a")

    assert excinfo.value.code == "inventory.below_committed"
    assert excinfo.value.extra == {"pool": pool.public_id, "capacity": 10, "committed": 7, "delta": -4}
    assert counters(pool) == (10, 3, 4)
    capacity_adjust(merchant=merchant, pool=pool, delta=-3, reason="stocktake", actor="a")
    assert counters(pool) == (7, 3, 4)
    assert_ledger_balances(pool)


@pytest.mark.parametrize("delta", [0, 1.5, -0.5, True, "3"])
def test_capacity_adjust_refuses_bad_deltas(merchant, pool, delta):
    with pytest.raises(InvalidQuantity):
        capacity_adjust(merchant=merchant, pool=pool, delta=delta, reason="r", actor="a")
    assert counters(pool) == (10, 0, 0)


def test_capacity_set_available_keeps_what_is_held_and_sold(merchant, pool, later):
    (hold,) = capacity_hold(merchant=merchant, lines=[(pool, 2)], expires_at=later)
    hold_confirm(merchant=merchant, holds=[hold])
    capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)

    capacity_set_available(merchant=merchant, pool=pool, available=20, reason="count", actor="a")
    entries_before = LedgerEntry.objects.count()
    capacity_set_available(merchant=merchant, pool=pool, available=20, reason="count", actor="a")

    assert counters(pool) == (23, 1, 2)
    assert LedgerEntry.objects.count() == entries_before  # the same figure again writes nothing
    capacity_set_available(merchant=merchant, pool=pool, available=0, reason="count", actor="a")
    assert counters(pool) == (3, 1, 2)
    assert_ledger_balances(pool)


def test_capacity_return_puts_sold_units_back(merchant, pool, later):
    (hold,) = capacity_hold(merchant=merchant, lines=[(pool, 3)], expires_at=later, reference="O1")
    hold_confirm(merchant=merchant, holds=[hold])

    capacity_return(merchant=merchant, pool=pool, quantity=2, reason="refund", reference="O1")

    assert counters(pool) == (10, 0, 1)
    with pytest.raises(ReturnExceedsConsumed) as excinfo:
        capacity_return(merchant=merchant, pool=pool, quantity=2, reason="refund", reference="O1")
    assert excinfo.value.extra == {"pool": pool.public_id, "requested": 2, "consumed": 1}
    assert counters(pool) == (10, 0, 1)
    assert ledger_of(merchant=merchant, pool=pool).last().consumed_delta == -2
    assert_ledger_balances(pool)


# --- holds ----------------------------------------------------------------------------------


def test_capacity_hold_holds_units_and_writes_one_ledger_entry_per_line(merchant, pool, make_pool, later):
    other = make_pool(3)

    holds = capacity_hold(
        merchant=merchant, lines=[(pool, 4), (other, 3)], expires_at=later, reference="O7", actor="shop", reason="order"
    )

    assert [(h.pool_id, h.quantity, h.status) for h in holds] == [(pool.pk, 4, "held"), (other.pk, 3, "held")]
    assert counters(pool) == (10, 4, 0)
    assert counters(other) == (3, 3, 0)
    assert list(holds_for_reference(merchant=merchant, reference="O7")) == holds
    entry = ledger_of(merchant=merchant, pool=pool).last()
    assert (entry.movement, entry.held_delta, entry.hold, entry.reference, entry.actor) == (
        Movement.HOLD,
        4,
        holds[0],
        "O7",
        "shop",
    )


def test_capacity_hold_is_all_or_nothing(merchant, pool, make_pool, later):
    short = make_pool(2)

    with pytest.raises(InsufficientCapacity) as excinfo:
        capacity_hold(merchant=merchant, lines=[(pool, 4), (short, 3)], expires_at=later)

    assert excinfo.value.code == "inventory.insufficient"
    assert excinfo.value.status == 409
    assert excinfo.value.extra == {"pool": short.public_id, "requested": 3, "available": 2}
    assert counters(pool) == (10, 0, 0)  # the line that fitted was rolled back too
    assert not Hold.objects.exists()


def test_capacity_hold_to_the_last_unit_and_not_one_more(merchant, pool, later):
    capacity_hold(merchant=merchant, lines=[(pool, 10)], expires_at=later)

    with pytest.raises(InsufficientCapacity) as excinfo:
        capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)

    assert excinfo.value.extra["available"] == 0
    assert counters(pool) == (10, 10, 0)


def test_the_same_pool_twice_in_one_hold_counts_both_lines(merchant, pool, later):
    with pytest.raises(InsufficientCapacity):
        capacity_hold(merchant=merchant, lines=[(pool, 6), (pool, 5)], expires_at=later)

    holds = capacity_hold(merchant=merchant, lines=[(pool, 6), (pool, 4)], expires_at=later)
    assert [h.quantity for h in holds] == [6, 4]
    assert counters(pool) == (10, 10, 0)


@pytest.mark.parametrize("quantity", [0, -1, 1.0, 2.5, True, "1", None])
def test_capacity_hold_refuses_bad_quantities(merchant, pool, later, quantity):
    with pytest.raises(InvalidQuantity):
        capacity_hold(merchant=merchant, lines=[(pool, 1), (pool, quantity)], expires_at=later)
    assert counters(pool) == (10, 0, 0)


def test_capacity_hold_refuses_no_lines_and_past_or_naive_expiry(merchant, pool, later):
    with pytest.raises(InvalidQuantity):
        capacity_hold(merchant=merchant, lines=[], expires_at=later)
    with pytest.raises(InvalidExpiry):
        capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=clock.now() - timedelta(seconds=1))
    with pytest.raises(InvalidExpiry):
        capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later.replace(tzinfo=None))
    assert counters(pool) == (10, 0, 0)


def test_hold_confirm_moves_held_to_consumed_once(merchant, pool, later):
    holds = capacity_hold(merchant=merchant, lines=[(pool, 3), (pool, 2)], expires_at=later, reference="O1")

    confirmed = hold_confirm(merchant=merchant, holds=holds, actor="wechatpay", reason="paid")
    again = hold_confirm(merchant=merchant, holds=holds, actor="wechatpay", reason="paid")

    assert [h.status for h in confirmed] == [HoldStatus.CONFIRMED] * 2
    assert [h.status for h in again] == [HoldStatus.CONFIRMED] * 2
    assert all(h.settled_at is not None for h in Hold.objects.all())
    assert counters(pool) == (10, 0, 5)
    assert [e.movement for e in ledger_of(merchant=merchant, pool=pool)].count(Movement.CONFIRM) == 2
    assert history_of(HOLD, holds[0]).count() == 1
    assert_ledger_balances(pool)


def test_hold_confirm_of_an_expired_hold_fails_and_confirms_nothing(merchant, pool, later):
    fresh, stale = capacity_hold(merchant=merchant, lines=[(pool, 1), (pool, 2)], expires_at=later)
    Hold.objects.filter(pk=stale.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert holds_expire_due() == 1

    with pytest.raises(HoldNotActive) as excinfo:
        hold_confirm(merchant=merchant, holds=[fresh, stale])

    assert excinfo.value.extra == {"hold": stale.public_id, "status": HoldStatus.EXPIRED}
    assert Hold.objects.get(pk=fresh.pk).status == HoldStatus.HELD
    assert counters(pool) == (10, 1, 0)


def test_hold_release_is_idempotent_and_refuses_confirmed_holds(merchant, pool, later):
    (first,) = capacity_hold(merchant=merchant, lines=[(pool, 4)], expires_at=later)
    (paid,) = capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)
    hold_confirm(merchant=merchant, holds=[paid])

    hold_release(merchant=merchant, holds=[first], reason="cancelled")
    hold_release(merchant=merchant, holds=[first], reason="cancelled again")

    assert Hold.objects.get(pk=first.pk).status == HoldStatus.RELEASED
    assert counters(pool) == (10, 0, 1)
    assert [e.movement for e in ledger_of(merchant=merchant, pool=pool)].count(Movement.RELEASE) == 1
    with pytest.raises(HoldAlreadyConfirmed):
        hold_release(merchant=merchant, holds=[paid], reason="oops")
    assert counters(pool) == (10, 0, 1)


def test_holds_of_another_merchant_are_not_found(merchant, other_merchant, make_pool, later):
    foreign_pool = make_pool(5, owner=other_merchant)
    (foreign,) = capacity_hold(merchant=other_merchant, lines=[(foreign_pool, 1)], expires_at=later)

    with pytest.raises(NotFound):
        hold_confirm(merchant=merchant, holds=[foreign])
    with pytest.raises(NotFound):
        hold_release(merchant=merchant, holds=[foreign], reason="x")
    assert Hold.objects.get(pk=foreign.pk).status == HoldStatus.HELD


def test_releasing_units_lifts_a_sold_out_mark(merchant, pool, later, django_capture_on_commit_callbacks):
    (hold,) = capacity_hold(merchant=merchant, lines=[(pool, 10)], expires_at=later)
    gates.SOLD_OUT.mark(pool.pk)

    with django_capture_on_commit_callbacks(execute=True):
        hold_release(merchant=merchant, holds=[hold], reason="cancelled")

    assert not gates.SOLD_OUT.is_sold_out(pool.pk)


# --- expiry ---------------------------------------------------------------------------------


def test_holds_expire_due_expires_only_due_held_holds(merchant, pool, make_pool, later):
    other = make_pool(5)
    due_a, due_b, _not_due = capacity_hold(
        merchant=merchant, lines=[(pool, 2), (other, 1), (pool, 3)], expires_at=later
    )
    (paid,) = capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)
    hold_confirm(merchant=merchant, holds=[paid])
    Hold.objects.filter(pk__in=[due_a.pk, due_b.pk, paid.pk]).update(expires_at=clock.now() - timedelta(minutes=1))

    assert holds_expire_due() == 2
    assert holds_expire_due() == 0  # idempotent

    statuses = dict(Hold.objects.values_list("pk", "status"))
    assert statuses[due_a.pk] == statuses[due_b.pk] == HoldStatus.EXPIRED
    assert statuses[paid.pk] == HoldStatus.CONFIRMED
    assert counters(pool) == (10, 3, 1)
    assert counters(other) == (5, 0, 0)
    (transition,) = history_of(HOLD, due_a)
    assert (transition.from_status, transition.to_status, transition.actor) == ("held", "expired", "system")
    assert LedgerEntry.objects.filter(hold=due_a, movement=Movement.EXPIRE, held_delta=-2).count() == 1
    assert_ledger_balances(pool)
    assert_ledger_balances(other)


def test_holds_expire_due_respects_its_limit_and_a_moved_clock(merchant, pool, later):
    holds = capacity_hold(merchant=merchant, lines=[(pool, 1)] * 5, expires_at=later)

    assert holds_expire_due() == 0
    assert holds_expire_due(now=later, limit=3) == 3
    assert holds_expire_due(now=later, limit=3) == 2
    assert {h.status for h in Hold.objects.filter(pk__in=[h.pk for h in holds])} == {HoldStatus.EXPIRED}
    assert counters(pool) == (10, 0, 0)


def test_the_periodic_task_sweeps_expired_holds(merchant, pool, later):
    from weloop.inventory.tasks import holds_expire_sweep

    capacity_hold(merchant=merchant, lines=[(pool, 2)], expires_at=later)
    with clock.travel(timedelta(minutes=16)):
        swept = holds_expire_sweep.call_local()

    assert swept == 1
    assert counters(pool) == (10, 0, 0)


# --- the database's own guard ---------------------------------------------------------------


def test_the_check_constraint_refuses_an_oversold_pool_whatever_the_code_does(pool):
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityPool.objects.filter(pk=pool.pk).update(held=F("capacity") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityPool.objects.filter(pk=pool.pk).update(held=6, consumed=5)
    assert counters(pool) == (10, 0, 0)


def test_the_database_refuses_negative_counters_and_empty_holds(merchant, pool, later):
    with pytest.raises(IntegrityError), transaction.atomic():
        CapacityPool.objects.filter(pk=pool.pk).update(consumed=F("consumed") - 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(merchant=merchant, pool=pool, quantity=0, expires_at=later)


def test_one_active_claim_per_buyer_is_a_database_rule(merchant, pool, later):
    Hold.objects.create(merchant=merchant, pool=pool, quantity=1, expires_at=later, buyer_key="m1")

    with pytest.raises(IntegrityError), transaction.atomic():
        Hold.objects.create(merchant=merchant, pool=pool, quantity=1, expires_at=later, buyer_key="m1")
    Hold.objects.filter(buyer_key="m1").update(status=HoldStatus.EXPIRED)
    Hold.objects.create(merchant=merchant, pool=pool, quantity=1, expires_at=later, buyer_key="m1")
    assert Hold.objects.filter(buyer_key="m1").count() == 2


# --- selectors ------------------------------------------------------------------------------


def test_available_by_location_and_total(merchant, warehouse, store, later):
    shop = location_for_store(merchant=merchant, store=store)
    a, _ = capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=warehouse, initial_capacity=7
    )
    capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=shop, initial_capacity=2
    )
    capacity_hold(merchant=merchant, lines=[(a, 3)], expires_at=later)

    levels = available_by_location(merchant=merchant, subjects=["sku:sku_A", "sku:sku_B"])

    assert levels == {"sku:sku_A": {"Main warehouse": 4, store.name: 2}}
    assert available_total(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A") == 6
    assert available_total(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", locations=[shop]) == 2


def test_history_rows_belong_to_the_holds_merchant(merchant, pool, later):
    (hold,) = capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)
    hold_release(merchant=merchant, holds=[hold], reason="cancelled", actor="member")

    row = StateTransition.objects.get(machine="hold", object_pk=str(hold.pk))
    assert (row.merchant_id, row.from_status, row.to_status, row.actor, row.reason) == (
        merchant.pk,
        "held",
        "released",
        "member",
        "cancelled",
    )


def test_deleting_a_merchant_takes_its_inventory_with_it(make_merchant, later):
    doomed = make_merchant(name="Closing down").merchant
    warehouse = location_create(merchant=doomed, name="W")
    pool, _ = capacity_pool_get_or_create(
        merchant=doomed, kind=PoolKind.GOODS_STOCK, subject="sku:sku_Z", location=warehouse, initial_capacity=3
    )
    holds = capacity_hold(merchant=doomed, lines=[(pool, 1), (pool, 1)], expires_at=later)
    hold_confirm(merchant=doomed, holds=holds[:1])

    doomed.delete()

    assert not CapacityPool.objects.filter(pk=pool.pk).exists()
    assert not Hold.objects.filter(pk__in=[h.pk for h in holds]).exists()
    assert not LedgerEntry.objects.filter(pool_id=pool.pk).exists()


def test_a_pool_with_holds_or_ledger_cannot_be_deleted_on_its_own(pool, merchant, later):
    from django.db.models import RestrictedError

    capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later)

    with pytest.raises(RestrictedError):
        pool.delete()
    assert CapacityPool.objects.filter(pk=pool.pk).exists()
