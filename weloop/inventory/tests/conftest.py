"""Fixtures for the capacity engine's tests: locations and pools of the test merchant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.inventory import gates
from weloop.inventory.combining import close_all_claimers
from weloop.inventory.enums import PoolKind
from weloop.inventory.services import capacity_pool_get_or_create, location_create


@pytest.fixture(autouse=True)
def _fresh_gates():
    # Sold-out marks are per process and keyed by pool pk; a pk reused by the next test must not
    # inherit one.
    gates.SOLD_OUT._until.clear()
    gates.redis_gate.cache_clear()
    yield
    close_all_claimers()
    gates.SOLD_OUT._until.clear()
    gates.redis_gate.cache_clear()


@pytest.fixture
def warehouse(merchant):
    return location_create(merchant=merchant, name="Main warehouse")


@pytest.fixture
def make_pool(merchant):
    counter = iter(range(1, 10_000))

    def make(capacity: int = 10, *, kind: str = PoolKind.GOODS_STOCK, location=None, owner=None, subject=None):
        pool, created = capacity_pool_get_or_create(
            merchant=owner or merchant,
            kind=kind,
            subject=subject or f"sku:sku_TEST{next(counter):06d}",
            location=location,
            initial_capacity=capacity,
            actor="test",
        )
        assert created
        return pool

    return make


@pytest.fixture
def pool(make_pool, warehouse):
    return make_pool(10, location=warehouse)


@pytest.fixture
def later():
    """An expiry 15 minutes from now."""
    return clock.now() + timedelta(minutes=15)
