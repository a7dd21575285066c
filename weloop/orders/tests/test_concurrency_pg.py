"""Races on PostgreSQL, with real threads and connections: the last units and the pickup counter."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.inventory.models import Hold
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders import services
from weloop.orders.models import Order
from weloop.orders.services import Fulfilment, LineInput

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_twenty_buyers_checking_out_the_last_five_units_make_five_orders(merchant, make_member, sku, stock, delivery):
    pool = stock(sku, 5)
    members = [make_member() for _ in range(20)]

    def buy(i: int) -> str:
        try:
            services.checkout_place(
                merchant=merchant,
                member=members[i],
                lines=[LineInput(sku.public_id, 1)],
                fulfilment=delivery,
                actor="race",
            )
            return "placed"
        except WeloopError as exc:
            return exc.code

    results = race(buy, 20)

    assert Counter(results) == Counter({"placed": 5, "orders.insufficient_stock": 15}), results
    assert Order.objects.count() == 5 and Hold.objects.count() == 5
    assert pool_balance(pool).held == 5
    assert ledger_balance(pool) == pool_balance(pool)


def test_two_counters_verifying_one_pickup_code_hand_over_once(merchant, member, sku, stock, store, clerk, pay):
    stock(sku, 2, store=store)
    order = services.checkout_place(
        merchant=merchant,
        member=member,
        lines=[LineInput(sku.public_id, 1)],
        fulfilment=Fulfilment(type="pickup", store=store),
        actor="t",
    )
    pay(order)
    _, code = services.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="t")

    def verify(i: int) -> str:
        try:
            services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)
            return "completed"
        except WeloopError as exc:
            return exc.code

    results = race(verify, 2)

    assert sorted(results) == ["completed", "orders.invalid_pickup_code"], results
    order.refresh_from_db()
    assert order.status == "completed"
