"""Stock figures of a catalog CSV import arrive as an outbox event and become available stock."""

from __future__ import annotations

import pytest

from weloop.core.events import deliver_due, publish
from weloop.core.models import DeliveryStatus, OutboxDelivery
from weloop.inventory.enums import LocationKind, Movement, PoolKind
from weloop.inventory.handlers import STOCK_LEVELS_IMPORTED
from weloop.inventory.models import LedgerEntry, Location
from weloop.inventory.selectors import available_by_location, capacity_pool_find, ledger_balance, pool_balance

pytestmark = pytest.mark.django_db


def deliver(merchant, levels, job="imp_TEST000001"):
    publish(
        merchant=merchant, name=STOCK_LEVELS_IMPORTED, payload={"import_job": job, "actor": "ops", "levels": levels}
    )
    deliver_due()


def test_imported_levels_become_available_stock_and_unknown_locations_warehouses(merchant, warehouse):
    deliver(
        merchant,
        [
            {"sku": "sku_A", "location": "Main warehouse", "available": 12},
            {"sku": "sku_A", "location": "Overflow", "available": 3},
            {"sku": "sku_B", "location": "Main warehouse", "available": 0},
        ],
    )

    assert OutboxDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert available_by_location(merchant=merchant, subjects=["sku:sku_A", "sku:sku_B"]) == {
        "sku:sku_A": {"Main warehouse": 12, "Overflow": 3},
        "sku:sku_B": {"Main warehouse": 0},
    }
    assert Location.objects.get(merchant=merchant, name="Overflow").kind == LocationKind.WAREHOUSE
    pool = capacity_pool_find(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=warehouse)
    entry = LedgerEntry.objects.get(pool=pool)
    assert (entry.movement, entry.capacity_delta, entry.reason, entry.actor, entry.reference) == (
        Movement.ADJUST,
        12,
        "CSV import",
        "ops",
        "import:imp_TEST000001",
    )


def test_a_second_import_sets_the_new_figure_and_a_replay_changes_nothing(merchant, warehouse):
    levels = [{"sku": "sku_A", "location": "Main warehouse", "available": 12}]
    deliver(merchant, levels)
    deliver(merchant, [{"sku": "sku_A", "location": "Main warehouse", "available": 5}], job="imp_TEST000002")
    entries = LedgerEntry.objects.count()
    deliver(merchant, [{"sku": "sku_A", "location": "Main warehouse", "available": 5}], job="imp_TEST000002")

    pool = capacity_pool_find(merchant=merchant, kind=PoolKind.GOODS_STOCK, subject="sku:sku_A", location=warehouse)
    assert pool_balance(pool).available == 5
    assert LedgerEntry.objects.count() == entries
    assert ledger_balance(pool) == pool_balance(pool)


def test_levels_of_one_merchant_never_touch_another(merchant, other_merchant):
    deliver(other_merchant, [{"sku": "sku_A", "location": "Main warehouse", "available": 7}])

    assert available_by_location(merchant=merchant, subjects=["sku:sku_A"]) == {}
    assert available_by_location(merchant=other_merchant, subjects=["sku:sku_A"]) == {
        "sku:sku_A": {"Main warehouse": 7}
    }
