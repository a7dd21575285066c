"""Refunds: partial, full, more than what is left, the 51st, the same out_refund_no retried, refusals,
notifications and queries settling them, and refunds at the counter.
"""

from __future__ import annotations

import pytest

from weloop.core.errors import NotFound, WeloopError
from weloop.core.models import OutboxEvent
from weloop.payments.enums import RefundStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, Refund
from weloop.payments.selectors import ledger_balance
from weloop.payments.services import pay_settings as accounts
from weloop.payments.services import (
    payment_record_offline,
    payment_start,
    refund_create,
    refund_retry_failed,
    refund_sync,
)
from weloop.simulator import pay_server
from weloop.simulator.pay_enums import RefundStatus as SimRefundStatus
from weloop.simulator.pay_models import SimPayOrder, SimPayRefund

from .conftest import new_reference, pay_in_simulator, refund_resource, seal, transaction_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(merchant, pay_settings, in_process_wechat, deliver) -> Payment:
    """A 10.00 yuan Native payment, paid at WeChat and notified."""
    payment = payment_start(
        merchant=merchant, reference=new_reference(), description="Cake", amount_fen=1000, method="wechat_native"
    )
    order = pay_in_simulator(payment)
    resource = transaction_resource(payment, pay_settings, transaction_id=order.transaction_id)
    assert deliver(seal(pay_settings, "TRANSACTION.SUCCESS", resource)).outcome == "applied"
    return Payment.objects.get(pk=payment.pk)


def refund(merchant, payment, amount_fen, **kwargs):
    return refund_create(merchant=merchant, payment=payment, amount_fen=amount_fen, actor="test", **kwargs)


def settle_at_wechat(refund_row: Refund) -> SimPayRefund:
    sim = SimPayRefund.objects.get(out_refund_no=refund_row.out_refund_no)
    pay_server.refund_settle(sim.pk)
    sim.refresh_from_db()
    return sim


def reloaded(payment: Payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


def test_a_partial_refund_is_asked_for_then_settled_by_its_notification(merchant, paid, pay_settings, deliver):
    # when
    row = refund(merchant, paid, 300, reason="缺货")
    # then WeChat accepted it: the amount is reserved, not refunded yet
    assert row.status == RefundStatus.PROCESSING and row.wechat_refund_id
    assert row.public_id.startswith("rf_") and row.out_refund_no == row.public_id
    assert (reloaded(paid).refunding_fen, reloaded(paid).refunded_fen) == (300, 0)
    assert SimPayRefund.objects.get(out_refund_no=row.out_refund_no).refund_fen == 300
    # when WeChat's notification says it succeeded
    settle_at_wechat(row)
    result = deliver(seal(pay_settings, "REFUND.SUCCESS", refund_resource(row, pay_settings)))
    # then
    assert result.outcome == "applied"
    row.refresh_from_db()
    assert row.status == RefundStatus.SUCCEEDED and row.succeeded_at is not None
    assert (reloaded(paid).refunding_fen, reloaded(paid).refunded_fen) == (0, 300)
    entry = PaymentLedgerEntry.objects.get(refund=row)
    assert (entry.kind, entry.amount_fen) == ("refund", 300)
    event = OutboxEvent.objects.get(name="payments.refund_succeeded")
    assert (event.payload["refund_id"], event.payload["amount_fen"], event.payload["remaining_fen"]) == (
        row.public_id,
        300,
        700,
    )
    assert event.payload["reference"] == paid.reference
    assert ledger_balance(merchant=merchant).balanced


def test_the_same_refund_notification_twice_refunds_once(merchant, paid, pay_settings, deliver):
    row = refund(merchant, paid, 1000)
    settle_at_wechat(row)
    sealed = seal(pay_settings, "REFUND.SUCCESS", refund_resource(row, pay_settings))

    outcomes = [deliver(sealed).outcome, deliver(sealed.resigned(pay_settings)).outcome]

    assert outcomes == ["applied", "duplicate"]
    assert reloaded(paid).refunded_fen == 1000
    assert PaymentLedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_full_refund_then_nothing_is_left(merchant, paid):
    refund(merchant, paid, 1000)

    with pytest.raises(WeloopError) as caught:
        refund(merchant, paid, 1)

    assert caught.value.code == "payments.refund_exceeds_remaining"
    assert caught.value.extra == {"payment_id": paid.public_id, "requested_fen": 1, "remaining_fen": 0}


def test_a_refund_larger_than_what_is_left_is_refused_and_changes_nothing(merchant, paid):
    refund(merchant, paid, 600)

    with pytest.raises(WeloopError) as caught:
        refund(merchant, paid, 401)

    assert caught.value.code == "payments.refund_exceeds_remaining" and caught.value.extra["remaining_fen"] == 400
    assert Refund.objects.count() == 1 and reloaded(paid).refunding_fen == 600
    assert SimPayRefund.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (-1, "money.invalid_amount"),
        (0.5, "money.invalid_amount"),
        ("100", "money.invalid_amount"),
        (0, "payments.invalid_refund"),
    ],
)
def test_bad_refund_amounts_are_refused(merchant, paid, amount, code):
    with pytest.raises(WeloopError) as caught:
        refund(merchant, paid, amount)

    assert caught.value.code == code and not Refund.objects.exists()


