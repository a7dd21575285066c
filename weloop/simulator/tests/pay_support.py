"""Fixtures for the simulated WeChat Pay: a registered merchant, a client pointed at the simulator,
and a notify_url server that opens every notification with the platform's ``open_notification``.

``pay_world`` and ``notify_server`` are fixtures (made available by this package's conftest).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from weloop.simulator import pay_server
from weloop.simulator.pay_enums import NotificationStatus, TradeType
from weloop.simulator.pay_models import SimPayNotification, SimPayOrder
from weloop.simulator.pay_registry import PayMerchant, pay_merchant_register
from weloop.wechat.pay import (
    Notification,
    PayCredentials,
    WeChatPayClient,
    generate_simulated_pay_credentials,
    open_notification,
    public_key_of,
)
from weloop.wechat.pay_errors import PaySignatureInvalid, PayStaleTimestamp, PayUndecryptable

MCHID, APPID = "1900000109", "wxd678efh567hg6787"


@lru_cache(maxsize=2)
def _generated(mchid: str, appid: str) -> tuple[PayCredentials, str]:
    # RSA key generation is the slow part: one set per merchant for the whole test run.
    return generate_simulated_pay_credentials(mchid, appid)


@dataclass
class PayWorld:
    credentials: PayCredentials
    platform_private_key_pem: str
    merchant: PayMerchant

    def client(self, base_url: str = "http://testserver/simulator/pay", **kwargs: Any) -> WeChatPayClient:
        return WeChatPayClient(self.credentials, base_url=base_url, timeout=5, allow_http_notify=True, **kwargs)


def register(mchid: str = MCHID, appid: str = APPID, *, name: str = "Bakery") -> PayWorld:
    credentials, platform_private = _generated(mchid, appid)
    merchant = pay_merchant_register(
        mchid=mchid,
        appid=appid,
        name=name,
        apiv3_key=credentials.apiv3_key,
        merchant_public_key_pem=public_key_of(credentials.merchant_private_key_pem),
        merchant_serial=credentials.merchant_serial,
        platform_private_key_pem=platform_private,
        platform_public_key_id=credentials.platform_public_key_id,
    )
    return PayWorld(credentials, platform_private, merchant)


@pytest.fixture
def pay_world(db, settings) -> PayWorld:
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 0
    settings.SIMULATOR_PAY_REFUND_DELAY = 0
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.05, 0.05, 0.05]
    return register()


def order_payload(world: PayWorld, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "appid": world.merchant.appid,
        "mchid": world.merchant.mchid,
        "description": "Latte x2",
        "out_trade_no": "O20250101001",
        "notify_url": "http://127.0.0.1:9/pay/notify",
        "amount": {"total": 3200, "currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    }
    payload.update(changes)
    return payload


def place_jsapi(world: PayWorld, **changes: Any) -> SimPayOrder:
    """An order placed directly with the simulator's service (no HTTP)."""
    return pay_server.order_place(
        merchant=world.merchant, trade_type=TradeType.JSAPI, payload=order_payload(world, **changes)
    )


def place_native(world: PayWorld, **changes: Any) -> SimPayOrder:
    payload = {k: v for k, v in order_payload(world, **changes).items() if k != "payer"}
    return pay_server.order_place(merchant=world.merchant, trade_type=TradeType.NATIVE, payload=payload)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.03)
    raise AssertionError(f"still not true after {timeout} s")


def settled(event_id: str | None = None) -> bool:
    """No notification attempt is waiting or in flight (optionally: of one notification)."""
    attempts = SimPayNotification.objects.all()
    if event_id:
        attempts = attempts.filter(event_id=event_id)
    busy = (NotificationStatus.PENDING, NotificationStatus.SENDING)
    return attempts.exists() and not attempts.filter(status__in=busy).exists()


# --- the merchant's notify_url --------------------------------------------------------------------


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    notification: Notification | None
    error: str = ""


@dataclass
class NotifyServer:
    """Opens each POST with ``open_notification`` and answers ``respond(delivery, index) -> (status, delay)``."""

    credentials: PayCredentials
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    respond: Callable[[Delivery, int], tuple[int, float]] = lambda d, i: (204, 0.0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notify_url(self, path: str = "/pay/notify") -> str:
        return self.url + path

    def opened(self) -> list[Notification]:
        return [d.notification for d in self.deliveries if d.notification is not None]


@pytest.fixture
def notify_server(pay_world) -> Iterator[NotifyServer]:
    state = NotifyServer(credentials=pay_world.credentials)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            try:
                delivery = Delivery(self.path, headers, body, open_notification(state.credentials, headers, body))
            except (PaySignatureInvalid, PayStaleTimestamp, PayUndecryptable) as error:
                delivery = Delivery(self.path, headers, body, None, error.code)
            with state.lock:
                state.deliveries.append(delivery)
                index = len(state.deliveries) - 1
            status, delay = state.respond(delivery, index) if delivery.notification else (401, 0.0)
            time.sleep(delay)
            answer = json.dumps({"code": "SUCCESS" if status < 300 else "FAIL", "message": ""}).encode()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the simulator gave up waiting
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()
