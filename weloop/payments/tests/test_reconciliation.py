"""The daily reconciliation report and the sweeps that query WeChat when notifications do not come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from weloop.core import clock
from weloop.payments.enums import PaymentStatus, RefundStatus
from weloop.payments.models import Payment, Refund
from weloop.payments.services import (
    payment_record_offline,
    payment_start,
    payments_sync_stale,
    reconciliation_report,
    refund_create,
    refunds_sync_pending,
)
from weloop.payments.tasks import payments_sync_sweep
from weloop.simulator import pay_server
from weloop.simulator.pay_enums import TradeState
from weloop.simulator.pay_models import SimPayOrder, SimPayRefund

from .conftest import new_reference, pay_in_simulator, seal, transaction_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def start(merchant, pay_settings, in_process_wechat):
    def start_payment(amount_fen: int, **kwargs) -> Payment:
        return payment_start(
            merchant=merchant,
            reference=new_reference(),
            description="x",
            amount_fen=amount_fen,
            method="wechat_native",
            **kwargs,
        )

    return start_payment


def today():
    return timezone.localdate(clock.now())


def test_the_report_totals_each_method_and_finds_the_payment_whose_notification_was_lost(
    merchant, pay_settings, start, make_staff, deliver
):
    notified = start(3000)
    order = pay_in_simulator(notified)
    deliver(
        seal(
            pay_settings,
            "TRANSACTION.SUCCESS",
            transaction_resource(notified, pay_settings, transaction_id=order.transaction_id),
        )
    )
    lost = start(1200)
    pay_in_simulator(lost)  # paid at WeChat, notification never arrived
    unpaid = start(500)
    cash = payment_record_offline(
        merchant=merchant, reference=new_reference(), amount_fen=2000, method="offline_cash", staff=make_staff(merchant)
    )
    refund_create(merchant=merchant, payment=cash, amount_fen=500, actor="clerk")

    report = reconciliation_report(merchant=merchant, day=today())

    assert report["methods"]["wechat_native"] == {
        "count": 2,
        "charged_fen": 4200,
        "refund_count": 0,
        "refunded_fen": 0,
        "net_fen": 4200,
    }
    assert report["methods"]["offline_cash"]["net_fen"] == 1500
    assert report["total"]["net_fen"] == 5700 and report["wechat_checked"] == 3
    assert [(m["payment_id"], m["ours_before"], m["ours_after"], m["fixed"]) for m in report["mismatches"]] == [
        (lost.public_id, "pending", "succeeded", True)
    ]
    assert report["ledger"]["balanced"] and report["ledger"]["net_fen"] == 5700
    assert Payment.objects.get(pk=unpaid.pk).status == PaymentStatus.PENDING


def test_the_report_flags_a_payment_we_think_paid_that_wechat_does_not(merchant, start):
    payment = start(700)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CLOSED)  # e.g. a botched manual edit

    report = reconciliation_report(merchant=merchant, day=today())

    (line,) = report["mismatches"]
    assert (line["ours_after"], line["wechat_trade_state"], line["problem"], line["fixed"]) == (
        "closed",
        "NOTPAY",
        "status",
        False,
    )


def test_an_empty_day_reports_zeros(merchant, pay_settings):
    report = reconciliation_report(merchant=merchant, day=today() - timedelta(days=30))

    assert report["total"]["net_fen"] == 0 and report["mismatches"] == [] and report["ledger"]["balanced"]


def test_the_sweep_queries_payments_open_for_ten_minutes_and_closes_those_past_their_deadline(merchant, start):
    paid_silently = start(100)
    pay_in_simulator(paid_silently)
    expiring = start(200, time_expire=clock.now() + timedelta(minutes=15))
    waiting = start(300)
    fresh_count = payments_sync_stale()
    assert fresh_count == 0  # younger than 10 minutes: left alone

    with clock.travel(timedelta(minutes=20)):
        queried = payments_sync_stale()
        again = payments_sync_stale()  # asked at most every 5 minutes

    assert (queried, again) == (3, 0)
    assert Payment.objects.get(pk=paid_silently.pk).status == PaymentStatus.SUCCEEDED
    assert Payment.objects.get(pk=expiring.pk).status == PaymentStatus.CLOSED
    assert SimPayOrder.objects.get(out_trade_no=expiring.out_trade_no).trade_state == TradeState.CLOSED
    assert Payment.objects.get(pk=waiting.pk).status == PaymentStatus.PENDING


def test_the_sweep_sends_again_and_settles_refunds(merchant, start, pay_settings, deliver):
    payment = start(1000)
    order = pay_in_simulator(payment)
    deliver(
        seal(
            pay_settings,
            "TRANSACTION.SUCCESS",
            transaction_resource(payment, pay_settings, transaction_id=order.transaction_id),
        )
    )
    refund = refund_create(merchant=merchant, payment=Payment.objects.get(pk=payment.pk), amount_fen=400, actor="t")
    pay_server.refund_settle(SimPayRefund.objects.get(out_refund_no=refund.out_refund_no).pk)

    with clock.travel(timedelta(minutes=6)):  # last asked when it was created: due again after 5 minutes
        result = payments_sync_sweep.call_local()

    assert result == {"payments": 0, "refunds": 1}
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).refunded_fen == 400


def test_a_refund_wechat_never_answered_is_sent_again_with_the_same_number(
    merchant, start, pay_settings, deliver, monkeypatch
):
    from weloop.payments.services import pay_settings as accounts
    from weloop.wechat.pay import WeChatPayClient

    payment = start(1000)
    order = pay_in_simulator(payment)
    resource = transaction_resource(payment, pay_settings, transaction_id=order.transaction_id)
    deliver(seal(pay_settings, "TRANSACTION.SUCCESS", resource))
    with monkeypatch.context() as unreachable:
        unreachable.setattr(
            accounts,
            "pay_client",
            lambda s: WeChatPayClient(accounts.credentials_of(s), base_url="http://127.0.0.1:9/x"),
        )
        lost = refund_create(merchant=merchant, payment=Payment.objects.get(pk=payment.pk), amount_fen=100, actor="t")
    assert lost.status == RefundStatus.CREATED and refunds_sync_pending() == 0  # not yet a minute old

    with clock.travel(timedelta(minutes=2)):
        assert refunds_sync_pending() == 1

    assert Refund.objects.get(pk=lost.pk).status == RefundStatus.PROCESSING
    assert SimPayRefund.objects.get().out_refund_no == lost.out_refund_no
