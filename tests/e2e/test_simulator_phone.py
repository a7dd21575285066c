"""The WeChat channel from a consumer's phone, driven in the simulator's phone UI.

Scan a store's QR code → follow → a member whose first touch is that store; send a location → the
account answers with the nearest stores.
"""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_scan_a_store_qr_follow_and_get_the_nearest_stores(simulated_wechat, phone, make_merchant, make_store):
    from weloop.members.models import Member, MemberTouch
    from weloop.members.services import qr_code_create

    # given a merchant with two stores and a QR code for the first, issued by (simulated) WeChat
    created = make_merchant(name="Harbour Cafe", slug="harbour-cafe")
    merchant = created.merchant
    futian = make_store(merchant, name="Harbour Futian", latitude="22.533166", longitude="114.055779")
    make_store(merchant, name="Harbour Luohu", latitude="22.539321", longitude="114.110888")
    qr = qr_code_create(merchant=merchant, kind="store", store=futian)

    # when a new user opens the phone, picks the account and scans the store's code
    phone.goto(f"{simulated_wechat}/simulator/")
    phone.get_by_test_id("sim-account-picker").select_option(created.wechat.appid)
    phone.get_by_test_id("sim-new-user-nickname").wait_for()
    phone.get_by_test_id("sim-new-user-nickname").fill("Ming")
    phone.get_by_test_id("sim-new-user").click()
    phone.get_by_test_id("sim-scan-ticket").wait_for()
    _wait_for(lambda: phone.get_by_test_id("sim-user-picker").input_value())
    phone.get_by_test_id("sim-scan-ticket").select_option(qr.ticket)
    phone.get_by_test_id("sim-scan").click()

    # then the phone follows the account, and the platform has a member whose source is that store
    phone.get_by_test_id("sim-following").wait_for()
    member = _wait_for(lambda: Member.objects.for_merchant(merchant).filter(first_store=futian).first())
    assert member.is_following and member.first_qr_code_id == qr.pk

    # when the user sends their location, a few hundred metres from the Futian store
    phone.get_by_test_id("sim-location-lat").fill("22.5340")
    phone.get_by_test_id("sim-location-lng").fill("114.0570")
    phone.get_by_test_id("sim-send-location").click()

    # then the account answers with the nearest stores, the closest first
    reply = phone.get_by_test_id("sim-message").filter(has_text="Harbour Futian").last
    reply.wait_for(timeout=20_000)
    text = reply.inner_text()
    assert text.index("Harbour Futian") < text.index("Harbour Luohu")
    assert MemberTouch.objects.for_merchant(merchant).filter(member=member, kind="location").exists()
