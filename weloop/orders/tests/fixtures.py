"""Fixtures for orders: an on-sale product with two SKUs, stock in a warehouse and in a store,
a member, a clerk, and helpers to pay at the counter and deliver outbox events."""

from __future__ import annotations

import itertools

import pytest

from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
from weloop.core.events import deliver_due
from weloop.inventory.enums import PoolKind
from weloop.inventory.services import capacity_pool_get_or_create, location_create, location_for_store
from weloop.members.services import member_touch
from weloop.orders import services
from weloop.orders.services import Address, Fulfilment, LineInput

_openids = itertools.count(1)


@pytest.fixture
def product(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Tea", option_names=["size"]), actor="test")
    return product


@pytest.fixture
def sku(merchant, product):
    created = sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(code="TEA-S", price_fen=1250, options={"size": "S"}),
        actor="test",
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="test")
    return created


@pytest.fixture
def sku_large(merchant, product, sku):
    return sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(code="TEA-L", price_fen=1999, options={"size": "L"}),
        actor="test",
    )


@pytest.fixture
def stock(merchant):
    """``stock(sku, units)`` puts units in the warehouse; ``stock(sku, units, store=s)`` in a store."""
    warehouse = []

    def put(sku, units, store=None):
        if store is not None:
            location = location_for_store(merchant=merchant, store=store)
        else:
            if not warehouse:
                warehouse.append(location_create(merchant=merchant, name="Warehouse"))
            location = warehouse[0]
        pool, _ = capacity_pool_get_or_create(
            merchant=merchant,
            kind=PoolKind.GOODS_STOCK,
            subject=f"sku:{sku.public_id}",
            location=location,
            initial_capacity=units,
            actor="test",
        )
        return pool

    return put


@pytest.fixture
def make_member(merchant):
    def make(owner=None):
        touch = member_touch(merchant=owner or merchant, openid=f"o-test-{next(_openids):06d}", kind="oauth")
        return touch.member

    return make


@pytest.fixture
def member(make_member):
    return make_member()


@pytest.fixture
def clerk(make_staff, merchant):
    return make_staff(merchant, "owner")


@pytest.fixture
def delivery():
    return Fulfilment(
        type="delivery", address=Address(name="Li Lei", phone="13800000000", city="Shenzhen", detail="1 Road")
    )


@pytest.fixture
def place(merchant, member, delivery):
    def place_order(lines, *, who=None, fulfilment=None, key=""):
        return services.checkout_place(
            merchant=merchant,
            member=who or member,
            lines=[LineInput(s.public_id, q) if not isinstance(s, str) else LineInput(s, q) for s, q in lines],
            fulfilment=fulfilment or delivery,
            actor="test",
            idempotency_key=key,
        )

    return place_order


@pytest.fixture
def pay(merchant, clerk):
    """Pay an order in cash at the counter and deliver the resulting events."""

    def pay_order(order):
        payment = services.order_record_offline_payment(
            merchant=merchant, order=order, method="offline_cash", staff=clerk
        )
        deliver_due()
        order.refresh_from_db()
        return payment

    return pay_order


def deliver() -> int:
    return deliver_due()
