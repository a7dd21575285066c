"""A merchant's owner logs into the console, creates a store, and a consumer sees it on the H5."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_creates_a_store_in_the_console_and_it_shows_on_the_h5(
    simulated_wechat, live_server, page, phone, make_merchant
):
    # given a merchant with an owner login
    created = make_merchant(
        name="Lanterns Tea", slug="lanterns-tea", owner_username="lantern-owner", owner_password="Lantern-tea-2026"
    )

    # when the owner logs in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_test_id("login-username").fill("lantern-owner")
    page.get_by_test_id("login-password").fill("Lantern-tea-2026")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")

    # and creates a store with weekday hours and an overnight Saturday
    page.get_by_test_id("nav-store").click()
    page.get_by_test_id("store-new").click()
    page.get_by_test_id("store-name").fill("Nanshan Tea House")
    page.get_by_test_id("store-city").fill("Shenzhen")
    page.get_by_test_id("store-district").fill("Nanshan")
    page.get_by_test_id("store-address").fill("33 Wenxin 5th Road")
    page.get_by_test_id("store-latitude").fill("22.517045")
    page.get_by_test_id("store-longitude").fill("113.935922")
    page.get_by_test_id("store-phone").fill("0755-8888 0000")
    for weekday in range(5):
        page.get_by_test_id(f"store-hours-{weekday}").first.fill("09:00-21:00")
    page.get_by_test_id("store-hours-5").first.fill("10:00-02:00")
    page.get_by_test_id("store-save").click()

    # then the console shows the new store
    page.get_by_test_id("store-detail-name").wait_for()
    assert "Nanshan Tea House" in page.get_by_test_id("store-detail-name").inner_text()

    # and a consumer opening the merchant's H5 on a phone sees it, with its hours
    phone.goto(f"{live_server.url}/m/{created.merchant.slug}/")
    # (inside WeChat the H5 first identifies the visitor through OAuth: the simulator asks who they are)
    if "/simulator/open/" in phone.url:
        phone.get_by_test_id("sim-oauth-new-nickname").fill("Visitor")
        phone.get_by_test_id("sim-oauth-new-user").click()
        phone.wait_for_url(f"{live_server.url}/m/{created.merchant.slug}/**")
    cards = phone.get_by_test_id("store-card")
    cards.first.wait_for()
    names = phone.get_by_test_id("store-name").all_inner_texts()
    assert "Nanshan Tea House" in names
    phone.get_by_test_id("store-name").filter(has_text="Nanshan Tea House").first.click()
    saturday = phone.locator('[data-testid="hours-day"][data-weekday="5"]')
    assert "10:00" in saturday.inner_text() and "02:00" in saturday.inner_text()


def test_bad_coordinates_show_a_clear_error_and_create_nothing(live_server, page, make_merchant):
    make_merchant(
        name="Bad Coords", slug="bad-coords", owner_username="coords-owner", owner_password="Coords-owner-2026"
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_test_id("login-username").fill("coords-owner")
    page.get_by_test_id("login-password").fill("Coords-owner-2026")
    page.get_by_test_id("login-submit").click()
    page.goto(f"{live_server.url}/dashboard/stores/new/")
    page.get_by_test_id("store-name").fill("Nowhere")
    page.get_by_test_id("store-city").fill("Shenzhen")
    page.get_by_test_id("store-address").fill("Somewhere")
    page.get_by_test_id("store-latitude").fill("123.4")
    page.get_by_test_id("store-longitude").fill("114.0")
    page.get_by_test_id("store-save").click()
    error = page.locator('[data-error-code="stores.invalid_coordinates"]')
    error.first.wait_for()

    from weloop.stores.models import Store

    assert not Store.objects.filter(name="Nowhere").exists()
