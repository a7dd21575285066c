"""Notifications to the merchant's notify_url, opened by a local server with ``open_notification``.

They run on the simulator's background pool after the payment commits, so these tests use a
transactional database and wait for the attempts to settle.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from weloop.simulator import pay_server
from weloop.simulator.pay_enums import NotificationStatus, TradeState
from weloop.simulator.pay_models import SimPayNotification
from weloop.simulator.pay_registry import pay_merchant_for
from weloop.wechat.pay import generate_rsa_keypair

from .pay_support import place_jsapi, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERED, FAILED = NotificationStatus.DELIVERED, NotificationStatus.FAILED


def _attempts(status: str | None = None) -> list[SimPayNotification]:
    rows = SimPayNotification.objects.order_by("id")
    return list(rows.filter(status=status) if status else rows)


def _pay(pay_world, notify_server, **changes):
    order = place_jsapi(pay_world, notify_url=notify_server.notify_url(), **changes)
    return pay_server.order_pay(order=order, merchant=pay_world.merchant, payer_openid=order.payer_openid)


def test_paying_in_the_wallet_notifies_the_merchant(client, pay_world, notify_server):
    order = place_jsapi(pay_world, notify_url=notify_server.notify_url("/pay/notify"), attach="shop=42")
    form = {**pay_world.client().jsapi_pay_params(order.prepay_id), "action": "pay"}
    assert client.post("/simulator/pay/wallet", form).status_code == 200
    [attempt] = wait_for(lambda: _attempts(DELIVERED))
    [delivery] = notify_server.deliveries
    assert delivery.path == "/pay/notify" and delivery.error == ""
    notification = delivery.notification
    order.refresh_from_db()
    assert notification.event_type == "TRANSACTION.SUCCESS" and notification.summary == "支付成功"
    assert notification.id == attempt.event_id and notification.original_type == "transaction"
    resource = notification.resource
    assert resource["out_trade_no"] == order.out_trade_no and resource["transaction_id"] == order.transaction_id
    assert (resource["mchid"], resource["appid"]) == (pay_world.merchant.mchid, pay_world.merchant.appid)
    assert resource["trade_state"] == "SUCCESS" and resource["trade_type"] == "JSAPI"
    assert resource["amount"] == {"total": 3200, "currency": "CNY", "payer_total": 3200, "payer_currency": "CNY"}
    assert resource["payer"] == {"openid": order.payer_openid} and resource["attach"] == "shop=42"
    assert attempt.response_code == 204 and attempt.copy_no == 1


def test_a_notification_is_sometimes_delivered_twice(pay_world, notify_server, settings):
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 1
    _pay(pay_world, notify_server)
    wait_for(lambda: len(_attempts(DELIVERED)) == 2)
    first, second = notify_server.deliveries
    assert first.notification.id == second.notification.id and first.body == second.body
    assert first.headers["Wechatpay-Nonce"] != second.headers["Wechatpay-Nonce"]  # signed afresh
    assert [(a.copy_no, a.attempt_no) for a in _attempts()] == [(1, 1), (2, 1)]


def test_an_error_answer_is_retried_with_the_same_notification(pay_world, notify_server):
    notify_server.respond = lambda delivery, index: (500 if index == 0 else 200, 0.0)
    _pay(pay_world, notify_server)
    wait_for(lambda: _attempts(DELIVERED))
    failed, delivered = _attempts()
    assert (failed.status, failed.response_code, failed.error) == (FAILED, 500, "HTTP 500")
    assert (delivered.attempt_no, delivered.response_code) == (2, 200)
    first, second = notify_server.deliveries
    assert first.body == second.body and first.notification.id == second.notification.id


def test_a_slow_answer_is_a_timeout_and_retried(pay_world, notify_server, settings):
    settings.SIMULATOR_PAY_NOTIFY_TIMEOUT = 0.2
    notify_server.respond = lambda delivery, index: (204, 0.6 if index == 0 else 0.0)
    _pay(pay_world, notify_server)
    wait_for(lambda: _attempts(DELIVERED))
    timed_out = _attempts()[0]
    assert timed_out.status == FAILED and timed_out.response_code is None and "no answer" in timed_out.error


def test_delivery_gives_up_after_the_schedule(pay_world, notify_server, settings):
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.02, 0.02]
    notify_server.respond = lambda delivery, index: (503, 0.0)
    _pay(pay_world, notify_server)
    wait_for(lambda: len(_attempts(FAILED)) == 3)
    wait_for(lambda: not SimPayNotification.objects.exclude(status=FAILED).exists())
    assert [a.attempt_no for a in _attempts()] == [1, 2, 3] and len(notify_server.deliveries) == 3


def test_an_unreachable_notify_url_is_retried(pay_world, settings):
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.02]
    order = place_jsapi(pay_world, notify_url="http://127.0.0.1:9/pay/notify")  # nothing listens there
    pay_server.order_pay(order=order, merchant=pay_world.merchant, payer_openid=order.payer_openid)
    wait_for(lambda: len(_attempts(FAILED)) == 2)
    assert all("could not connect" in a.error for a in _attempts())


def test_a_successful_refund_is_notified_to_its_own_notify_url(pay_world, notify_server):
    order = _pay(pay_world, notify_server)
    wait_for(lambda: _attempts(DELIVERED))
    payload = {
        "out_trade_no": order.out_trade_no,
        "out_refund_no": "R20250101001",
        "reason": "缺货",
        "notify_url": notify_server.notify_url("/pay/refund-notify"),
        "amount": {"refund": 1600, "total": 3200, "currency": "CNY"},
    }
    refund = pay_server.refund_create(merchant=pay_merchant_for(order.mchid), payload=payload)
    wait_for(lambda: len(_attempts(DELIVERED)) == 2)
    delivery = notify_server.deliveries[-1]
    assert delivery.path == "/pay/refund-notify"
    notification = delivery.notification
    assert notification.event_type == "REFUND.SUCCESS" and notification.original_type == "refund"
    resource = notification.resource
    assert resource["out_refund_no"] == "R20250101001" and resource["refund_id"] == refund.refund_id
    assert resource["refund_status"] == "SUCCESS" and resource["success_time"].endswith("+08:00")
    assert resource["amount"] == {"total": 3200, "refund": 1600, "payer_total": 3200, "payer_refund": 1600}
    order.refresh_from_db()
    assert order.trade_state == TradeState.REFUND


def test_a_notification_signed_by_another_platform_key_is_rejected_by_the_merchant(pay_world, notify_server, settings):
    # the merchant trusts another platform key: it answers 401 and the simulator retries
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.02]
    _, other_public = generate_rsa_keypair()
    notify_server.credentials = replace(notify_server.credentials, platform_public_key_pem=other_public)
    _pay(pay_world, notify_server)
    wait_for(lambda: len(_attempts(FAILED)) == 2)
    assert {d.error for d in notify_server.deliveries} == {"wechatpay.bad_signature"}
    assert {a.response_code for a in _attempts()} == {401}
