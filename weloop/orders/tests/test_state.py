"""The order state machine, exhaustively: every allowed move succeeds, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from weloop.core.errors import InvalidTransition
from weloop.core.state import history_of
from weloop.orders.enums import OrderStatus as S
from weloop.orders.models import Order
from weloop.orders.state import ORDER

ALLOWED = {
    (S.PENDING_PAYMENT, S.PAID),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.PENDING_PAYMENT, S.EXPIRED),
    (S.PAID, S.FULFILLING),
    (S.PAID, S.REFUNDING),
    (S.PAID, S.REFUNDED),
    (S.FULFILLING, S.SHIPPED),
    (S.FULFILLING, S.READY_FOR_PICKUP),
    (S.FULFILLING, S.COMPLETED),
    (S.FULFILLING, S.REFUNDING),
    (S.SHIPPED, S.COMPLETED),
    (S.SHIPPED, S.REFUNDING),
    (S.READY_FOR_PICKUP, S.COMPLETED),
    (S.READY_FOR_PICKUP, S.REFUNDING),
    (S.COMPLETED, S.REFUNDING),
    (S.REFUNDING, S.REFUNDED),
    (S.REFUNDING, S.PARTIALLY_REFUNDED),
    (S.REFUNDING, S.PAID),
    (S.REFUNDING, S.FULFILLING),
    (S.REFUNDING, S.SHIPPED),
    (S.REFUNDING, S.READY_FOR_PICKUP),
    (S.REFUNDING, S.COMPLETED),
    (S.PARTIALLY_REFUNDED, S.REFUNDING),
    (S.PARTIALLY_REFUNDED, S.FULFILLING),
    (S.PARTIALLY_REFUNDED, S.SHIPPED),
    (S.PARTIALLY_REFUNDED, S.READY_FOR_PICKUP),
    (S.PARTIALLY_REFUNDED, S.COMPLETED),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


def test_order_machine_knows_every_status_and_nothing_else():
    assert ORDER.states == set(S.values)


def test_order_machine_table_is_exactly_the_documented_one():
    assert {(a, b) for a, b in ALL_PAIRS if ORDER.can(a, b)} == ALLOWED


def test_order_terminal_states_go_nowhere():
    for terminal in (S.CANCELLED, S.EXPIRED, S.REFUNDED):
        assert ORDER.allowed_from(terminal) == frozenset()


@pytest.fixture
def bare_order(place, sku, stock):
    stock(sku, 1000)
    return place([(sku, 1)])


@pytest.mark.parametrize(("src", "dst"), ALL_PAIRS)
def test_order_transition_applies_allowed_and_refuses_forbidden(bare_order, src, dst):
    # given an order forced into ``src``
    Order.objects.filter(pk=bare_order.pk).update(status=src)
    bare_order.status = src
    before = history_of(ORDER, bare_order).count()
    # when / then
    if (src, dst) in ALLOWED:
        ORDER.transition(bare_order, dst, actor="test")
        bare_order.refresh_from_db()
        assert bare_order.status == dst
        assert history_of(ORDER, bare_order).count() == before + 1
    else:
        with pytest.raises(InvalidTransition):
            ORDER.transition(bare_order, dst, actor="test")
        bare_order.refresh_from_db()
        assert bare_order.status == src
        assert history_of(ORDER, bare_order).count() == before