def test_bad_refund_numbers_and_reasons_are_refused(merchant, paid):
    with pytest.raises(WeloopError) as bad_number:
        refund(merchant, paid, 1, out_refund_no="has space")
    with pytest.raises(WeloopError) as long_reason:
        refund(merchant, paid, 1, reason="x" * 81)

    assert bad_number.value.extra == {"field": "out_refund_no"}
    assert long_reason.value.extra == {"field": "reason"}


def test_the_51st_refund_is_refused(merchant, paid):
    Payment.objects.filter(pk=paid.pk).update(amount_fen=100_000)  # room for many small refunds
    payment = reloaded(paid)
    for n in range(50):
        Refund.objects.create(
            merchant=merchant, payment=payment, out_refund_no=f"OLD{n}", amount_fen=1, status="closed"
        )

    with pytest.raises(WeloopError) as caught:
        refund(merchant, payment, 1)

    assert caught.value.code == "payments.too_many_refunds"
    assert Refund.objects.count() == 50 and reloaded(paid).refunding_fen == 0


def test_retrying_the_same_out_refund_no_never_creates_a_second_refund(merchant, paid):
    first = refund(merchant, paid, 400, out_refund_no="R2026-0001")

    again = refund(merchant, paid, 400, out_refund_no="R2026-0001")

    assert again.pk == first.pk
    assert Refund.objects.count() == 1 and SimPayRefund.objects.count() == 1
    assert reloaded(paid).refunding_fen == 400


def test_the_same_out_refund_no_for_another_amount_is_refused(merchant, paid):
    refund(merchant, paid, 400, out_refund_no="R2026-0002")

    with pytest.raises(WeloopError) as caught:
        refund(merchant, paid, 500, out_refund_no="R2026-0002")

    assert caught.value.code == "payments.refund_number_reused" and Refund.objects.count() == 1


def test_a_refund_whose_answer_was_lost_is_resent_with_the_same_number(merchant, paid, monkeypatch):
    from weloop.wechat.pay import WeChatPayClient

    working = accounts.pay_client
    monkeypatch.setattr(
        accounts, "pay_client", lambda s: WeChatPayClient(accounts.credentials_of(s), base_url="http://127.0.0.1:9/x")
    )
    lost = refund(merchant, paid, 250, out_refund_no="R2026-0003")
    assert lost.status == RefundStatus.CREATED and "outcome unknown" in lost.failure_reason
    assert reloaded(paid).refunding_fen == 250  # still reserved: WeChat may have it
    monkeypatch.setattr(accounts, "pay_client", working)

    synced = refund_sync(merchant=merchant, refund=lost)

    assert synced.pk == lost.pk and synced.status == RefundStatus.PROCESSING
    assert SimPayRefund.objects.filter(out_refund_no="R2026-0003").count() == 1


def test_a_refund_wechat_refuses_fails_frees_its_amount_and_can_be_retried(merchant, paid):
    # WeChat thinks the order total is different: it refuses (INVALID_REQUEST)
    SimPayOrder.objects.filter(out_trade_no=paid.out_trade_no).update(total_fen=999)
    refused = refund(merchant, paid, 100)
    assert refused.status == RefundStatus.FAILED and "INVALID_REQUEST" in refused.failure_reason
    assert reloaded(paid).refunding_fen == 0
    assert OutboxEvent.objects.get(name="payments.refund_failed").payload["status"] == "failed"
    SimPayOrder.objects.filter(out_trade_no=paid.out_trade_no).update(total_fen=1000)

    retried = refund_retry_failed(merchant=merchant, refund=refused, actor="test")

    assert retried.pk == refused.pk and retried.status == RefundStatus.PROCESSING
    assert reloaded(paid).refunding_fen == 100


