"""The phone's WeChat Pay sheet: getBrandWCPayRequest checked by paySign, and scanning a Native QR."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from weloop.core import clock
from weloop.simulator.pay_enums import TradeState
from weloop.simulator.pay_models import SimPayNotification, SimPayOrder
from weloop.wechat.pay import simulator_scan_url, simulator_wallet_url

from .conftest import set_phone
from .pay_support import place_jsapi, place_native, register

WALLET, SCAN = "/simulator/pay/wallet", "/simulator/pay/scan"


def _bridge(pay_world, order: SimPayOrder) -> dict[str, str]:
    """What the merchant's H5 passes to getBrandWCPayRequest."""
    return pay_world.client().jsapi_pay_params(order.prepay_id)


def _testid(html: str, testid: str) -> bool:
    return f'data-testid="{testid}"' in html


def test_the_wallet_shows_the_order_when_the_pay_sign_is_valid(client, pay_world):
    order = place_jsapi(pay_world, description="拿铁 x2", amount={"total": 1230})
    response = client.get(WALLET, {**_bridge(pay_world, order), "return_url": "/m/bakery/orders/1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥12.30" in html and "拿铁 x2" in html
    for testid in ("sim-pay-amount", "sim-pay-description", "sim-pay-confirm", "sim-pay-cancel"):
        assert _testid(html, testid)
    assert not _testid(html, "sim-pay-error")


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda p: {**p, "paySign": p["paySign"][:-8] + "AAAAAAA="}, "paySign invalid"),
        (lambda p: {**p, "nonceStr": p["nonceStr"] + "x"}, "paySign invalid"),
        (lambda p: {**p, "package": "prepay_id=wx-unknown"}, "Unknown prepay_id"),
        (lambda p: {**p, "appId": "wxsomeoneelse0001"}, "appId does not match"),
        (lambda p: {**p, "signType": "MD5"}, "signType must be RSA"),
        (lambda p: {**p, "timeStamp": "1414561699000"}, "timeStamp"),
    ],
)
def test_a_bad_bridge_call_shows_an_error(client, pay_world, tamper, problem):
    order = place_jsapi(pay_world)
    response = client.get(WALLET, tamper(_bridge(pay_world, order)))
    html = response.content.decode()
    assert response.status_code == 400 and _testid(html, "sim-pay-error") and problem in html
    assert not _testid(html, "sim-pay-confirm")


def test_a_pay_sign_from_another_merchant_key_is_invalid(client, pay_world):
    order = place_jsapi(pay_world)
    other = register("1900000333", pay_world.merchant.appid)  # another key pair, same appid
    response = client.get(WALLET, other.client().jsapi_pay_params(order.prepay_id))
    assert "paySign invalid" in response.content.decode()


def test_pay_marks_the_order_paid_queues_the_notification_and_goes_back(client, pay_world):
    order = place_jsapi(pay_world)
    form = {**_bridge(pay_world, order), "return_url": "/m/bakery/orders/1?tab=pay", "action": "pay"}
    response = client.post(WALLET, form)
    assert response.status_code == 302 and response["Location"] == "/m/bakery/orders/1?tab=pay&result=ok"
    order.refresh_from_db()
    assert order.trade_state == TradeState.SUCCESS and order.success_time is not None
    assert len(order.transaction_id) == 28 and order.transaction_id.isdigit()
    notification = SimPayNotification.objects.get(order=order)
    assert notification.event_type == "TRANSACTION.SUCCESS" and notification.url == order.notify_url
    # the sheet cannot be used twice
    again = client.post(WALLET, form).content.decode()
    assert "This order has been paid" in again and SimPayNotification.objects.count() == 1


def test_cancel_goes_back_with_result_cancel_and_leaves_the_order_unpaid(client, pay_world):
    order = place_jsapi(pay_world)
    response = client.post(WALLET, {**_bridge(pay_world, order), "return_url": "/m/bakery/pay", "action": "cancel"})
    assert response["Location"] == "/m/bakery/pay?result=cancel"
    order.refresh_from_db()
    assert order.trade_state == TradeState.NOTPAY and not SimPayNotification.objects.exists()


