"""The O2O loop in a browser: a member buys a deal in the H5 (simulated WeChat sign-in, paid in the
simulator's wallet), a clerk redeems the voucher's code on the clerk page, and the member reviews it."""

from __future__ import annotations

import re

import pytest

from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.vouchers.tests.fixtures import *  # noqa: F403

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deal_shop(simulated_wechat, settings, merchant):
    from weloop.payments.services import pay_settings_create_simulated

    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.2, 0.5, 1.0]
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 0
    pay_settings_create_simulated(merchant=merchant, actor="test")
    return simulated_wechat


def test_buy_a_deal_redeem_it_at_the_counter_and_review_it(
    deal_shop, phone, page, merchant, store, make_deal, make_staff
):
    from weloop.reviews.models import Review
    from weloop.vouchers.models import Voucher

    deal = make_deal(name="Coffee for two", list_price_fen=6800, deal_price_fen=3990)
    make_staff(merchant, "clerk", username="e2e-counter", password="Counter-pass-2026")
    h5 = f"{deal_shop}/m/{merchant.slug}"

    # given a member signed in through the (simulated) WeChat OAuth
    phone.goto(f"{h5}/")
    phone.get_by_test_id("sim-oauth-new-nickname").fill("Mei")
    phone.get_by_test_id("sim-oauth-new-user").click()
    phone.wait_for_url(f"{h5}/**")

    # when they buy the deal and pay in the simulator's wallet
    phone.goto(f"{h5}/deals/{deal.public_id}/")
    phone.get_by_test_id("deal-buy").click()
    phone.get_by_test_id("pay-wechat").click()
    phone.get_by_test_id("sim-pay-confirm").click()
    phone.wait_for_url(re.compile(rf"{re.escape(h5)}/orders/.*result=ok"))
    phone.locator('[data-testid="order"][data-status="paid"]').wait_for(timeout=30_000)

    # then "my vouchers" holds the voucher with its code
    voucher = Voucher.objects.get(deal=deal)
    phone.goto(f"{h5}/vouchers/{voucher.public_id}/")
    code = phone.get_by_test_id("voucher-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)

    # when the clerk logs in and types the code at the counter
    page.goto(f"{deal_shop}/accounts/login/")
    page.get_by_test_id("login-username").fill("e2e-counter")
    page.get_by_test_id("login-password").fill("Counter-pass-2026")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r".*/(clerk|dashboard)/.*"))
    page.goto(f"{deal_shop}/clerk/vouchers/redeem/")
    form = page.get_by_test_id("redeem-form")
    form.locator('[name="code"]').fill(code.lower().replace("-", " "))  # typing is forgiving
    page.get_by_test_id("redeem-submit").click()

    # then it is redeemed, once
    page.get_by_test_id("redeem-done").wait_for()
    voucher.refresh_from_db()
    assert (voucher.status, voucher.uses_remaining) == ("used", 0)

    # and the member is prompted to review it, from the voucher page
    phone.goto(f"{h5}/vouchers/{voucher.public_id}/")
    phone.get_by_test_id("voucher-review-link").click()
    item = phone.get_by_test_id("eligible-item").first
    item.wait_for()
    assert "Coffee for two" in item.inner_text()
    item.get_by_test_id("eligible-review").click()
    phone.get_by_test_id("review-rating-5").check()
    phone.get_by_test_id("review-text-input").fill("好喝，店员很热情")
    phone.get_by_test_id("review-submit").click()

    # then the review is published, and the store page shows it with the rating
    phone.get_by_test_id("my-reviews").get_by_test_id("review").first.wait_for()
    review = Review.objects.get()
    assert (review.rating, review.text, review.store_ref) == (5, "好喝，店员很热情", store.public_id)
    phone.goto(f"{h5}/stores/{store.public_id}/")
    assert phone.get_by_test_id("store-rating").get_attribute("data-average") == "5.0"
    assert "好喝，店员很热情" in phone.get_by_test_id("store-reviews").inner_text()
