"""Flash-sale fixtures: the orders fixtures (product, SKU, members, clerk, pay) plus a sale maker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.flashsales import selectors
from weloop.flashsales import services as flash
from weloop.inventory import gates
from weloop.inventory.combining import close_all_claimers
from weloop.orders.tests.fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def _fresh_claimers():
    gates.SOLD_OUT._until.clear()
    gates.redis_gate.cache_clear()
    selectors.forget_cached_sales()
    yield
    close_all_claimers()
    gates.SOLD_OUT._until.clear()
    gates.redis_gate.cache_clear()
    selectors.forget_cached_sales()


@pytest.fixture
def make_sale(merchant, sku, store):
    def make(*, quota=3, limit=1, starts_in=timedelta(minutes=-1), lasts=timedelta(hours=1), pickup=True, **kw):
        starts_at = clock.now() + starts_in
        return flash.flash_sale_create(
            merchant=merchant,
            sku=sku,
            price_fen=kw.pop("price_fen", 990),
            starts_at=starts_at,
            ends_at=starts_at + lasts,
            quota=quota,
            per_member_limit=limit,
            store=store if pickup else None,
            actor="test",
            **kw,
        )

    return make
