"""A voucher refund that payments refuses puts the voucher back in use instead of leaving it
``refund_pending`` forever: refused at once (the task) or later (``payments.refund_failed``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due, publish
from weloop.core.models import OutboxEvent
from weloop.orders import deals
from weloop.orders.enums import OrderRefundStatus
from weloop.orders.models import Order, OrderRefund
from weloop.orders.services import refunds as order_refunds
from weloop.payments.errors import NotRefundable
from weloop.vouchers import services
from weloop.vouchers.enums import VoucherStatus

pytestmark = pytest.mark.django_db


def _ask(merchant, voucher, member):
    services.voucher_refund_request(merchant=merchant, voucher_id=voucher.public_id, member=member, actor="member")


def test_refused_at_once_the_voucher_is_usable_again(merchant, cafe_deal, buy, member, store, code_of, monkeypatch):
    order, (voucher,) = buy(cafe_deal)
    status_before = Order.objects.get(pk=order.pk).status

    def refuse(**kwargs):
        raise NotRefundable()

    monkeypatch.setattr(order_refunds.payments, "refund_create", refuse)
    _ask(merchant, voucher, member)
    assert deals.voucher_refund_task.call_local(merchant.pk, voucher.public_id) == "refused"
    deliver_due()

    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ACTIVE and voucher.refund_fen == 0
    order.refresh_from_db()
    assert order.status == status_before and order.refunding_fen == 0
    assert OrderRefund.objects.get(order=order).status == OrderRefundStatus.FAILED
    assert OutboxEvent.objects.filter(name="orders.refund_failed").count() == 1
    assert OutboxEvent.objects.filter(name="vouchers.refund_failed", payload__voucher_id=voucher.public_id).exists()
    # usable: it redeems at the counter, and a second run of the task asks nothing more
    services.voucher_redeem(merchant=merchant, code=code_of(voucher), store=store, count=1, actor="clerk:t")
    assert deals.voucher_refund_task.call_local(merchant.pk, voucher.public_id) == "not pending"


def test_refused_later_by_payments_the_voucher_is_usable_again(merchant, cafe_deal, buy, member, monkeypatch):
    order, (voucher,) = buy(cafe_deal)
    monkeypatch.setattr(order_refunds.payments, "refund_create", lambda **kwargs: None)  # accepted, in flight
    _ask(merchant, voucher, member)
    assert deals.voucher_refund_task.call_local(merchant.pk, voucher.public_id) == "asked"
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.REFUND_PENDING

    refund = OrderRefund.objects.get(order=order)
    publish(merchant=merchant, name="payments.refund_failed", payload={"out_refund_no": refund.out_refund_no})
    deliver_due()  # orders settles its refund as failed, then orders.refund_failed restores the voucher
    deliver_due()

    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ACTIVE and voucher.refund_fen == 0 and voucher.refund_reason == ""
    order.refresh_from_db()
    assert order.status != "refunding" and order.refunded_fen == 0


def test_a_refused_expiry_refund_leaves_the_voucher_expired(merchant, make_deal, buy, monkeypatch):
    _, (voucher,) = buy(make_deal(refund_on_expiry=True))

    def refuse(**kwargs):
        raise NotRefundable()

    monkeypatch.setattr(order_refunds.payments, "refund_create", refuse)
    with clock.frozen_at(clock.now() + timedelta(days=31)):
        services.vouchers_expire_due()
        voucher.refresh_from_db()
        assert voucher.status == VoucherStatus.REFUND_PENDING
        assert deals.voucher_refund_task.call_local(merchant.pk, voucher.public_id) == "refused"
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.EXPIRED
