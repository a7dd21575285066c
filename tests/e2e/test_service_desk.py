"""The service desk end to end: a message typed on the simulator phone appears in the console
inbox (which polls), an agent answers it, and the phone receives the customer-service message."""

from __future__ import annotations

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


def test_phone_message_reaches_the_inbox_and_the_answer_reaches_the_phone(
    simulated_wechat, page, phone, make_merchant, make_staff
):
    from weloop.service_desk.models import Conversation
    from weloop.tenants.services import staff_create

    # given a merchant with a service agent who is signed in to the console's inbox
    created = make_merchant(name="Harbour Cafe", slug="harbour-desk")
    merchant = created.merchant
    staff_create(
        merchant=merchant, username="desk-agent", password="Desk-agent-2026", role="service_agent", display_name="Lin"
    )
    page.goto(f"{simulated_wechat}/accounts/login/")
    page.get_by_test_id("login-username").fill("desk-agent")
    page.get_by_test_id("login-password").fill("Desk-agent-2026")
    page.get_by_test_id("login-submit").click()
    page.goto(f"{simulated_wechat}/dashboard/service-desk/?view=mine")
    page.get_by_test_id("inbox-empty").wait_for()

    # when a new user follows the account on the phone and writes to it
    phone.goto(f"{simulated_wechat}/simulator/")
    phone.get_by_test_id("sim-account-picker").select_option(created.wechat.appid)
    phone.get_by_test_id("sim-new-user-nickname").wait_for()
    phone.get_by_test_id("sim-new-user-nickname").fill("Ming")
    phone.get_by_test_id("sim-new-user").click()
    _wait_for(lambda: phone.get_by_test_id("sim-user-picker").input_value())
    phone.get_by_test_id("sim-follow").click()
    phone.get_by_test_id("sim-following").wait_for()
    phone.get_by_test_id("sim-text-input").fill("Is my birthday cake ready?")
    phone.get_by_test_id("sim-send-text").click()

    # then the agent's inbox shows it without a reload (htmx polling)
    row = page.get_by_test_id("inbox-row").filter(has_text="Is my birthday cake ready?")
    row.wait_for(timeout=30_000)
    conversation = _wait_for(lambda: Conversation.objects.for_merchant(merchant).first())
    assert conversation.assignee.user.username == "desk-agent"

    # when the agent opens it and answers
    row.get_by_test_id("inbox-open").click()
    page.get_by_test_id("desk-window").wait_for()
    assert page.get_by_test_id("desk-window").get_attribute("data-open") == "yes"
    page.get_by_test_id("desk-reply-text").fill("Yes, it is ready at the Futian store.")
    page.get_by_test_id("desk-reply-send").click()
    page.get_by_test_id("desk-sent").last.wait_for()

    # then the phone receives the customer-service message
    answer = phone.get_by_test_id("sim-message").filter(has_text="Yes, it is ready at the Futian store.")
    answer.wait_for(timeout=30_000)
    assert answer.last.get_attribute("data-msgtype") == "text"
