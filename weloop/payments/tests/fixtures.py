"""Fixtures for payments: a merchant with simulated WeChat Pay, the simulator reached in-process, and
notifications sealed exactly as WeChat Pay seals them (``weloop.wechat.pay_crypto.seal_notification``).

``in_process_wechat`` routes the platform's WeChatPayClient to the simulator's views through Django's
test client (a requests adapter), so service tests run inside the test transaction with the real
protocol (signed requests, signed answers) and no server. The live-server journey is in
``test_simulator_journey.py``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from requests.structures import CaseInsensitiveDict

from weloop.core import clock
from weloop.payments.models import Payment, PaySettings
from weloop.payments.services import pay_settings as accounts
from weloop.payments.services import pay_settings_create_simulated
from weloop.wechat import pay as wechat_pay
from weloop.wechat.pay_crypto import rfc3339, seal_notification, sign_response

SIM_PAY_BASE = "http://testserver/simulator/pay"
_numbers = itertools.count(1)


@lru_cache(maxsize=2)
def _key_set(slot: int) -> tuple[wechat_pay.PayCredentials, str]:
    # RSA key generation is the slow part of creating simulated settings: two sets for the whole run.
    return wechat_pay.generate_simulated_pay_credentials("1900000000", "wx0000000000000000")


def _cached_simulated_credentials(mchid: str, appid: str, slot: int = 0) -> tuple[wechat_pay.PayCredentials, str]:
    credentials, platform_private = _key_set(slot)
    return dataclasses.replace(credentials, mchid=mchid, appid=appid), platform_private


@pytest.fixture(autouse=True)
def _fast_keys(monkeypatch):
    monkeypatch.setattr(accounts, "generate_simulated_pay_credentials", _cached_simulated_credentials)


class DjangoTestAdapter(requests.adapters.BaseAdapter):
    """Sends requests' requests to this project's views through Django's test client."""

    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def send(self, request, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url)
        skip = {"content-length", "content-type", "host"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        answer = self.client.generic(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass


def in_process_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://testserver/", DjangoTestAdapter())
    return session


@pytest.fixture
def in_process_wechat(monkeypatch, settings):
    """WeChat Pay = the simulator's views, called in-process; refunds settle only when a test says so."""
    settings.WECHAT_PAY_BASE = SIM_PAY_BASE
    # The simulator's own background work stays out of the way: refunds settle, and notifications
    # are sealed and delivered, only when a test says so (its pushes go nowhere: port 9 is closed).
    settings.SIMULATOR_PAY_REFUND_DELAY = 3600
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = []
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 0
    settings.PUBLIC_URL = "http://127.0.0.1:9"

    def client(pay_settings: PaySettings) -> wechat_pay.WeChatPayClient:
        return wechat_pay.WeChatPayClient(
            accounts.credentials_of(pay_settings), base_url=SIM_PAY_BASE, session=in_process_session(), timeout=5
        )

    monkeypatch.setattr(accounts, "pay_client", client)
    return client


@pytest.fixture
def pay_settings(merchant) -> PaySettings:
    return pay_settings_create_simulated(merchant=merchant, actor="test")


@pytest.fixture
def other_pay_settings(other_merchant, monkeypatch) -> PaySettings:
    """The other merchant's settings, with keys of its own (a platform key id that is not ours)."""
    with monkeypatch.context() as patch:
        patch.setattr(
            accounts, "generate_simulated_pay_credentials", lambda m, a: _cached_simulated_credentials(m, a, 1)
        )
        return pay_settings_create_simulated(merchant=other_merchant, actor="test")


def pay_in_simulator(payment: Payment, openid: str = "oPAYER00000000000000000001"):
    """The payer pays at (simulated) WeChat; its own notification is never sent in service tests."""
    from weloop.simulator import pay_server
    from weloop.simulator.pay_models import SimPayOrder
    from weloop.simulator.pay_registry import pay_merchant_for

    order = SimPayOrder.objects.get(out_trade_no=payment.out_trade_no)
    return pay_server.order_pay(order=order, merchant=pay_merchant_for(order.mchid), payer_openid=openid)


def new_reference() -> str:
    return f"O{clock.now():%Y%m%d}{next(_numbers):06d}"


def transaction_resource(payment: Payment, pay: PaySettings, **changes: Any) -> dict[str, Any]:
    """A decrypted TRANSACTION.SUCCESS resource for ``payment``, as WeChat Pay sends it (§4.5)."""
    resource: dict[str, Any] = {
        "appid": pay.appid,
        "mchid": pay.mchid,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": f"4200{next(_numbers):024d}",
        "trade_type": "JSAPI" if payment.method == "wechat_jsapi" else "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": payment.public_id,
        "success_time": rfc3339(clock.now()),
        "payer": {"openid": payment.payer_openid or "oSCANNER0000000000000000001"},
        "amount": {"total": payment.amount_fen, "payer_total": payment.amount_fen, "currency": "CNY"},
    }
    resource.update(changes)
    return resource


def refund_resource(refund, pay: PaySettings, status: str = "SUCCESS", **changes: Any) -> dict[str, Any]:
    payment = refund.payment
    resource: dict[str, Any] = {
        "mchid": pay.mchid,
        "out_trade_no": payment.out_trade_no,
        "transaction_id": payment.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": f"50{next(_numbers):027d}",
        "refund_status": status,
        "success_time": rfc3339(clock.now()) if status == "SUCCESS" else "",
        "user_received_account": "支付用户零钱",
        "amount": {
            "total": payment.amount_fen,
            "refund": refund.amount_fen,
            "payer_total": payment.amount_fen,
            "payer_refund": refund.amount_fen,
        },
    }
    resource.update(changes)
    return resource


@dataclasses.dataclass
class Sealed:
    headers: dict[str, str]
    body: bytes
    id: str

    def resigned(self, pay: PaySettings, *, seconds_ago: int = 0) -> Sealed:
        """The same notification delivered again (WeChat re-signs every attempt)."""
        timestamp = str(int(clock.now().timestamp()) - seconds_ago)
        headers = sign_response(
            pay.simulator_platform_private_key_pem, pay.platform_public_key_id, self.body, timestamp=timestamp
        )
        return Sealed(headers, self.body, self.id)


def seal(pay: PaySettings, event_type: str, resource: dict[str, Any], *, notification_id: str | None = None) -> Sealed:
    """A notification signed with the platform key and encrypted with the APIv3 key."""
    original_type = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    notification_id = notification_id or f"EV-{next(_numbers):012d}"
    headers, body = seal_notification(
        pay.apiv3_key,
        pay.simulator_platform_private_key_pem,
        pay.platform_public_key_id,
        event_type,
        "encrypt-resource",
        original_type,
        resource,
        "支付成功" if original_type == "transaction" else "退款成功",
        notification_id=notification_id,
    )
    return Sealed(headers, body, notification_id)


@pytest.fixture
def deliver(merchant) -> Callable[..., Any]:
    """Apply a sealed notification as the endpoint would: deliver(sealed, merchant=…)."""
    from weloop.payments.services import notification_apply

    def send(sealed: Sealed, *, to=None):
        return notification_apply(merchant=to or merchant, headers=sealed.headers, body=sealed.body)

    return send
