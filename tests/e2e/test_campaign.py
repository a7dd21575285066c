"""A marketing campaign end to end in a browser: the owner saves a segment in the console, creates a
text campaign for it (seeing its reach first), sends it, watches the report, and the message
arrives on the simulated phone of a follower."""

from __future__ import annotations

import datetime
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_segment_campaign_in_the_console_reaches_the_phone(simulated_wechat, page, phone, make_merchant):
    from weloop.marketing.services import marketing_settings_update
    from weloop.members.selectors import member_find_by_openid
    from weloop.simulator import phone as sim_phone
    from weloop.simulator.accounts import account_for_appid

    created = make_merchant(
        name="Harbour Bakery", slug="harbour-bakery", owner_username="harbour-owner", owner_password="Harbour-2026"
    )
    merchant = created.merchant
    account = account_for_appid(created.wechat.appid)
    users = []
    for nickname in ("Mei", "Tao"):
        user = sim_phone.user_create(account=account, nickname=nickname, simulator_base=simulated_wechat + "/simulator")
        sim_phone.follow(account=account, user=user)
        users.append(user)
    _wait_for(lambda: all(member_find_by_openid(merchant=merchant, openid=u.openid) for u in users))
    # quiet hours (22:00-08:00 in Shanghai by default) would hold the send: the test must not depend on the hour
    marketing_settings_update(
        merchant=merchant,
        daily_cap=2,
        quiet_enabled=False,
        quiet_start=datetime.time(22),
        quiet_end=datetime.time(8),
        sms_price_centifen=450,
    )

    # given the owner logged in, in English
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{simulated_wechat}/accounts/login/")
    page.get_by_test_id("login-username").fill("harbour-owner")
    page.get_by_test_id("login-password").fill("Harbour-2026")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{simulated_wechat}/dashboard/")

    # when they save a segment of the followers
    page.goto(f"{simulated_wechat}/dashboard/segments/new/")
    page.locator("#id_name").fill("Followers")
    page.get_by_test_id("segment-expression").fill("following")
    page.get_by_test_id("segment-save").click()
    page.get_by_test_id("segment-list").wait_for()

    # and create a campaign for it, previewing its reach first
    page.get_by_test_id("nav-campaign").click()
    page.get_by_test_id("campaign-new").click()
    page.get_by_test_id("campaign-name").fill("Fresh bread")
    page.get_by_test_id("campaign-segment").select_option(label="Followers")
    page.get_by_test_id("campaign-kind").select_option("text")
    page.get_by_test_id("campaign-text").fill("Fresh sourdough at 8, only today!")
    page.get_by_test_id("campaign-preview").click()
    assert page.get_by_test_id("reach-expected").inner_text() == "2"
    page.get_by_test_id("campaign-send").click()

    # then the campaign is sent and its report counts both followers
    page.wait_for_selector('[data-testid="campaign"][data-status="sent"]', timeout=30_000)
    assert page.get_by_test_id("report-sent").inner_text() == "2"

    # and the message is on Mei's phone
    phone.goto(f"{simulated_wechat}/simulator/")
    phone.get_by_test_id("sim-account-picker").select_option(created.wechat.appid)
    phone.get_by_test_id("sim-user-picker").wait_for()
    phone.get_by_test_id("sim-user-picker").select_option(users[0].openid)
    message = phone.get_by_test_id("sim-message").filter(has_text="Fresh sourdough at 8")
    message.first.wait_for(timeout=20_000)
    assert message.first.get_attribute("data-kind") == "mass"
