"""The platform's WeChatPayClient against the simulated WeChat Pay over real HTTP.

Every answer the client accepts was signed by the simulator with the platform key (the client
refuses unsigned ones), so each passing call also checks the simulator's response signatures.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests

from weloop.core import clock
from weloop.simulator import pay_server
from weloop.simulator.pay_enums import RefundStatus, TradeState
from weloop.simulator.pay_models import SimPayOrder, SimPayRefund
from weloop.simulator.pay_registry import pay_merchant_for
from weloop.wechat import pay_crypto
from weloop.wechat.pay import PayApiError, WeChatPayClient

from .pay_support import register, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFY = "http://127.0.0.1:9/pay/notify"
ORDER = {"out_trade_no": "O20250101001", "description": "Latte x2", "total_fen": 3200, "notify_url": NOTIFY}


@pytest.fixture
def pay_base(live_server, settings) -> str:
    settings.WECHAT_PAY_BASE = live_server.url + "/simulator/pay"
    return settings.WECHAT_PAY_BASE


@pytest.fixture
def pay_client(pay_world, pay_base) -> WeChatPayClient:
    # base_url comes from settings.WECHAT_PAY_BASE, as in simulator mode
    return WeChatPayClient(pay_world.credentials, timeout=5, allow_http_notify=True)


def _refusal(call) -> PayApiError:
    with pytest.raises(PayApiError) as caught:
        call()
    return caught.value


def _pay(out_trade_no: str = "O20250101001", openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> SimPayOrder:
    order = SimPayOrder.objects.get(out_trade_no=out_trade_no)
    return pay_server.order_pay(order=order, merchant=pay_merchant_for(order.mchid), payer_openid=openid)


# --- orders ------------------------------------------------------------------------------------------


def test_jsapi_order_then_the_same_params_return_the_same_prepay_id(pay_client):
    prepay_id = pay_client.jsapi(**ORDER, payer_openid="oUSER", attach="shop=42")
    assert prepay_id.startswith("wx") and len(prepay_id) == 36
    assert pay_client.jsapi(**ORDER, payer_openid="oUSER", attach="shop=42") == prepay_id
    order = SimPayOrder.objects.get()
    assert (order.total_fen, order.payer_openid, order.attach, order.trade_type) == (3200, "oUSER", "shop=42", "JSAPI")


def test_changed_params_under_the_same_out_trade_no_are_refused(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    error = _refusal(lambda: pay_client.jsapi(**{**ORDER, "total_fen": 3300}, payer_openid="oUSER"))
    assert (error.extra["status"], error.extra["code"]) == (400, "INVALID_REQUEST") and not error.retryable
    assert SimPayOrder.objects.get().total_fen == 3200


def test_native_order_answers_a_code_url(pay_client):
    code_url = pay_client.native(**ORDER)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert pay_client.native(**ORDER) == code_url


def test_query_close_and_a_closed_order_cannot_be_ordered_again(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    answer = pay_client.query_by_out_trade_no("O20250101001")
    assert answer["trade_state"] == "NOTPAY" and answer["amount"]["total"] == 3200
    assert answer["mchid"] == pay_client.credentials.mchid and "transaction_id" not in answer
    pay_client.close("O20250101001")  # a signed 204
    pay_client.close("O20250101001")  # closing twice is fine
    assert pay_client.query_by_out_trade_no("O20250101001")["trade_state"] == "CLOSED"
    error = _refusal(lambda: pay_client.jsapi(**ORDER, payer_openid="oUSER"))
    assert error.extra["code"] == "ORDER_CLOSED"


def test_query_of_a_paid_order_has_the_transaction(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    order = _pay(openid="oUSER")
    answer = pay_client.query_by_out_trade_no("O20250101001")
    assert answer["trade_state"] == "SUCCESS" and answer["transaction_id"] == order.transaction_id
    assert answer["payer"] == {"openid": "oUSER"} and answer["success_time"].endswith("+08:00")
    assert pay_client.query_by_transaction_id(order.transaction_id)["out_trade_no"] == "O20250101001"
    assert _refusal(lambda: pay_client.close("O20250101001")).extra["code"] == "INVALID_REQUEST"


def test_an_unknown_order_is_404(pay_client):
    error = _refusal(lambda: pay_client.query_by_out_trade_no("NOSUCHORDER"))
    assert (error.extra["status"], error.extra["code"]) == (404, "ORDER_NOT_EXIST")


def test_an_out_trade_no_with_pipe_and_star_round_trips(pay_client):
    pay_client.native(**{**ORDER, "out_trade_no": "O|2025*01"})
    assert pay_client.query_by_out_trade_no("O|2025*01")["out_trade_no"] == "O|2025*01"
    pay_client.close("O|2025*01")


def test_an_appid_not_bound_to_the_mchid_is_refused(pay_client, pay_world):
    from dataclasses import replace

    other = WeChatPayClient(replace(pay_world.credentials, appid="wxanotherapp0001"), allow_http_notify=True)
    assert _refusal(lambda: other.native(**ORDER)).extra["code"] == "APPID_MCHID_NOT_MATCH"


# --- refunds -----------------------------------------------------------------------------------------


def _refund(pay_client, out_refund_no="R1", refund_fen=1000, **kwargs):
    return pay_client.refund(
        out_trade_no="O20250101001", out_refund_no=out_refund_no, refund_fen=refund_fen, total_fen=3200, **kwargs
    )


def test_a_refund_is_processing_then_succeeds(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    order = _pay()
    answer = _refund(pay_client, reason="缺货")
    assert answer["status"] == "PROCESSING" and answer["out_refund_no"] == "R1"
    assert answer["amount"]["refund"] == 1000 and answer["amount"]["total"] == 3200
    assert answer["transaction_id"] == order.transaction_id and answer["refund_id"].startswith("50")
    done = wait_for(lambda: pay_client.query_refund("R1")["status"] == "SUCCESS" and pay_client.query_refund("R1"))
    assert done["success_time"].endswith("+08:00")
    assert pay_client.query_by_out_trade_no("O20250101001")["trade_state"] == "REFUND"


def test_the_same_out_refund_no_refunds_once(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    _pay()
    first = _refund(pay_client)
    again = _refund(pay_client)
    assert again["refund_id"] == first["refund_id"]
    assert SimPayRefund.objects.count() == 1 and SimPayOrder.objects.get().refunded_fen == 1000


def test_refunds_cannot_exceed_the_order_total(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    _pay()
    _refund(pay_client, "R1", 3000)
    error = _refusal(lambda: _refund(pay_client, "R2", 201))
    assert (error.extra["status"], error.extra["code"]) == (400, "INVALID_REQUEST")
    _refund(pay_client, "R3", 200)  # exactly what is left
    assert SimPayOrder.objects.get().refunded_fen == 3200


def test_at_most_50_refunds_per_order(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    order = _pay()
    # 49 earlier refunds, written directly to keep the test fast
    SimPayRefund.objects.bulk_create(
        SimPayRefund(order=order, mchid=order.mchid, out_refund_no=f"OLD{n}", refund_id=f"50{n:027d}", refund_fen=1)
        for n in range(49)
    )
    SimPayOrder.objects.filter(pk=order.pk).update(refunded_fen=49, trade_state=TradeState.REFUND)
    assert _refund(pay_client, "R50", 1)["status"] in ("PROCESSING", "SUCCESS")
    error = _refusal(lambda: _refund(pay_client, "R51", 1))
    assert error.extra["code"] == "INVALID_REQUEST" and "50" in error.extra["message"]


def test_an_unpaid_order_cannot_be_refunded(pay_client):
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    assert _refusal(lambda: _refund(pay_client)).extra["code"] == "INVALID_REQUEST"
    assert not SimPayRefund.objects.exists()


def test_an_unknown_refund_is_404(pay_client):
    error = _refusal(lambda: pay_client.query_refund("NOPE"))
    assert (error.extra["status"], error.extra["code"]) == (404, "RESOURCE_NOT_EXISTS")


def test_refund_status_is_wechats(pay_client, monkeypatch):
    monkeypatch.setattr(pay_server, "_settle_later", lambda refund_id: None)  # the bank never answers
    pay_client.jsapi(**ORDER, payer_openid="oUSER")
    _pay()
    _refund(pay_client)
    assert pay_client.query_refund("R1")["status"] == RefundStatus.PROCESSING == "PROCESSING"


# --- requests WeChat Pay refuses -----------------------------------------------------------------------


def _raw(pay_world, pay_base, method, path, body=b"", *, private_key=None, timestamp=None, sign_body=None):
    """A request signed by hand (or not), to send what the client never would."""
    prefix = "/simulator/pay"
    header = pay_crypto.authorization_header(
        mchid=pay_world.merchant.mchid,
        serial_no=pay_world.credentials.merchant_serial,
        private_key_pem=private_key or pay_world.credentials.merchant_private_key_pem,
        method=method,
        canonical_url=prefix + path,
        body=body if sign_body is None else sign_body,
        timestamp=timestamp,
    )
    headers = {"Authorization": header, "Content-Type": "application/json", "Accept": "application/json"}
    return requests.request(method, pay_base + path, data=body or None, headers=headers, timeout=5)


def _body(pay_world, **changes) -> bytes:
    payload = {
        "appid": pay_world.merchant.appid,
        "mchid": pay_world.merchant.mchid,
        "description": "Latte",
        "out_trade_no": "O20250101009",
        "notify_url": NOTIFY,
        "amount": {"total": 100},
    }
    payload.update(changes)
    return json.dumps(payload).encode()


def _sign_error(response) -> None:
    assert response.status_code == 401 and response.json()["code"] == "SIGN_ERROR"


def test_an_unsigned_request_is_401(pay_world, pay_base):
    response = requests.post(pay_base + "/v3/pay/transactions/native", data=_body(pay_world), timeout=5)
    _sign_error(response)
    assert not SimPayOrder.objects.exists()


def test_a_tampered_body_is_401(pay_world, pay_base):
    signed = _body(pay_world)
    _sign_error(
        _raw(
            pay_world,
            pay_base,
            "POST",
            "/v3/pay/transactions/native",
            _body(pay_world, amount={"total": 1}),
            sign_body=signed,
        )
    )
    assert not SimPayOrder.objects.exists()


def test_a_request_signed_with_another_key_is_401(pay_world, pay_base):
    other_private, _ = pay_crypto.generate_rsa_keypair()
    _sign_error(
        _raw(pay_world, pay_base, "POST", "/v3/pay/transactions/native", _body(pay_world), private_key=other_private)
    )


def test_a_stale_request_is_401(pay_world, pay_base):
    old = str(int((clock.now() - timedelta(minutes=6)).timestamp()))
    _sign_error(_raw(pay_world, pay_base, "POST", "/v3/pay/transactions/native", _body(pay_world), timestamp=old))


def test_an_unknown_mchid_is_401(pay_world, pay_base):
    from weloop.simulator.pay_models import SimPayMerchant

    SimPayMerchant.objects.all().delete()
    _sign_error(_raw(pay_world, pay_base, "POST", "/v3/pay/transactions/native", _body(pay_world)))


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": {"total": 0}},
        {"amount": {"total": 12.5}},
        {"amount": {"total": "100"}},
        {"amount": {"total": 100, "currency": "USD"}},
        {"description": "x" * 128},
        {"out_trade_no": "abc"},
        {"notify_url": "https://shop.example/notify?x=1"},
        {"time_expire": "2025-01-01 10:30:00"},
        {"mchid": "1900000999"},
        {"amount": []},
    ],
)
def test_a_body_breaking_the_rules_is_param_error_and_signed(pay_world, pay_base, changes):
    response = _raw(pay_world, pay_base, "POST", "/v3/pay/transactions/native", _body(pay_world, **changes))
    assert response.status_code == 400 and response.json()["code"] == "PARAM_ERROR"
    pay_crypto.verify_signed_headers(
        pay_world.credentials.platform_public_key_pem,
        pay_world.credentials.platform_public_key_id,
        response.headers,
        response.content,
    )
    assert not SimPayOrder.objects.exists()


def test_a_body_that_is_not_json_is_param_error(pay_world, pay_base):
    response = _raw(pay_world, pay_base, "POST", "/v3/pay/transactions/native", b"<xml/>")
    assert response.status_code == 400 and response.json()["code"] == "PARAM_ERROR"


def test_jsapi_without_payer_is_param_error(pay_world, pay_base):
    response = _raw(pay_world, pay_base, "POST", "/v3/pay/transactions/jsapi", _body(pay_world))
    assert response.status_code == 400 and response.json()["code"] == "PARAM_ERROR"


def test_every_merchant_only_sees_its_own_orders(pay_client, pay_base):
    pay_client.native(**ORDER)
    other = register("1900000222", "wxotherapp000002", name="Other")
    other_client = WeChatPayClient(other.credentials, allow_http_notify=True)
    assert _refusal(lambda: other_client.query_by_out_trade_no("O20250101001")).extra["code"] == "ORDER_NOT_EXIST"
