"""Paying an order with the stored-value balance at the counter."""

from __future__ import annotations

import pytest

from weloop.loyalty import services as loyalty
from weloop.loyalty.errors import InsufficientBalance
from weloop.loyalty.models import MemberAccount
from weloop.orders.services.stored_value import order_balance_refund, order_pay_with_balance
from weloop.orders.tests.fixtures import *  # noqa: F403

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
