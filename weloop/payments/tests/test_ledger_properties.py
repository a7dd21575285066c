"""Property: whatever sequence of payments, refunds and WeChat answers runs, the ledger balances.

Hypothesis draws sequences of offline and WeChat payments (paid by a notification), refunds (some
too large, some with bad amounts, some retried with the same number) and refund outcomes (success,
closed, duplicated notifications). After every step:
- sum(charges) - sum(refunds) == sum(amount_fen - refunded_fen) over succeeded payments;
- for each payment 0 <= refunded_fen <= amount_fen and refunded + refunding <= amount;
- refunded_fen equals its succeeded refunds and refunding_fen its refunds in flight;
- the number of charges equals the number of succeeded payments.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core.errors import WeloopError
from weloop.payments.enums import IN_FLIGHT_REFUND_STATUSES, PaymentStatus, RefundStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, Refund
from weloop.payments.selectors import ledger_balance
from weloop.payments.services import notification_apply, payment_record_offline, payment_start, refund_create

from .conftest import new_reference, pay_in_simulator, refund_resource, seal, transaction_resource

pytestmark = pytest.mark.django_db

amounts = st.one_of(st.integers(min_value=-5, max_value=3000), st.sampled_from([0.5, True, "12"]))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("offline"), st.integers(1, 5000)),
        st.tuples(st.just("wechat"), st.integers(1, 5000)),
        st.tuples(st.just("refund"), st.integers(0, 20), amounts),
        st.tuples(st.just("retry"), st.integers(0, 20)),
        st.tuples(st.just("settle"), st.integers(0, 20), st.sampled_from(["SUCCESS", "CLOSED", "SUCCESS_TWICE"])),
    ),
    max_size=14,
)


def check_invariants(merchant) -> None:
    balance = ledger_balance(merchant=merchant)
    assert balance.balanced, balance
    for payment in Payment.objects.for_merchant(merchant):
        assert 0 <= payment.refunded_fen <= payment.amount_fen
        assert payment.refunded_fen + payment.refunding_fen <= payment.amount_fen
        refunds = Refund.objects.filter(payment=payment)
        succeeded = refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount_fen"))["s"] or 0
        in_flight = refunds.filter(status__in=IN_FLIGHT_REFUND_STATUSES).aggregate(s=Sum("amount_fen"))["s"] or 0
        assert (payment.refunded_fen, payment.refunding_fen) == (succeeded, in_flight)
    paid = Payment.objects.for_merchant(merchant).filter(status=PaymentStatus.SUCCEEDED).count()
    assert PaymentLedgerEntry.objects.for_merchant(merchant).filter(kind="charge").count() == paid


def run(step, merchant, pay, staff, payments: list[Payment], refunds: list[Refund]) -> None:
    kind = step[0]
    if kind == "offline":
        payments.append(
            payment_record_offline(
                merchant=merchant, reference=new_reference(), amount_fen=step[1], method="offline_cash", staff=staff
            )
        )
    elif kind == "wechat":
        payment = payment_start(
            merchant=merchant, reference=new_reference(), description="x", amount_fen=step[1], method="wechat_native"
        )
        order = pay_in_simulator(payment)
        sealed = seal(
            pay, "TRANSACTION.SUCCESS", transaction_resource(payment, pay, transaction_id=order.transaction_id)
        )
        notification_apply(merchant=merchant, headers=sealed.headers, body=sealed.body)
        payments.append(Payment.objects.get(pk=payment.pk))
    elif kind == "refund" and payments:
        payment = payments[step[1] % len(payments)]
        # too large, bad amount: nothing may change (the invariants check it)
        with contextlib.suppress(WeloopError):
            refunds.append(refund_create(merchant=merchant, payment=payment, amount_fen=step[2], actor="prop"))
    elif kind == "retry" and refunds:
        earlier = refunds[step[1] % len(refunds)]
        refund_create(
            merchant=merchant,
            payment=earlier.payment,
            amount_fen=earlier.amount_fen,
            out_refund_no=earlier.out_refund_no,
            actor="prop",
        )
    elif kind == "settle" and refunds:
        refund = Refund.objects.select_related("payment").get(pk=refunds[step[1] % len(refunds)].pk)
        status = "CLOSED" if step[2] == "CLOSED" else "SUCCESS"
        sealed = seal(pay, f"REFUND.{status}", refund_resource(refund, pay, status=status))
        for _ in range(2 if step[2] == "SUCCESS_TWICE" else 1):
            notification_apply(merchant=merchant, headers=sealed.headers, body=sealed.body)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_the_ledger_balances_and_refunds_never_exceed_the_amount(steps, make_merchant, make_staff, in_process_wechat):
    from weloop.payments.services import pay_settings_create_simulated

    merchant = make_merchant().merchant  # a fresh merchant per example: its ledger starts empty
    pay = pay_settings_create_simulated(merchant=merchant)
    staff = make_staff(merchant, "clerk")
    payments: list[Payment] = []
    refunds: list[Refund] = []
    for step in steps:
        run(step, merchant, pay, staff, payments, refunds)
        check_invariants(merchant)
