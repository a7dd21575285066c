"""Paying an order with the stored-value balance (counter and H5) and refunds going back to it."""

from __future__ import annotations

import pytest

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.events import deliver_due
from weloop.core.models import OutboxDelivery, OutboxEvent
from weloop.loyalty import services as loyalty
from weloop.loyalty.errors import InsufficientBalance
from weloop.loyalty.models import MemberAccount, ValueEntry
from weloop.orders import services
from weloop.orders.errors import OrderNotPayable
from weloop.orders.handlers import refund_to_balance
from weloop.orders.services.stored_value import order_balance_refund, order_pay_with_balance
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.payments.models import Payment

pytestmark = pytest.mark.django_db


def test_order_paid_with_balance_once_and_refused_when_short(merchant, member, sku, stock, place, clerk):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen - 1, method="cash", ref="t1")
    with pytest.raises(InsufficientBalance):
        order_pay_with_balance(merchant=merchant, order=order, staff=clerk)
    order.refresh_from_db()
    assert order.status == "pending_payment"
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=1, method="cash", ref="t2")
    payment = order_pay_with_balance(merchant=merchant, order=order, staff=clerk)
    order.refresh_from_db()
    assert order.status != "pending_payment" and payment.amount_fen == order.total_fen
    assert MemberAccount.objects.get(member=member).balance_fen == 0
    assert order_balance_refund(merchant=merchant, order=order, refund_ref="r1") == order.total_fen
    assert order_balance_refund(merchant=merchant, order=order, refund_ref="r1") == 0
    assert MemberAccount.objects.get(member=member).balance_fen == order.total_fen


def test_clerk_pays_an_order_with_the_balance(client, merchant, member, sku, stock, place, clerk):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen, method="cash", ref="t1")
    client.force_login(clerk.user)
    form = {"member_id": member.public_id, "token": "k", "action": "order"}
    assert client.post("/clerk/card/", {**form, "order_no": "nope"}).status_code == 404
    assert client.post("/clerk/card/", {**form, "order_no": order.order_no}).status_code == 200
    order.refresh_from_db()
    assert order.status != "pending_payment"
    assert MemberAccount.objects.get(member=member).balance_fen == 0


def _deliver_all():
    while deliver_due():  # a handler's events are delivered on the next round
        pass


def _balance(member):
    return MemberAccount.objects.get(member=member).balance_fen


def _paid_with_balance(merchant, member, order, clerk):
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen, method="cash", ref="t-pay")
    order_pay_with_balance(merchant=merchant, order=order, staff=clerk)
    _deliver_all()
    order.refresh_from_db()
    assert order.status == "paid" and _balance(member) == 0


def test_a_second_pay_with_balance_is_refused_and_takes_nothing(merchant, member, sku, stock, place, clerk):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen * 3, method="cash", ref="t1")
    payment = order_pay_with_balance(merchant=merchant, order=order, staff=None, actor=f"member:{member.public_id}")
    assert payment.recorded_by is None and payment.note == "stored value" and payment.method == "offline_other"
    with pytest.raises(OrderNotPayable):
        order_pay_with_balance(merchant=merchant, order=order, staff=None, actor=f"member:{member.public_id}")
    _deliver_all()
    assert Payment.objects.filter(reference=order.order_no).count() == 1
    assert _balance(member) == order.total_fen * 2
    assert ValueEntry.objects.filter(member=member, kind="spend").count() == 1


def test_member_payment_without_actor_is_refused(merchant, member, sku, stock, place):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen, method="cash", ref="t1")
    with pytest.raises(NotFound):
        order_pay_with_balance(merchant=merchant, order=order, staff=None)
    order.refresh_from_db()
    assert order.status == "pending_payment" and _balance(member) == order.total_fen  # nothing taken
    assert not Payment.objects.filter(reference=order.order_no).exists()


def test_partial_then_full_refund_goes_back_to_the_balance_once(merchant, member, sku, stock, place, clerk):
    stock(sku, 5)
    order = place([(sku, 2)])
    _paid_with_balance(merchant, member, order, clerk)
    services.order_refund(merchant=merchant, order=order, amount_fen=300, reason="late", actor="s")
    _deliver_all()
    order.refresh_from_db()
    assert order.status == "partially_refunded" and _balance(member) == 300
    # The event delivered again (a retried delivery, a replay): nothing more.
    event = OutboxEvent.objects.filter(name="orders.order_refunded").get()
    refund_to_balance(event)
    OutboxDelivery.objects.filter(event=event).update(status="pending", next_attempt_at=clock.now())
    _deliver_all()
    assert _balance(member) == 300
    services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen - 300, reason="rest", actor="s")
    _deliver_all()
    order.refresh_from_db()
    assert order.status == "refunded" and _balance(member) == order.total_fen
    for event in OutboxEvent.objects.filter(name="orders.order_refunded"):
        refund_to_balance(event)
    assert _balance(member) == order.total_fen
    refunds = ValueEntry.objects.filter(member=member, kind="refund").order_by("id")
    assert [(e.amount_fen, e.ref) for e in refunds] == [
        (300, f"order:{order.order_no}#{order.order_no}R01"),
        (order.total_fen - 300, f"order:{order.order_no}#{order.order_no}R02"),
    ]


def test_refund_of_an_order_paid_otherwise_leaves_the_balance_alone(merchant, member, sku, stock, place, pay):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=5000, method="cash", ref="t1")
    pay(order)  # cash at the counter
    services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen, reason="x", actor="s")
    _deliver_all()
    order.refresh_from_db()
    assert order.status == "refunded" and _balance(member) == 5000
    assert not ValueEntry.objects.filter(member=member, kind="refund").exists()


def test_aftersales_refund_of_a_balance_order_goes_back_to_the_balance(merchant, member, sku, stock, place, clerk):
    stock(sku, 5)
    order = place([(sku, 1)])
    _paid_with_balance(merchant, member, order, clerk)
    request = services.aftersales_request(
        merchant=merchant, order=order, member=member, kind="refund_only", amount_fen=100, reason="scratched"
    )
    services.aftersales_approve(merchant=merchant, request=request, actor="s")
    _deliver_all()
    assert _balance(member) == 100
