"""The H5 order page shows the member's own pickup code (text and QR) and virtual goods' codes;
checkout of virtual products only asks for no address and no store."""

from __future__ import annotations

import pytest

from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
from weloop.orders import services
from weloop.orders.errors import InvalidPickupCode
from weloop.orders.models import Order
from weloop.orders.services import Fulfilment
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.storefront.tests.test_shop import sign_in, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def topup(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Top-up", kind="virtual"), actor="t")
    sku = sku_create(
        merchant=merchant, product_id=product.public_id, data=SkuInput(code="TOP-50", price_fen=5000), actor="t"
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="t")
    return sku


@pytest.fixture
def ready(merchant, place, pay, sku, stock, store):
    stock(sku, 3, store=store)
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    pay(order)
    return services.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="staff")


def test_the_member_sees_their_pickup_code_and_qr_and_it_verifies_once(client, merchant, member, store, clerk, ready):
    order, code = ready
    page = sign_in(client, merchant, member).get(url(merchant, f"orders/{order.order_no}/"))
    body = page.content.decode()
    assert page.status_code == 200
    assert f'data-testid="pickup-code">{code}<' in body
    assert 'data-testid="pickup-qr"><svg' in body
    assert 'data-testid="pickup-hint"' not in body

    # the code the member shows is the one the counter accepts, exactly once
    assert services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk).status == "completed"
    with pytest.raises(InvalidPickupCode):
        services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)
    after = client.get(url(merchant, f"orders/{order.order_no}/")).content.decode()
    assert code not in after and 'data-testid="pickup-code"' not in after


def test_another_member_gets_404_and_never_the_code(client, merchant, make_member, ready):
    order, code = ready
    response = sign_in(client, merchant, make_member()).get(url(merchant, f"orders/{order.order_no}/"))
    assert response.status_code == 404
    assert code not in response.content.decode()


def test_the_order_page_shows_delivered_codes_to_their_member(client, merchant, member, place, pay, topup):
    order = place([(topup, 2)], fulfilment=Fulfilment(type="virtual"))
    pay(order)
    codes = services.virtual_codes_for_member(merchant=merchant, order=order, mark_shown=False)
    body = sign_in(client, merchant, member).get(url(merchant, f"orders/{order.order_no}/")).content.decode()
    assert body.count('data-testid="order-code"') == 2
    assert all(c.code in body for c in codes)
    assert all(row.first_shown_at for row in order.virtual_codes.all())


def test_a_virtual_only_checkout_needs_no_address_or_store(client, merchant, member, topup):
    shopper = sign_in(client, merchant, member)
    page = shopper.get(url(merchant, f"checkout?buy={topup.public_id}&qty=2")).content.decode()
    assert 'data-kind="virtual"' in page and 'data-testid="virtual-only"' in page
    assert 'data-testid="address-name"' not in page and 'data-testid="fulfilment-delivery"' not in page

    response = shopper.post(url(merchant, "checkout"), {"token": "t-virtual", "buy": topup.public_id, "qty": "2"})
    assert response.status_code == 302
    order = Order.objects.get(member=member)
    assert (order.fulfilment_type, order.store_id, order.ship_name, order.total_fen) == ("virtual", None, "", 10000)


def test_a_virtual_only_cart_checks_out_as_virtual(client, merchant, member, topup):
    services.cart_add(merchant=merchant, member=member, sku_id=topup.public_id, quantity=1)
    shopper = sign_in(client, merchant, member)
    assert 'data-kind="virtual"' in shopper.get(url(merchant, "checkout")).content.decode()
    assert shopper.post(url(merchant, "checkout"), {"token": "t-cart", "type": "delivery"}).status_code == 302
    assert Order.objects.get(member=member).fulfilment_type == "virtual"


def test_a_mixed_cart_still_asks_how_to_receive_the_goods(client, merchant, member, topup, sku, stock):
    stock(sku, 5)
    services.cart_add(merchant=merchant, member=member, sku_id=topup.public_id, quantity=1)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)
    page = sign_in(client, merchant, member).get(url(merchant, "checkout")).content.decode()
    assert 'data-kind="delivery"' in page and 'data-testid="address-name"' in page
