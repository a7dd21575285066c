"""Buy in the H5 and pay in the simulator: a member signs in through the simulated WeChat OAuth,
adds a product to the cart, checks out for pickup in a store, pays in the simulator's wallet, and
the order page shows the order paid once WeChat Pay's notification has been applied."""

from __future__ import annotations

import re

import pytest

from weloop.orders.tests.fixtures import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(simulated_wechat, settings, merchant, product, sku, stock, store):
    from weloop.payments.services import pay_settings_create_simulated

    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.2, 0.5, 1.0]
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 0
    pay_settings_create_simulated(merchant=merchant, actor="test")
    stock(sku, 5, store=store)
    return simulated_wechat


def test_buy_for_pickup_and_pay_in_the_simulators_wallet(shop, phone, merchant, product, sku, store):
    from weloop.orders.models import Order
    from weloop.payments.models import Payment

    h5 = f"{shop}/m/{merchant.slug}"

    # given a visitor opening the shop inside (simulated) WeChat, who is asked who they are
    phone.goto(f"{h5}/")
    phone.get_by_test_id("sim-oauth-new-nickname").fill("Mei")
    phone.get_by_test_id("sim-oauth-new-user").click()
    phone.wait_for_url(f"{h5}/**")

    # when they add the product to the cart
    phone.goto(f"{h5}/products/{product.public_id}/")
    phone.get_by_test_id("buy-quantity").fill("2")
    phone.get_by_test_id("buy-add-to-cart").click()
    phone.get_by_test_id("buy-added").wait_for()
    assert phone.get_by_test_id("tab-cart-badge").inner_text() == "2"

    # and check out for pickup in the store
    phone.get_by_test_id("tab-cart").click()
    assert phone.get_by_test_id("cart-subtotal").inner_text() == "¥25.00"
    phone.get_by_test_id("cart-checkout").click()
    phone.get_by_test_id("fulfilment-pickup").click()
    phone.locator('[data-testid="checkout"][data-kind="pickup"]').wait_for()
    assert phone.get_by_test_id("pickup-store").input_value() == store.public_id
    assert phone.get_by_test_id("checkout-shipping").inner_text() == "¥0.00"
    phone.get_by_test_id("place-order").click()

    # then the pay page asks for the total
    phone.get_by_test_id("pay-amount").wait_for()
    order = Order.objects.get(store=store)
    assert (order.status, order.fulfilment_type, order.total_fen) == ("pending_payment", "pickup", 2500)
    assert phone.get_by_test_id("pay-amount").inner_text() == "¥25.00"

    # when they pay: the simulator's wallet plays WeChat's pay sheet
    phone.get_by_test_id("pay-wechat").click()
    phone.get_by_test_id("sim-pay-amount").wait_for()
    assert phone.get_by_test_id("sim-pay-amount").inner_text() == "¥25.00"
    phone.get_by_test_id("sim-pay-confirm").click()

    # then they are back on the order, which turns paid when WeChat Pay's notification is applied
    phone.wait_for_url(re.compile(rf"{re.escape(h5)}/orders/{order.order_no}/\?paying=1.*result=ok"))
    phone.locator('[data-testid="order"][data-status="paid"]').wait_for(timeout=30_000)
    assert phone.get_by_test_id("order-status").inner_text().strip() != ""
    order.refresh_from_db()
    payment = Payment.objects.get(reference=order.order_no)
    assert (order.status, order.payment_id) == ("paid", payment.public_id)
    assert (payment.method, payment.status, payment.payer_openid) == ("wechat_jsapi", "succeeded", order.member.openid)
    # and "My orders" lists it among the orders in progress
    phone.goto(f"{h5}/orders/?status=in_progress")
    assert phone.locator(f'[data-testid="order-card"][data-order-no="{order.order_no}"]').count() == 1
