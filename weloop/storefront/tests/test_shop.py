"""The H5 shop pages: cart, checkout, paying, my orders and one order, through the test client."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from weloop.core import clock
from weloop.inventory.models import Hold
from weloop.orders import services
from weloop.orders.models import AfterSalesRequest, CartLine, Order
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.storefront.identity import member_key
from weloop.storefront.shop_views import MAX_POLLS

pytestmark = pytest.mark.django_db


def sign_in(client, merchant, member):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the errors' messages as written
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    return client


@pytest.fixture
def shopper(client, merchant, member):
    return sign_in(client, merchant, member)


@pytest.fixture
def pool(sku, stock):
    return stock(sku, 10)


def url(merchant, tail=""):
    return f"/m/{merchant.slug}/{tail}"


def place_from_form(client, merchant, token="tok-1", **fields):
    form = {
        "token": token,
        "type": "delivery",
        "name": "Li Lei",
        "phone": "13800000000",
        "city": "Shenzhen",
        "detail": "1 Road",
        **fields,
    }
    return client.post(url(merchant, "checkout"), form)


# --- the cart -------------------------------------------------------------------------------------


def test_the_cart_asks_an_anonymous_visitor_to_sign_in_through_wechat(client, merchant):
    response = client.get(url(merchant, "cart/"))
    assert response.status_code == 302
    assert "/connect/oauth2/authorize" in response["Location"]


def test_add_to_cart_from_the_product_page_then_the_cart_shows_lines_total_and_badge(
    shopper, merchant, member, product, sku, pool
):
    response = shopper.post(
        url(merchant, "cart/add"),
        {"product_id": product.public_id, "sku_id": sku.public_id, "quantity": "2", "action": "add"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?added=1")
    assert CartLine.objects.get(cart__member=member).quantity == 2

    page = shopper.get(url(merchant, "cart/"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="cart-line"' in body and 'data-quantity="2"' in body
    assert "¥25.00" in body  # 2 × ¥12.50
    assert 'data-testid="tab-cart-badge">2<' in body


def test_cart_quantity_change_and_removal(shopper, merchant, member, sku, sku_large, pool):
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)
    services.cart_add(merchant=merchant, member=member, sku_id=sku_large.public_id, quantity=1)

    shopper.post(url(merchant, "cart/update"), {"sku_id": sku.public_id, "quantity": "3"})
    shopper.post(url(merchant, "cart/update"), {"sku_id": sku_large.public_id, "remove": "1"})

    lines = list(CartLine.objects.filter(cart__member=member).values_list("sku__public_id", "quantity"))
    assert lines == [(sku.public_id, 3)]


def test_a_bad_quantity_is_shown_on_the_page_and_adds_nothing(shopper, merchant, member, product, sku, pool):
    for bad in ("-1", "1.5", "abc", "0"):
        response = shopper.post(
            url(merchant, "cart/add"),
            {"product_id": product.public_id, "sku_id": sku.public_id, "quantity": bad, "action": "add"},
        )
        assert response.status_code == 400, bad
        assert "A quantity is a positive whole number." in response.content.decode()
    assert not CartLine.objects.filter(cart__member=member).exists()


def test_buy_now_goes_to_checkout_with_just_that_sku(shopper, merchant, member, product, sku, pool):
    response = shopper.post(
        url(merchant, "cart/add"),
        {"product_id": product.public_id, "sku_id": sku.public_id, "quantity": "3", "action": "buy"},
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"buy": [sku.public_id], "qty": ["3"]}
    page = shopper.get(response["Location"])
    assert 'data-fen="3750"' in page.content.decode()
    assert not CartLine.objects.filter(cart__member=member).exists()


# --- checkout -------------------------------------------------------------------------------------


def test_checkout_shows_the_delivery_fee_and_pickup_does_not(shopper, merchant, member, sku, pool, store):
    services.shipping_rule_set(merchant=merchant, flat_fee_fen=800, free_above_fen=None)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)

    delivery = shopper.get(url(merchant, "checkout")).content.decode()
    pickup = shopper.get(url(merchant, f"checkout?type=pickup&store={store.public_id}")).content.decode()

    assert 'data-testid="checkout-shipping">¥8.00<' in delivery and 'data-fen="3300"' in delivery
    assert 'data-testid="checkout-shipping">¥0.00<' in pickup and 'data-fen="2500"' in pickup


def test_a_double_submitted_checkout_form_places_one_order(shopper, merchant, member, sku, pool):
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)

    first = place_from_form(shopper, merchant, token="same-form")
    second = place_from_form(shopper, merchant, token="same-form")

    order = Order.objects.get(member=member)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == url(merchant, f"orders/{order.order_no}/pay")
    assert (order.status, order.total_fen, order.fulfilment_type, order.channel) == (
        "pending_payment",
        2500,
        "delivery",
        "h5",
    )
    assert (order.ship_name, order.ship_city, order.ship_detail) == ("Li Lei", "Shenzhen", "1 Road")
    assert not CartLine.objects.filter(cart__member=member).exists()


def test_an_incomplete_address_is_shown_and_places_nothing(shopper, merchant, member, sku, pool):
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)

    response = place_from_form(shopper, merchant, detail="")

    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-error-code="orders.invalid_address"' in body and "The delivery address is incomplete." in body
    assert not Order.objects.exists() and not Hold.objects.exists()
    assert CartLine.objects.filter(cart__member=member).exists()  # the cart is kept to try again


def test_stock_gone_between_cart_and_checkout_is_shown(shopper, merchant, member, sku, stock):
    stock(sku, 1)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)

    response = place_from_form(shopper, merchant)

    assert response.status_code == 409
    assert "Sorry, there is not enough left of this product." in response.content.decode()
    assert not Order.objects.exists()


def test_a_purchase_limit_is_shown(shopper, merchant, member, product, sku, pool):
    services.purchase_limit_set(merchant=merchant, product=product, max_per_member=1)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)

    response = place_from_form(shopper, merchant)

    assert response.status_code == 400
    assert 'data-error-code="orders.purchase_limit"' in response.content.decode()
    assert not Order.objects.exists()


def test_pickup_checkout_holds_the_stores_stock(shopper, merchant, member, sku, stock, store):
    stock(sku, 5, store=store)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)

    response = shopper.post(
        url(merchant, "checkout"), {"token": "t-pickup", "type": "pickup", "store": store.public_id}
    )

    order = Order.objects.get(member=member)
    assert response.status_code == 302
    assert (order.fulfilment_type, order.store_id, order.ship_name) == ("pickup", store.pk, "")


def test_a_table_qr_orders_in_store_to_that_table(shopper, merchant, member, sku, stock, store):
    stock(sku, 5, store=store)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)

    page = shopper.get(url(merchant, f"checkout?store={store.public_id}&table=A12"))
    assert page.status_code == 200 and 'data-kind="in_store"' in page.content.decode()
    shopper.post(url(merchant, "checkout"), {"token": "t-table", "type": "in_store"})

    order = Order.objects.get(member=member)
    assert (order.fulfilment_type, order.store_id, order.table_code, order.qr_scene) == (
        "in_store",
        store.pk,
        "A12",
        "table:A12",
    )


def test_a_table_of_another_merchants_store_is_ignored(shopper, merchant, member, other_merchant, make_store):
    theirs = make_store(other_merchant, name="Not yours")
    page = shopper.get(url(merchant, f"checkout?store={theirs.public_id}&table=A1"))
    assert 'data-kind="delivery"' in page.content.decode()


# --- my orders ------------------------------------------------------------------------------------


@pytest.fixture
def order(place, sku, pool):
    return place([(sku, 2)])


def test_another_member_cannot_see_or_touch_my_order(client, merchant, make_member, order):
    sign_in(client, merchant, make_member())
    for tail in ("", "pay", "status"):
        assert client.get(url(merchant, f"orders/{order.order_no}/{tail}")).status_code == 404, tail
    assert client.post(url(merchant, f"orders/{order.order_no}/cancel")).status_code == 404
    assert client.post(url(merchant, f"orders/{order.order_no}/aftersales"), {"amount": "1"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert order.order_no not in client.get(url(merchant, "orders/")).content.decode()


def test_an_unknown_order_is_404_before_any_sign_in(client, merchant):
    assert client.get(url(merchant, "orders/O2099010100000000/")).status_code == 404


def test_my_orders_filter_by_status(shopper, merchant, place, pay, sku, pool):
    unpaid = place([(sku, 1)])
    paid = place([(sku, 1)])
    pay(paid)

    to_pay = shopper.get(url(merchant, "orders/?status=to_pay")).content.decode()
    in_progress = shopper.get(url(merchant, "orders/?status=in_progress")).content.decode()
    everything = shopper.get(url(merchant, "orders/")).content.decode()

    assert unpaid.order_no in to_pay and paid.order_no not in to_pay
    assert paid.order_no in in_progress and unpaid.order_no not in in_progress
    assert unpaid.order_no in everything and paid.order_no in everything


def test_order_detail_of_an_unpaid_order_has_countdown_pay_and_cancel(shopper, merchant, order):
    body = shopper.get(url(merchant, f"orders/{order.order_no}/")).content.decode()
    assert 'data-testid="order-countdown"' in body and 'data-testid="order-pay"' in body
    assert 'data-testid="order-cancel"' in body and 'data-status="pending_payment"' in body


def test_cancelling_an_unpaid_order_releases_its_stock(shopper, merchant, order):
    response = shopper.post(url(merchant, f"orders/{order.order_no}/cancel"))
    order.refresh_from_db()
    assert response.status_code == 302 and order.status == "cancelled"
    assert Hold.objects.get(reference=order.order_no).status == "released"
    # and a second cancel shows the refusal instead of failing
    again = shopper.post(url(merchant, f"orders/{order.order_no}/cancel"))
    assert again.status_code == 409 and 'data-testid="order-error"' in again.content.decode()


def test_paying_page_of_a_paid_order_goes_back_to_the_order(shopper, merchant, order, pay):
    pay(order)
    response = shopper.get(url(merchant, f"orders/{order.order_no}/pay"))
    assert response.status_code == 302 and response["Location"] == url(merchant, f"orders/{order.order_no}/")


def test_after_sales_request_on_a_paid_order(shopper, merchant, member, order, pay):
    pay(order)
    page = shopper.get(url(merchant, f"orders/{order.order_no}/")).content.decode()
    assert 'data-testid="aftersales-form"' in page and 'value="25.00"' in page

    bad = shopper.post(url(merchant, f"orders/{order.order_no}/aftersales"), {"kind": "refund_only", "amount": "99"})
    assert bad.status_code == 409 and "larger than what is left" in bad.content.decode()
    fraction = shopper.post(
        url(merchant, f"orders/{order.order_no}/aftersales"), {"kind": "refund_only", "amount": "1.234"}
    )
    assert fraction.status_code == 400
    assert not AfterSalesRequest.objects.exists()

    ok = shopper.post(
        url(merchant, f"orders/{order.order_no}/aftersales"),
        {"kind": "return_and_refund", "amount": "12.50", "reason": "too big"},
    )
    request = AfterSalesRequest.objects.get()
    assert ok.status_code == 302 and ok["Location"].endswith("?requested=1")
    assert (request.kind, request.amount_fen, request.reason, request.status) == (
        "return_and_refund",
        1250,
        "too big",
        "requested",
    )
    page = shopper.get(ok["Location"]).content.decode()
    assert 'data-testid="aftersales-request" data-status="requested"' in page
    assert 'data-testid="aftersales-form"' not in page  # one open request at a time


def test_after_sales_is_refused_for_an_unpaid_order(shopper, merchant, order):
    response = shopper.post(
        url(merchant, f"orders/{order.order_no}/aftersales"), {"kind": "refund_only", "amount": "1"}
    )
    assert response.status_code == 400 and not AfterSalesRequest.objects.exists()


def test_a_shipped_order_shows_carrier_tracking_number_and_events(shopper, merchant, order, pay):
    pay(order)
    shipment = services.order_ship(merchant=merchant, order=order, carrier="SF Express", tracking_no="SF123", actor="t")
    services.shipment_add_tracking_event(
        merchant=merchant, shipment=shipment, at=clock.now(), description="Left the depot", location="Shenzhen"
    )
    body = shopper.get(url(merchant, f"orders/{order.order_no}/")).content.decode()
    assert 'data-testid="shipment-carrier">SF Express<' in body
    assert 'data-testid="shipment-tracking-no">SF123<' in body
    assert "Left the depot" in body
    assert body.count('data-testid="order-history-row"') == 4  # placed, paid, fulfilling, shipped


# --- waiting for the payment ----------------------------------------------------------------------


def test_the_status_poll_keeps_polling_until_paid_then_refreshes_the_page(shopper, merchant, order, pay):
    pending = shopper.get(url(merchant, f"orders/{order.order_no}/status?n=3"))
    assert pending.status_code == 200 and "HX-Refresh" not in pending
    assert f"/orders/{order.order_no}/status?n=4" in pending.content.decode()

    gave_up = shopper.get(url(merchant, f"orders/{order.order_no}/status?n={MAX_POLLS}")).content.decode()
    assert 'data-gave-up="yes"' in gave_up and "hx-get" not in gave_up

    pay(order)
    paid = shopper.get(url(merchant, f"orders/{order.order_no}/status?n=4"))
    assert paid["HX-Refresh"] == "true" and 'data-status="paid"' in paid.content.decode()


def test_the_order_page_after_paying_watches_the_status(shopper, merchant, order):
    watching = shopper.get(url(merchant, f"orders/{order.order_no}/?paying=1&result=ok")).content.decode()
    cancelled = shopper.get(url(merchant, f"orders/{order.order_no}/?paying=1&result=cancel")).content.decode()
    assert 'data-testid="order-watch"' in watching and "htmx.min.js" in watching
    assert 'data-testid="order-watch"' not in cancelled and 'data-testid="pay-cancelled"' in cancelled


def test_an_expired_order_cannot_be_paid(shopper, merchant, order):
    services.orders_expire_due(now=order.expires_at + timedelta(seconds=1))
    response = shopper.post(url(merchant, f"orders/{order.order_no}/pay"))
    assert response.status_code == 302  # not payable any more: back to the order, which says expired
    assert 'data-status="expired"' in shopper.get(response["Location"]).content.decode()


def test_me_links_to_my_orders(client, merchant, member):
    sign_in(client, merchant, member)
    session = client.session
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_userinfo"
    session.save()
    body = client.get(url(merchant, "me/")).content.decode()
    assert f'href="/m/{merchant.slug}/orders/"' in body