@pytest.mark.parametrize("return_url", ["https://evil.example/steal", "//evil.example/x", "javascript:alert(1)"])
def test_return_url_must_stay_on_this_site(client, pay_world, return_url):
    order = place_jsapi(pay_world)
    response = client.post(WALLET, {**_bridge(pay_world, order), "return_url": return_url, "action": "pay"})
    assert response.status_code == 400 and "return_url" in response.content.decode()
    order.refresh_from_db()
    assert order.trade_state == TradeState.NOTPAY


def test_return_url_on_the_same_host_is_accepted(client, pay_world):
    order = place_jsapi(pay_world)
    form = {**_bridge(pay_world, order), "return_url": "http://testserver/m/bakery/", "action": "pay"}
    assert client.post(WALLET, form)["Location"] == "http://testserver/m/bakery/?result=ok"


def test_without_return_url_the_wallet_shows_the_result(client, pay_world):
    order = place_jsapi(pay_world, amount={"total": 990})
    html = client.post(WALLET, {**_bridge(pay_world, order), "action": "pay"}).content.decode()
    assert _testid(html, "sim-pay-result") and 'data-result="ok"' in html and "¥9.90" in html


def test_closed_and_expired_orders_cannot_be_paid(client, pay_world):
    closed = place_jsapi(pay_world, out_trade_no="CLOSED0001")
    SimPayOrder.objects.filter(pk=closed.pk).update(trade_state=TradeState.CLOSED)
    assert "This order is closed" in client.get(WALLET, _bridge(pay_world, closed)).content.decode()
    expiring = place_jsapi(pay_world, out_trade_no="EXPIRE0001")
    SimPayOrder.objects.filter(pk=expiring.pk).update(expires_at=clock.now() - timedelta(seconds=1))
    assert "This order has expired" in client.get(WALLET, _bridge(pay_world, expiring)).content.decode()


def test_a_prepay_id_older_than_two_hours_is_refused(client, pay_world):
    order = place_jsapi(pay_world)
    params = _bridge(pay_world, order)
    with clock.travel(timedelta(hours=2, seconds=1)):
        assert "prepay_id expired" in client.get(WALLET, params).content.decode()


def test_scanning_a_native_code_pays_as_the_phones_user(client, pay_world, make_user, sim_account):
    # a pay merchant bound to the phone's account
    world = register("1900000444", sim_account.appid)
    order = place_native(world, appid=sim_account.appid, amount={"total": 500})
    user = make_user(nickname="Bob")
    set_phone(client, sim_account, user)
    page = client.get(SCAN, {"code_url": order.code_url}).content.decode()
    assert "¥5.00" in page and _testid(page, "sim-pay-confirm")
    done = client.post(SCAN, {"code_url": order.code_url, "action": "pay"}).content.decode()
    assert 'data-result="ok"' in done
    order.refresh_from_db()
    assert order.trade_state == TradeState.SUCCESS and order.payer_openid == user.openid
    # a payment opens the 48-hour customer-service window, as on a real phone
    assert user.interactions.filter(kind="payment").exists()


def test_scanning_an_unknown_code_shows_an_error(client, pay_world):
    response = client.get(SCAN + "?" + urlencode({"code_url": "weixin://wxpay/bizpayurl?pr=nope"}))
    assert response.status_code == 400 and _testid(response.content.decode(), "sim-pay-error")


def test_the_wallet_is_off_when_the_simulator_is(client, pay_world, settings):
    settings.WELOOP_SIMULATOR_ENABLED = False
    order = place_jsapi(pay_world)
    assert client.get(WALLET, _bridge(pay_world, order)).status_code == 404


def test_the_platform_builds_wallet_and_scan_links_with_its_helpers(client, pay_world):
    base = "http://testserver/simulator/pay"
    order = place_jsapi(pay_world)
    wallet_url = simulator_wallet_url(_bridge(pay_world, order), "/m/bakery/orders/1", pay_base=base)
    page = client.get(wallet_url).content.decode()
    assert _testid(page, "sim-pay-confirm") and 'value="/m/bakery/orders/1"' in page
    native = place_native(pay_world, out_trade_no="NATIVE0001")
    scan_page = client.get(simulator_scan_url(native.code_url, pay_base=base)).content.decode()
    assert _testid(scan_page, "sim-pay-amount") and native.out_trade_no in scan_page
