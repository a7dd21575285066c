"""POST /pay/wechat/<merchant_slug>/notify: the HTTP answers WeChat Pay sees."""

from __future__ import annotations

import pytest
from django.test import Client

from weloop.payments.enums import PaymentStatus
from weloop.payments.models import Payment, PaymentLedgerEntry
from weloop.payments.services import payment_start

from .conftest import new_reference, seal, transaction_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat() -> Client:
    # WeChat sends no CSRF token: the endpoint must not need one.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def payment(merchant, pay_settings, in_process_wechat) -> Payment:
    return payment_start(
        merchant=merchant, reference=new_reference(), description="Tea", amount_fen=800, method="wechat_native"
    )


def post(client: Client, slug: str, sealed):
    headers = {name: value for name, value in sealed.headers.items()}
    return client.post(f"/pay/wechat/{slug}/notify", data=sealed.body, content_type="application/json", headers=headers)


def test_an_applied_notification_and_its_duplicate_both_answer_204_without_body(
    wechat, merchant, payment, pay_settings
):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    first = post(wechat, merchant.slug, sealed)
    second = post(wechat, merchant.slug, sealed.resigned(pay_settings))

    assert (first.status_code, first.content, second.status_code) == (204, b"", 204)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert PaymentLedgerEntry.objects.count() == 1


def test_a_tampered_notification_answers_401_fail(wechat, merchant, payment, pay_settings):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))
    sealed.body = sealed.body.replace(b"encrypt-resource", b"encrypt-resourcE")

    response = post(wechat, merchant.slug, sealed)

    assert response.status_code == 401 and response.json()["code"] == "FAIL"
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_a_stale_notification_answers_400_fail(wechat, merchant, payment, pay_settings):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    response = post(wechat, merchant.slug, sealed.resigned(pay_settings, seconds_ago=3600))

    assert response.status_code == 400 and response.json()["code"] == "FAIL"


def test_a_wrong_amount_answers_400_fail_with_the_reason(wechat, merchant, payment, pay_settings):
    resource = transaction_resource(payment, pay_settings, amount={"total": 8, "currency": "CNY"})

    response = post(wechat, merchant.slug, seal(pay_settings, "TRANSACTION.SUCCESS", resource))

    assert response.status_code == 400 and response.json() == {"code": "FAIL", "message": "Rejected: wrong_amount."}


def test_an_unknown_merchant_is_404(wechat, payment, pay_settings):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    response = post(wechat, "no-such-shop", sealed)

    assert response.status_code == 404 and response.json()["code"] == "FAIL"


def test_a_merchant_without_wechat_pay_is_404(wechat, other_merchant, payment, pay_settings):
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    assert post(wechat, other_merchant.slug, sealed).status_code == 404


def test_only_post_is_accepted(wechat, merchant):
    assert wechat.get(f"/pay/wechat/{merchant.slug}/notify").status_code == 405


def test_a_suspended_merchants_payments_are_still_recorded(wechat, merchant, payment, pay_settings):
    from weloop.tenants.models import Merchant

    Merchant.objects.filter(pk=merchant.pk).update(status="suspended")
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    assert post(wechat, merchant.slug, sealed).status_code == 204
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
