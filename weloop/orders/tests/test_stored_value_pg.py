"""Races on PostgreSQL (real threads, each with its own connection): paying with the balance.

Run with: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> .venv/bin/pytest -q weloop/orders -p no:randomly
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.loyalty import services as loyalty
from weloop.loyalty.models import MemberAccount, ValueEntry
from weloop.orders.models import Order
from weloop.orders.services.stored_value import order_pay_with_balance
from weloop.payments.models import Payment, PaymentLedgerEntry
from weloop.storefront.identity import member_key

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _outcome(result: object) -> str:
    return result.code if isinstance(result, WeloopError) else type(result).__name__


def test_eight_double_submits_pay_once_and_take_the_balance_once(merchant, member, sku, stock, place):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen * 2, method="cash", ref="t1")

    results = race(
        lambda i: order_pay_with_balance(merchant=merchant, order=order, actor=f"member:{member.public_id}"), 8
    )

    assert Counter(_outcome(r) for r in results) == Counter({"Payment": 1, "orders.not_payable": 7}), results
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert Payment.objects.filter(reference=order.order_no).count() == 1
    assert PaymentLedgerEntry.objects.filter(reference=order.order_no).count() == 1
    assert ValueEntry.objects.filter(member=member, kind="spend").count() == 1
    assert MemberAccount.objects.get(member=member).balance_fen == order.total_fen


def test_two_orders_racing_for_a_balance_that_covers_one(merchant, member, sku, stock, place):
    stock(sku, 5)
    orders = [place([(sku, 1)]), place([(sku, 1)])]
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=orders[0].total_fen, method="cash", ref="t1")

    results = race(
        lambda i: order_pay_with_balance(merchant=merchant, order=orders[i], actor=f"member:{member.public_id}"), 2
    )

    assert Counter(_outcome(r) for r in results) == Counter({"Payment": 1, "loyalty.insufficient_balance": 1})
    statuses = sorted(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True))
    assert statuses == ["paid", "pending_payment"]
    assert Payment.objects.count() == 1 and MemberAccount.objects.get(member=member).balance_fen == 0


def test_the_h5_button_pressed_twice_at_once_pays_once(merchant, member, sku, stock, place):
    stock(sku, 5)
    order = place([(sku, 1)])
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=order.total_fen, method="cash", ref="t1")
    clients = []
    for _ in range(2):
        client = Client()
        session = client.session
        session[member_key(merchant)] = member.public_id
        session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
        session.save()
        clients.append(client)
    pay_url = f"/m/{merchant.slug}/orders/{order.order_no}/pay"

    results = race(lambda i: clients[i].post(pay_url, {"method": "balance"}).status_code, 2)

    assert results == [302, 302], results
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert Payment.objects.filter(reference=order.order_no).count() == 1
    assert MemberAccount.objects.get(member=member).balance_fen == 0
