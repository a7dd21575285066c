"""The commission ledger through payment, completion, the refund window, refunds and payouts.

Orders are paid at the counter and refunds settle at once, so everything runs through the real
orders services and the outbox (``settle`` delivers like the worker). Defaults: 5 % direct, 1 %
second level; the test order is 2 x 12.50 = 25.00 of goods.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum

from weloop.core import clock
from weloop.core.models import OutboxEvent
from weloop.orders.services import shipping_rule_set
from weloop.referrals import handlers, selectors, services
from weloop.referrals.errors import NothingToPay, StatementNotOpen
from weloop.referrals.models import CommissionEntry, Referrer
from weloop.referrals.tests.fixtures import settle

pytestmark = pytest.mark.django_db


def ledger(**filters):
    return CommissionEntry.objects.filter(**filters)


def net(referrer_member, **filters) -> int:
    return (
        ledger(referrer__member=referrer_member, **filters).exclude(kind="payout").aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )


def balances(merchant, member):
    return selectors.balances_of(merchant=merchant, referrer=Referrer.objects.get(member=member))


def test_paid_order_accrues_two_levels_frozen(merchant, chain, buy):
    grandpa, parent, buyer = chain
    order = buy(buyer)
    entries = {e.level: e for e in ledger(order_no=order.order_no)}
    assert set(entries) == {1, 2}
    assert entries[1].referrer.member == parent and entries[1].amount_fen == 125
    assert entries[2].referrer.member == grandpa and entries[2].amount_fen == 25
    assert {e.status for e in entries.values()} == {"frozen"}
    assert entries[1].base_fen == 2500
    assert OutboxEvent.objects.filter(name="referrals.commission_accrued").count() == 2


def test_no_third_level(merchant, make_member, chain, bind, buy):
    grandpa, _parent, buyer = chain
    great = make_member()
    bind(grandpa, great)
    order = buy(buyer)
    assert sorted(ledger(order_no=order.order_no).values_list("level", flat=True)) == [1, 2]
    assert not ledger(referrer__member=great).exists()


def test_commission_excludes_shipping(merchant, chain, place, sku, stock, pay):
    _grandpa, _parent, buyer = chain
    stock(sku, 10)
    shipping_rule_set(merchant=merchant, flat_fee_fen=800, free_above_fen=None)
    order = place([(sku, 2)], who=buyer)
    pay(order)
    settle()
    order.refresh_from_db()
    assert order.shipping_fen == 800 and order.total_fen == 3300
    assert ledger(order_no=order.order_no, level=1).get().amount_fen == 125  # 5 % of 2500, not of 3300


def test_product_rate_overrides_merchant_rate(merchant, chain, buy, product):
    _grandpa, _parent, buyer = chain
    services.product_rate_set(merchant=merchant, product=product, level1_bps=1000, level2_bps=0)
    order = buy(buyer)
    assert list(ledger(order_no=order.order_no).values_list("level", "amount_fen")) == [(1, 250)]


def test_events_delivered_twice_write_once(merchant, chain, buy, refund):
    _grandpa, _parent, buyer = chain
    order = buy(buyer)
    refund(order, 700)
    before = list(ledger().order_by("id").values_list("kind", "level", "amount_fen"))
    for event in OutboxEvent.objects.filter(name__in=["orders.order_paid", "orders.order_refunded"]):
        handlers.accrue_commission(event)
        handlers.reverse_commission(event)
    assert list(ledger().order_by("id").values_list("kind", "level", "amount_fen")) == before


def test_partial_refunds_reverse_proportionally_with_new_entries(merchant, chain, buy, refund):
    grandpa, parent, buyer = chain
    order = buy(buyer)
    accrual = ledger(order_no=order.order_no, level=1, kind="accrue").get()
    # when 7.00 of 25.00 is refunded, then 3.00 more
    refund(order, 700)
    refund(order, 300)
    # then the accrual is untouched and each refund wrote its own reversal
    accrual_after = ledger(pk=accrual.pk).get()
    assert (accrual_after.amount_fen, accrual_after.status) == (125, "frozen")
    reversals = list(ledger(order_no=order.order_no, level=1, kind="reverse").order_by("id"))
    assert [r.amount_fen for r in reversals] == [-35, -15]  # keeps 5 % of 1800, then of 1500
    assert net(parent) == 75 and net(grandpa) == 15


def test_full_refund_nets_to_zero_and_unfreezes_at_once(merchant, chain, buy, refund):
    grandpa, parent, buyer = chain
    order = buy(buyer)
    refund(order, order.total_fen)
    assert order.status == "refunded"
    assert net(parent) == 0 and net(grandpa) == 0
    assert services.commissions_unfreeze_due() == 4
    assert balances(merchant, parent).available_fen == 0


def test_refund_event_before_paid_event_accrues_first(merchant, chain, buy, refund):
    _grandpa, parent, buyer = chain
    order = buy(buyer)
    refund(order, 1000)
    CommissionEntry.objects.all().delete()  # a ledger that missed everything
    handlers.reverse_commission(OutboxEvent.objects.get(name="orders.order_refunded"))
    assert net(parent) == 75  # 5 % of the 1500 kept


def test_frozen_until_the_refund_window_after_completion(merchant, chain, buy, complete):
    _grandpa, parent, buyer = chain
    order = buy(buyer)
    # not completed: stays frozen however long we wait
    with clock.travel(timedelta(days=30)):
        assert services.commissions_unfreeze_due() == 0
    complete(order)
    with clock.travel(timedelta(days=6, hours=23)):
        assert services.commissions_unfreeze_due() == 0
    with clock.travel(timedelta(days=7, minutes=1)):
        assert services.commissions_unfreeze_due() == 2
    b = balances(merchant, parent)
    assert (b.frozen_fen, b.available_fen) == (0, 125)


def _complete_and_unfreeze(order, complete):
    complete(order)
    with clock.travel(timedelta(days=8)):
        services.commissions_unfreeze_due()


def test_statement_pays_available_then_reversal_after_payout_goes_negative_and_is_netted(
    merchant, chain, buy, refund, complete
):
    _grandpa, parent, buyer = chain
    referrer = Referrer.objects.get(member=parent)
    first = buy(buyer)
    _complete_and_unfreeze(first, complete)
    statement = services.statement_create(merchant=merchant, referrer=referrer, actor="boss")
    assert statement.total_fen == 125
    services.statement_mark_paid(merchant=merchant, statement=statement, method="cash", actor="boss")
    with pytest.raises(StatementNotOpen):
        services.statement_mark_paid(merchant=merchant, statement=statement, method="cash", actor="boss")
    b = balances(merchant, parent)
    assert (b.available_fen, b.paid_fen) == (0, 125)
    assert ledger(kind="payout").get().amount_fen == -125
    # when the paid-out order is refunded in part
    refund(first, 1000)
    # then the reversal is available at once and the balance is negative
    b = balances(merchant, parent)
    assert b.available_fen == -50
    with pytest.raises(NothingToPay):
        services.statement_create(merchant=merchant, referrer=referrer)
    # and the next order's commission is netted
    second = buy(buyer)
    _complete_and_unfreeze(second, complete)
    nxt = services.statement_create(merchant=merchant, referrer=referrer)
    assert nxt.total_fen == 125 - 50
    assert sorted(e.amount_fen for e in selectors.statement_lines(merchant=merchant, statement=nxt)) == [-50, 125]


def test_void_statement_frees_its_entries(merchant, chain, buy, complete):
    _grandpa, parent, buyer = chain
    referrer = Referrer.objects.get(member=parent)
    _complete_and_unfreeze(buy(buyer), complete)
    made = services.statements_create_all(merchant=merchant)
    assert len(made) == 2  # parent and grandpa
    mine = next(s for s in made if s.referrer_id == referrer.pk)
    services.statement_void(merchant=merchant, statement=mine)
    again = services.statement_create(merchant=merchant, referrer=referrer)
    assert again.total_fen == 125


def test_blocked_referrer_earns_nothing_new(merchant, chain, buy):
    _grandpa, parent, buyer = chain
    services.referrer_block(merchant=merchant, referrer=Referrer.objects.get(member=parent), reason="fraud")
    order = buy(buyer)
    assert list(ledger(order_no=order.order_no).values_list("level", flat=True)) == [2]


def test_order_after_the_binding_expired_earns_nothing(merchant, chain, buy):
    _grandpa, _parent, buyer = chain
    with clock.travel(timedelta(days=31)):
        order = buy(buyer)
    assert not ledger(order_no=order.order_no).exists()