def test_a_refund_closed_by_wechat_frees_its_amount(merchant, paid, pay_settings, deliver):
    row = refund(merchant, paid, 700)

    result = deliver(seal(pay_settings, "REFUND.CLOSED", refund_resource(row, pay_settings, status="CLOSED")))

    row.refresh_from_db()
    assert result.outcome == "applied" and row.status == RefundStatus.CLOSED
    assert (reloaded(paid).refunding_fen, reloaded(paid).refunded_fen) == (0, 0)
    assert not PaymentLedgerEntry.objects.filter(kind="refund").exists()
    assert reloaded(paid).refundable_fen == 1000  # all of it may be refunded again


def test_an_abnormal_refund_stays_in_flight_and_is_reported(merchant, paid, pay_settings, deliver):
    row = refund(merchant, paid, 700)

    deliver(seal(pay_settings, "REFUND.ABNORMAL", refund_resource(row, pay_settings, status="ABNORMAL")))

    row.refresh_from_db()
    assert (row.status, row.wechat_status) == (RefundStatus.PROCESSING, "ABNORMAL")
    assert reloaded(paid).refunding_fen == 700
    assert OutboxEvent.objects.filter(name="payments.refund_abnormal").count() == 1


def test_a_refund_notification_with_a_wrong_amount_is_rejected(merchant, paid, pay_settings, deliver):
    row = refund(merchant, paid, 700)
    body = refund_resource(row, pay_settings)
    body["amount"]["refund"] = 1000

    result = deliver(seal(pay_settings, "REFUND.SUCCESS", body))

    assert (result.outcome, result.reason, result.http_status) == ("rejected", "wrong_amount", 400)
    assert Refund.objects.get(pk=row.pk).status == RefundStatus.PROCESSING and reloaded(paid).refunded_fen == 0


def test_refund_sync_applies_what_the_query_says(merchant, paid):
    row = refund(merchant, paid, 300)
    settle_at_wechat(row)

    synced = refund_sync(merchant=merchant, refund=row)

    assert synced.status == RefundStatus.SUCCEEDED and reloaded(paid).refunded_fen == 300
    assert refund_sync(merchant=merchant, refund=synced).status == RefundStatus.SUCCEEDED
    assert PaymentLedgerEntry.objects.filter(kind="refund").count() == 1


def test_a_pending_payment_cannot_be_refunded(merchant, pay_settings, in_process_wechat):
    pending = payment_start(
        merchant=merchant, reference=new_reference(), description="x", amount_fen=100, method="wechat_native"
    )

    with pytest.raises(WeloopError) as caught:
        refund(merchant, pending, 100)

    assert caught.value.code == "payments.not_refundable" and not Refund.objects.exists()


def test_another_merchant_cannot_refund_this_payment(other_merchant, paid):
    with pytest.raises(NotFound):
        refund(other_merchant, paid, 100)


def test_an_offline_payment_is_refunded_at_the_counter_at_once(merchant, make_staff):
    payment = payment_record_offline(
        merchant=merchant, reference=new_reference(), amount_fen=5000, method="offline_cash", staff=make_staff(merchant)
    )

    first = refund(merchant, payment, 2000, reason="退货")
    second = refund(merchant, payment, 3000)

    assert first.status == second.status == RefundStatus.SUCCEEDED
    assert (reloaded(payment).refunded_fen, reloaded(payment).refunding_fen) == (5000, 0)
    assert PaymentLedgerEntry.objects.filter(kind="refund").count() == 2
    assert ledger_balance(merchant=merchant).balanced
    assert not SimPayRefund.objects.exists()
    with pytest.raises(WeloopError):
        refund(merchant, payment, 1)


def test_sim_refund_statuses_match_ours():
    # the statuses our mapping relies on exist on the simulated WeChat Pay
    assert {s.value for s in SimRefundStatus} == {"PROCESSING", "SUCCESS", "CLOSED", "ABNORMAL"}
