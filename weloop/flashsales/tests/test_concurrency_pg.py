"""Races on PostgreSQL with real threads: a crowd on a flash sale buys exactly the quota, once each."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.flashsales import services
from weloop.flashsales.models import FlashSaleClaim
from weloop.inventory.models import Hold
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders.models import Order

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_forty_threads_on_ten_units_sell_ten_to_ten_different_members(merchant, make_member, make_sale):
    sale = make_sale(quota=10)
    members = [make_member() for _ in range(30)]
    crowd = members + members[:10]  # ten members press twice, from two threads at once

    def buy(i: int) -> str:
        try:
            services.flash_sale_claim(merchant=merchant, sale=sale, member=crowd[i], actor="race")
            return "won"
        except WeloopError as exc:
            return exc.code

    results = race(buy, len(crowd))

    counts = Counter(results)
    assert counts["won"] == 10, results
    assert set(counts) <= {"won", "flashsales.sold_out", "flashsales.already_claimed"}, results
    balance = pool_balance(sale.pool)
    assert balance.held == 10 and balance.held + balance.consumed <= balance.capacity
    assert ledger_balance(sale.pool) == balance
    assert Hold.objects.filter(pool=sale.pool).count() == 10
    assert Order.objects.filter(channel="flash_sale").count() == 10
    duplicates = FlashSaleClaim.objects.values("member").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert FlashSaleClaim.objects.values("member").distinct().count() == 10
