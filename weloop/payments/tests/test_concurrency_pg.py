"""Races on PostgreSQL: real threads, each with its own connection, on the same payment.

Run with: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/pytest -q weloop/payments -p no:randomly
(SQLite serializes writers, so it cannot show a double charge; these are skipped there.)
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.core.models import OutboxEvent
from weloop.payments.enums import PaymentStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, PaymentNotification, Refund
from weloop.payments.selectors import ledger_balance
from weloop.payments.services import (
    notification_apply,
    payment_record_offline,
    payment_start,
    refund_create,
)

from .conftest import new_reference, pay_in_simulator, seal, transaction_resource

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def codes(results: list[object]) -> Counter:
    return Counter(r.code if isinstance(r, WeloopError) else type(r).__name__ for r in results)


@pytest.fixture
def paid_native(merchant, pay_settings, in_process_wechat) -> Payment:
    payment = payment_start(
        merchant=merchant, reference=new_reference(), description="x", amount_fen=1000, method="wechat_native"
    )
    order = pay_in_simulator(payment)
    sealed = seal(
        pay_settings,
        "TRANSACTION.SUCCESS",
        transaction_resource(payment, pay_settings, transaction_id=order.transaction_id),
    )
    assert notification_apply(merchant=merchant, headers=sealed.headers, body=sealed.body).outcome == "applied"
    return Payment.objects.get(pk=payment.pk)


def test_eight_threads_applying_the_same_notification_charge_once(merchant, pay_settings, in_process_wechat):
    payment = payment_start(
        merchant=merchant, reference=new_reference(), description="x", amount_fen=1800, method="wechat_native"
    )
    sealed = seal(pay_settings, "TRANSACTION.SUCCESS", transaction_resource(payment, pay_settings))

    results = race(lambda i: notification_apply(merchant=merchant, headers=sealed.headers, body=sealed.body), 8)

    outcomes = Counter(r.outcome for r in results)  # type: ignore[union-attr]
    assert outcomes == Counter({"applied": 1, "duplicate": 7}), results
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED
    assert PaymentLedgerEntry.objects.filter(payment=payment).count() == 1
    assert OutboxEvent.objects.filter(name="payments.payment_succeeded").count() == 1
    assert PaymentNotification.objects.get(notification_id=sealed.id).deliveries == 8
    assert ledger_balance(merchant=merchant).balanced


def test_two_threads_refunding_what_is_left_refund_it_once(merchant, paid_native):
    results = race(lambda i: refund_create(merchant=merchant, payment=paid_native, amount_fen=1000, actor=f"t{i}"), 2)

    assert codes(results) == Counter({"Refund": 1, "payments.refund_exceeds_remaining": 1}), results
    assert Refund.objects.filter(payment=paid_native).count() == 1
    payment = Payment.objects.get(pk=paid_native.pk)
    assert payment.refunding_fen + payment.refunded_fen == 1000


def test_many_threads_refunding_parts_never_refund_more_than_the_amount(merchant, paid_native):
    results = race(lambda i: refund_create(merchant=merchant, payment=paid_native, amount_fen=300, actor=f"t{i}"), 6)

    assert codes(results) == Counter({"Refund": 3, "payments.refund_exceeds_remaining": 3}), results
    payment = Payment.objects.get(pk=paid_native.pk)
    assert payment.refunding_fen + payment.refunded_fen == 900


def test_concurrent_starts_of_the_same_payment_make_one_payment(merchant, pay_settings, in_process_wechat):
    reference = new_reference()

    results = race(
        lambda i: payment_start(
            merchant=merchant, reference=reference, description="x", amount_fen=500, method="wechat_native"
        ),
        4,
    )

    assert all(isinstance(r, Payment) for r in results), results
    assert len({r.pk for r in results}) == 1  # type: ignore[union-attr]
    assert Payment.objects.filter(reference=reference).count() == 1


def test_two_clerks_recording_cash_for_the_same_order_record_it_once(merchant, make_staff):
    clerks = [make_staff(merchant, "clerk"), make_staff(merchant, "clerk")]
    reference = new_reference()

    results = race(
        lambda i: payment_record_offline(
            merchant=merchant, reference=reference, amount_fen=800, method="offline_cash", staff=clerks[i]
        ),
        2,
    )

    assert codes(results) == Counter({"Payment": 1, "payments.already_paid": 1}), results
    assert PaymentLedgerEntry.objects.filter(reference=reference).count() == 1
