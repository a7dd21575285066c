"""Referral fixtures: a chain of members (grandpa -> parent -> buyer), paid orders and refunds through
the real orders services, and the outbox delivered as the worker would."""

from __future__ import annotations

import pytest

from weloop.core.events import deliver_due
from weloop.orders import services as orders
from weloop.orders.services import Fulfilment, LineInput
from weloop.referrals import services


def settle() -> None:
    """Deliver outbox events until none is due (a handler's own events go in a later round)."""
    for _ in range(10):
        if not deliver_due():
            return


@pytest.fixture
def bind(merchant):
    """``bind(friend, referrer_member)``: the friend lands on the referrer's link."""

    def do(friend, referrer_member, **kwargs):
        referrer = services.referrer_for_member(merchant=merchant, member=referrer_member)
        return services.binding_create(merchant=merchant, member=friend, code=referrer.code, **kwargs)

    return do


@pytest.fixture
def chain(make_member, bind):
    """(grandpa, parent, buyer): the buyer was referred by the parent, the parent by the grandpa."""
    grandpa, parent, buyer = make_member(), make_member(), make_member()
    bind(parent, grandpa)
    bind(buyer, parent)
    return grandpa, parent, buyer


@pytest.fixture
def buy(merchant, store, sku, stock, pay):
    """``buy(member, quantity)``: a paid in-store order of the 12.50 tea, events delivered."""
    stock(sku, 1000, store=store)

    def order(member, quantity=2, skus=None):
        placed = orders.checkout_place(
            merchant=merchant,
            member=member,
            lines=[LineInput(s.public_id, q) for s, q in (skus or [(sku, quantity)])],
            fulfilment=Fulfilment(type="in_store", store=store, table_code="A1"),
            actor="test",
        )
        pay(placed)
        settle()
        placed.refresh_from_db()
        return placed

    return order


@pytest.fixture
def refund(merchant):
    def do(order, amount):
        orders.order_refund(merchant=merchant, order=order, amount_fen=amount, reason="test", actor="test")
        settle()
        order.refresh_from_db()
        return order

    return do


@pytest.fixture
def complete(merchant):
    def do(order):
        orders.order_complete(merchant=merchant, order=order, actor="test")
        settle()
        order.refresh_from_db()
        return order

    return do
