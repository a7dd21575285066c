"""The platform and the simulated WeChat Pay over real HTTP, as in production but on one laptop.

The platform starts a payment at live_server.url + /simulator/pay (signed request, signed answer);
the payer pays in the simulator's wallet (the form is posted: no browser needed); the simulator
pushes the signed, encrypted notification from its own threads to /pay/wechat/<slug>/notify; the
payment succeeds exactly once, even when WeChat delivers the notification twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from weloop.core.models import OutboxEvent
from weloop.payments.enums import PaymentStatus, RefundStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, PaymentNotification, Refund
from weloop.payments.selectors import ledger_balance
from weloop.payments.services import (
    pay_settings_create_simulated,
    payment_jsapi_params,
    payment_native_params,
    payment_start,
    reconciliation_report,
    refund_create,
)
from weloop.simulator.pay_enums import NotificationStatus
from weloop.simulator.pay_models import SimPayNotification

from .conftest import new_reference

pytestmark = pytest.mark.django_db(transaction=True)

OPENID = "oJOURNEY000000000000000000001"


class _FormInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still not true after {timeout} s")


def deliveries_settled() -> bool:
    attempts = SimPayNotification.objects.all()
    busy = (NotificationStatus.PENDING, NotificationStatus.SENDING)
    return attempts.exists() and not attempts.filter(status__in=busy).exists()


def press_pay(page_url: str) -> requests.Response:
    """What the payer's thumb does: open the wallet sheet, press "Pay"."""
    with requests.Session() as phone:
        phone.trust_env = False
        sheet = phone.get(page_url, timeout=10)
        assert sheet.status_code == 200, sheet.text[:500]
        form = _FormInputs()
        form.feed(sheet.text)
        action = urlsplit(page_url)._replace(query="").geturl()
        return phone.post(action, data={**form.fields, "action": "pay"}, allow_redirects=False, timeout=10)


@pytest.fixture
def live_pay(simulated_wechat, settings, merchant):
    settings.SIMULATOR_PAY_RETRY_SCHEDULE = [0.2, 0.5, 1.0]
    settings.SIMULATOR_PAY_REFUND_DELAY = 0
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 0
    pay_settings_create_simulated(merchant=merchant, actor="test")
    return simulated_wechat


def test_jsapi_payment_paid_in_the_wallet_succeeds_exactly_once(live_pay, merchant):
    # given a JSAPI payment started at the simulated WeChat Pay
    payment = payment_start(
        merchant=merchant,
        reference=new_reference(),
        description="拿铁 x2",
        amount_fen=3200,
        method="wechat_jsapi",
        payer_openid=OPENID,
        attribution={"store": "st_FUTIAN"},
    )
    assert payment.status == PaymentStatus.PENDING and payment.prepay_id
    params = payment_jsapi_params(merchant=merchant, payment=payment, return_url=f"/m/{merchant.slug}/orders/1")
    # when the payer presses "Pay" in the wallet
    answer = press_pay(params.wallet_url)
    # then the wallet sends the payer back with result=ok (not proof of payment)…
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["result"] == ["ok"]
    # …and WeChat's notification reaches the platform, which applies it once
    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED)
    wait_for(deliveries_settled)
    attempt = SimPayNotification.objects.get()
    assert (attempt.response_code, attempt.url) == (204, f"{live_pay}/pay/wechat/{merchant.slug}/notify")
    paid = Payment.objects.get(pk=payment.pk)
    assert paid.payer_openid == OPENID and paid.transaction_id
    assert PaymentLedgerEntry.objects.filter(payment=paid).count() == 1
    event = OutboxEvent.objects.get(name="payments.payment_succeeded")
    assert (event.payload["reference"], event.payload["amount_fen"], event.payload["attribution"]) == (
        payment.reference,
        3200,
        {"store": "st_FUTIAN"},
    )


def test_a_notification_delivered_twice_is_harmless(live_pay, merchant, settings):
    settings.SIMULATOR_PAY_DUPLICATE_RATE = 1  # WeChat sends every notification a second time
    payment = payment_start(
        merchant=merchant, reference=new_reference(), description="Cake", amount_fen=1500, method="wechat_native"
    )
    scan = payment_native_params(merchant=merchant, payment=payment).scan_url

    press_pay(scan)

    wait_for(lambda: SimPayNotification.objects.filter(copy_no=2, status=NotificationStatus.DELIVERED).exists())
    wait_for(deliveries_settled)
    assert sorted(SimPayNotification.objects.values_list("copy_no", "response_code")) == [(1, 204), (2, 204)]
    row = PaymentNotification.objects.get(payment=payment)
    assert (row.outcome, row.deliveries) == ("applied", 2)
    assert PaymentLedgerEntry.objects.filter(payment=payment).count() == 1
    assert OutboxEvent.objects.filter(name="payments.payment_succeeded").count() == 1


def test_a_refund_is_settled_by_the_simulators_refund_notification(live_pay, merchant):
    payment = payment_start(
        merchant=merchant, reference=new_reference(), description="Cake", amount_fen=2000, method="wechat_native"
    )
    press_pay(payment_native_params(merchant=merchant, payment=payment).scan_url)
    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED)

    refund = refund_create(
        merchant=merchant, payment=Payment.objects.get(pk=payment.pk), amount_fen=500, reason="少一块", actor="test"
    )

    assert refund.status in (RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)
    wait_for(lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED)
    wait_for(deliveries_settled)
    assert Payment.objects.get(pk=payment.pk).refunded_fen == 500
    assert ledger_balance(merchant=merchant).balanced
    paid_on = timezone.localdate(Payment.objects.get(pk=payment.pk).paid_at)
    report = reconciliation_report(merchant=merchant, day=paid_on)
    assert report["methods"]["wechat_native"]["net_fen"] == 1500 and report["mismatches"] == []
