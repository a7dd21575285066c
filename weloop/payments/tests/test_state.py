"""The payment and refund state machines: every (from, to) pair, through the shared walk."""

from __future__ import annotations

import pytest

from weloop.core.tests.state_walk import all_pairs, assert_transition_pair, table_of
from weloop.payments.enums import PaymentStatus, RefundStatus
from weloop.payments.models import Payment, Refund
from weloop.payments.state import PAYMENT, REFUND

pytestmark = pytest.mark.django_db

# Received money is never ignored: closed and failed payments may still turn out paid.
# A change to PAYMENT or REFUND must change these tables (and docs/payments.md).
EXPECTED_PAYMENT = {
    "created": {"pending", "succeeded", "failed", "closed"},
    "pending": {"succeeded", "failed", "closed"},
    "failed": {"succeeded"},
    "closed": {"succeeded"},
    "succeeded": set(),
}
EXPECTED_REFUND = {
    "created": {"processing", "succeeded", "failed", "closed"},
    "processing": {"succeeded", "closed"},
    "failed": {"created"},
    "succeeded": set(),
    "closed": set(),
}


def test_the_machines_are_the_documented_tables():
    assert table_of(PAYMENT) == EXPECTED_PAYMENT
    assert table_of(REFUND) == EXPECTED_REFUND
    assert PAYMENT.states == set(PaymentStatus.values)
    assert REFUND.states == set(RefundStatus.values)


def _payment(merchant, status: str, n: list[int] = [0]) -> Payment:  # noqa: B006 (a counter)
    n[0] += 1
    return Payment.objects.create(
        merchant=merchant,
        reference=f"O2026STATE{n[0]:04d}",
        out_trade_no=f"O2026STATE{n[0]:04d}",
        description="state",
        amount_fen=100,
        method="wechat_native",
        status=status,
    )


@pytest.mark.parametrize(("src", "dst"), all_pairs(PAYMENT))
def test_every_payment_transition_pair(merchant, src, dst):
    assert_transition_pair(PAYMENT, lambda s: _payment(merchant, s), src, dst, merchant_id_of=lambda p: p.merchant_id)


@pytest.mark.parametrize(("src", "dst"), all_pairs(REFUND))
def test_every_refund_transition_pair(merchant, src, dst):
    payment = _payment(merchant, "succeeded")

    def make(status: str) -> Refund:
        return Refund.objects.create(
            merchant=merchant, payment=payment, out_refund_no="R1", amount_fen=10, status=status
        )

    assert_transition_pair(REFUND, make, src, dst, merchant_id_of=lambda r: r.merchant_id)


def test_a_stale_copy_cannot_settle_a_payment_twice(merchant):
    from weloop.core.errors import ConcurrentModification

    payment = _payment(merchant, "pending")
    stale = Payment.objects.get(pk=payment.pk)
    PAYMENT.transition(payment, "succeeded", actor="notification")

    with pytest.raises(ConcurrentModification):
        PAYMENT.transition(stale, "closed", actor="expiry")
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
