"""A virtual product sold in a flash sale: its line records the kind, the order is ``virtual``, and
paying it delivers the codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
from weloop.core import clock
from weloop.flashsales import services as flash
from weloop.orders import services as orders

# The claimer's writer thread has its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def topup(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Top-up", kind="virtual"), actor="t")
    sku = sku_create(
        merchant=merchant, product_id=product.public_id, data=SkuInput(code="TOP-50", price_fen=5000), actor="t"
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="t")
    return sku


@pytest.mark.parametrize("with_store", [True, False])
def test_a_flash_sale_of_a_virtual_product_delivers_codes(merchant, topup, store, member, pay, with_store):
    sale = flash.flash_sale_create(
        merchant=merchant,
        sku=topup,
        price_fen=990,
        starts_at=clock.now() - timedelta(minutes=1),
        ends_at=clock.now() + timedelta(hours=1),
        quota=2,
        per_member_limit=2,
        store=store if with_store else None,
        actor="t",
    )
    claim = flash.flash_sale_claim(merchant=merchant, sale=sale, member=member, quantity=2, actor="t")
    order = claim.order
    line = order.lines.get()
    assert line.product_kind == "virtual"
    assert order.fulfilment_type == "virtual" and order.ship_name == ""
    assert order.source_store_id == (store.pk if with_store else None)
    pay(order)
    order.refresh_from_db()
    assert order.status == "completed"
    codes = orders.virtual_codes_for_member(merchant=merchant, order=order)
    assert len(codes) == 2 and len({c.code for c in codes}) == 2
