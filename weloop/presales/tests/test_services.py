"""Presales: every transition, counting paid orders, success, failure refunds (exactly once, after a
crash), deposit + balance, a payment landing after failure, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import InvalidTransition
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.orders import services as orders
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order, OrderRefund
from weloop.presales import selectors, services
from weloop.presales.enums import BalanceStatus, EntryStatus, PresaleStatus
from weloop.presales.errors import (
    BalanceWindowClosed,
    InvalidPresale,
    NotSettleable,
    OverMemberLimit,
    PresaleClosed,
    PresaleFull,
    PresaleNotOpen,
)
from weloop.presales.models import Presale, PresaleEntry
from weloop.presales.services import PresaleInput
from weloop.presales.state import ENTRY, PRESALE

pytestmark = pytest.mark.django_db


def later(monkeypatch, delta):
    moment = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def flush():
    """Deliver outbox events until none are left (a delivery may publish more)."""
    for _ in range(10):
        if not deliver_due():
            return


def events(name):
    return OutboxEvent.objects.filter(name=name).count()


def refresh(obj):
    obj.refresh_from_db()
    return obj


def test_joining_places_an_order_at_the_presale_price_and_only_paid_orders_count(
    merchant, make_presale, join, member, make_member, pay
):
    presale = make_presale(target=3, price=8800)
    entry = join(presale, member, 2)
    order = entry.order
    assert order.status == OrderStatus.PENDING_PAYMENT and order.total_fen == 17600 and order.channel == "presale"
    assert refresh(presale).paid_quantity == 0
    pay(order)
    flush()
    assert refresh(presale).paid_quantity == 2 == selectors.paid_quantity_from_entries(presale=presale)
    assert refresh(entry).status == EntryStatus.PAID
    # The handler is idempotent: the same event again changes nothing.
    assert services.entry_order_paid(merchant=merchant, order_no=order.order_no) == "duplicate"
    assert refresh(presale).paid_quantity == 2
    # An unpaid order that is cancelled lapses and never counted.
    other = join(presale, make_member())
    orders.order_cancel(merchant=merchant, order=other.order, actor="test")
    flush()
    assert refresh(other).status == EntryStatus.LAPSED and refresh(presale).paid_quantity == 2


def test_a_refund_by_hand_while_open_takes_the_units_out_of_the_count(merchant, make_presale, join, member, pay):
    presale = make_presale(target=3, maximum=3)
    entry = join(presale, member, 2)
    pay(entry.order)
    orders.order_refund(
        merchant=merchant,
        order=refresh(entry.order),
        amount_fen=entry.order.total_fen,
        reason="changed mind",
        actor="s",
    )
    flush()
    assert refresh(presale).paid_quantity == 0 and refresh(entry).status == EntryStatus.REFUNDED
    assert selectors.presale_progress(presale=presale).available == 3


def test_success_at_the_deadline_triggers_production(merchant, make_presale, join, make_member, pay, monkeypatch):
    presale = make_presale(target=2)
    for _ in range(2):
        pay(join(presale, make_member()).order)
    with pytest.raises(NotSettleable):
        services.presale_settle(merchant=merchant, presale=presale, actor="test")  # before the deadline
    later(monkeypatch, timedelta(days=4))
    assert services.presales_settle_due() == 1
    presale = refresh(presale)
    assert presale.status == PresaleStatus.SUCCEEDED and presale.outcome == "succeeded" and presale.final_quantity == 2
    assert events("presales.presale_succeeded") == 1
    services.presales_settle_due()  # again: nothing more
    assert events("presales.presale_succeeded") == 1
    with pytest.raises(PresaleNotOpen):
        join(presale, make_member())


def test_settle_now_succeeds_early_once_the_target_is_met(merchant, make_presale, join, member, pay):
    presale = make_presale(target=1)
    pay(join(presale, member).order)
    presale = services.presale_settle(merchant=merchant, presale=presale, actor="test", early=True)
    assert presale.status == PresaleStatus.SUCCEEDED


def test_failure_refunds_everybody_exactly_once_even_after_a_crash(
    merchant, make_presale, join, make_member, pay, monkeypatch
):
    presale = make_presale(target=10)
    entries = [join(presale, make_member()) for _ in range(3)]
    for e in entries:
        pay(e.order)
    unpaid = join(presale, make_member())
    later(monkeypatch, timedelta(days=4))

    real_refund = orders.order_refund
    calls = []

    def crash_after_first(**kwargs):
        if calls:
            raise SystemExit("worker killed")  # the process dies halfway through the run
        calls.append(kwargs["order"].order_no)
        return real_refund(**kwargs)

    monkeypatch.setattr(services.orders, "order_refund", crash_after_first)
    with pytest.raises(SystemExit):
        services.presales_settle_due()
    assert refresh(presale).status == PresaleStatus.REFUNDING
    monkeypatch.setattr(services.orders, "order_refund", real_refund)
    # The second entry was marked "requested" when the process died before orders recorded a refund.
    crashed = PresaleEntry.objects.filter(status=EntryStatus.REFUND_REQUESTED, refund_out_no="").exclude(
        order__order_no__in=calls
    )
    assert crashed.count() == 1
    flush()
    services.presales_settle_due()  # too soon to call it stale: another run may be asking right now
    assert crashed.count() == 1
    later(monkeypatch, timedelta(days=4, minutes=10))
    services.presales_settle_due()
    services.presales_settle_due()
    flush()
    for e in entries:
        order = Order.objects.get(pk=e.order_id)
        assert order.status == OrderStatus.REFUNDED
        assert OrderRefund.objects.filter(order=order).count() == 1
        assert refresh(e).status == EntryStatus.REFUNDED
    assert refresh(unpaid).status == EntryStatus.LAPSED
    presale = refresh(presale)
    assert presale.status == PresaleStatus.REFUNDED and presale.outcome == "failed"
    assert events("presales.presale_failed") == 1 and events("presales.presale_refunded") == 1


def test_a_payment_that_lands_after_failure_is_refunded_too(
    merchant, make_presale, join, member, make_member, pay, monkeypatch
):
    presale = make_presale(target=5)
    pay(join(presale, make_member()).order)
    late = join(presale, member)
    later(monkeypatch, timedelta(days=4))
    # The settle job and the payment race: the job decides first (it cannot cancel the order,
    # WeChat already took the money), then the payment lands.
    monkeypatch.setattr(services, "_close_unpaid", lambda *a, **k: None)
    services.presales_settle_due()
    flush()
    assert refresh(presale).status == PresaleStatus.REFUNDING  # the late order still pending
    pay(late.order)
    flush()
    services.presales_settle_due()
    flush()
    assert refresh(late).status == EntryStatus.REFUNDED
    order = Order.objects.get(pk=late.order_id)
    assert order.status == OrderStatus.REFUNDED and OrderRefund.objects.filter(order=order).count() == 1
    presale = refresh(presale)
    assert presale.status == PresaleStatus.REFUNDED and presale.paid_quantity == 1


def test_a_payment_after_the_presale_was_fully_refunded_reopens_the_refunds(
    merchant, make_presale, join, member, pay, monkeypatch
):
    presale = make_presale(target=5)
    late = join(presale, member)
    later(monkeypatch, timedelta(days=4))
    monkeypatch.setattr(services, "_close_unpaid", lambda *a, **k: None)
    services.presales_settle_due()
    # Nobody paid and the pending order is not owed anything yet: refunding waits for it.
    assert refresh(presale).status == PresaleStatus.REFUNDING
    pay(late.order)
    flush()
    services.presales_settle_due()
    flush()
    assert refresh(presale).status == PresaleStatus.REFUNDED
    assert Order.objects.get(pk=late.order_id).status == OrderStatus.REFUNDED


def test_cancel_by_the_merchant_refunds_the_paid_and_cancels_the_unpaid(merchant, make_presale, join, make_member, pay):
    presale = make_presale(target=5)
    paid = join(presale, make_member())
    pay(paid.order)
    unpaid = join(presale, make_member())
    presale = services.presale_cancel(merchant=merchant, presale=presale, actor="owner")
    flush()
    services.presales_settle_due()
    assert refresh(paid).status == EntryStatus.REFUNDED and refresh(unpaid).status == EntryStatus.LAPSED
    assert Order.objects.get(pk=unpaid.order_id).status == OrderStatus.CANCELLED
    presale = refresh(presale)
    assert presale.status == PresaleStatus.REFUNDED and presale.outcome == "cancelled"
    with pytest.raises(InvalidTransition):
        services.presale_cancel(merchant=merchant, presale=presale, actor="owner")


def test_deposit_then_balance_and_a_forfeited_deposit(merchant, make_presale, join, make_member, pay, monkeypatch):
    presale = make_presale(target=2, mode="deposit", price=10000, deposit=2000)
    a, b = make_member(), make_member()
    ea, eb = join(presale, a), join(presale, b)
    assert ea.order.total_fen == 2000 and ea.order.fulfilment_type == "virtual"
    pay(ea.order)
    pay(eb.order)
    later(monkeypatch, timedelta(days=4))
    services.presales_settle_due()
    assert refresh(presale).status == PresaleStatus.SUCCEEDED
    ea, eb = refresh(ea), refresh(eb)
    assert ea.balance_status == BalanceStatus.DUE and ea.balance_fen == 8000
    assert events("presales.balance_due") == 2
    balance = services.presale_balance_order(merchant=merchant, entry=ea, member=a, actor="test")
    assert balance.total_fen == 8000 and balance.fulfilment_type == "pickup"
    assert services.presale_balance_order(merchant=merchant, entry=ea, member=a, actor="test").pk == balance.pk
    pay(balance)
    flush()
    assert refresh(ea).balance_status == BalanceStatus.PAID
    # b never pays: after the window the deposit is forfeited (and stays the merchant's).
    later(monkeypatch, timedelta(days=8))
    with pytest.raises(BalanceWindowClosed):
        services.presale_balance_order(merchant=merchant, entry=eb, member=b, actor="test")
    assert services.balances_forfeit_due() == 1
    assert refresh(eb).balance_status == BalanceStatus.FORFEITED
    assert services.balances_forfeit_due() == 0
    assert Order.objects.get(pk=eb.order_id).refunded_fen == 0


def test_limits_and_the_maximum_are_kept(merchant, make_presale, join, member, make_member):
    presale = make_presale(target=2, maximum=3, limit=2)
    join(presale, member, 2)
    with pytest.raises(OverMemberLimit):
        join(presale, member, 1)
    join(presale, make_member(), 1)
    with pytest.raises(PresaleFull):
        join(presale, make_member(), 1)
    assert PresaleEntry.objects.count() == 2 and Order.objects.filter(channel="presale").count() == 2


def test_joining_after_the_deadline_or_before_opening_is_refused(merchant, make_presale, join, member, monkeypatch):
    draft = make_presale(open_now=False)
    with pytest.raises(PresaleNotOpen):
        join(draft, member)
    services.presale_open(merchant=merchant, presale=draft, actor="test")
    later(monkeypatch, timedelta(days=4))
    with pytest.raises(PresaleClosed):
        join(draft, member)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_quantity": 0}, "target_quantity"),
        ({"target_quantity": -3}, "target_quantity"),
        ({"deadline": "past"}, "deadline"),
        ({"price_fen": 0}, "price_fen"),
        ({"mode": "layaway"}, "mode"),
        ({"mode": "deposit", "deposit_fen": 0}, "deposit_fen"),
        ({"mode": "deposit", "deposit_fen": 10000}, "deposit_fen"),
        ({"max_quantity": 2}, "max_quantity"),
        ({"per_member_limit": 0}, "per_member_limit"),
        ({"target_quantity": True}, "target_quantity"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(merchant, sku, changes, field):
    data = {
        "sku": sku,
        "mode": "full",
        "price_fen": 10000,
        "target_quantity": 3,
        "deadline": clock.now() + timedelta(days=1),
    }
    data.update(changes)
    if data["deadline"] == "past":
        data["deadline"] = clock.now() - timedelta(minutes=1)
    with pytest.raises(InvalidPresale) as caught:
        services.presale_create(merchant=merchant, data=PresaleInput(**data), actor="test")
    assert caught.value.extra["field"] == field and caught.value.code == "presales.invalid"
    assert not Presale.objects.exists()


def test_every_presale_transition_allowed_and_forbidden(merchant, make_presale):
    presale = make_presale(open_now=False)
    for src in PRESALE.states:
        for dst in PRESALE.states:
            Presale.objects.filter(pk=presale.pk).update(status=src)
            presale.refresh_from_db()
            if PRESALE.can(src, dst):
                PRESALE.transition(presale, dst, actor="t")
                assert refresh(presale).status == dst
            else:
                with pytest.raises(InvalidTransition):
                    PRESALE.transition(presale, dst, actor="t")
    assert PRESALE.can("open", "succeeded") and PRESALE.can("open", "failed") and PRESALE.can("failed", "refunding")
    assert not PRESALE.can("succeeded", "refunding") and not PRESALE.can("draft", "succeeded")


def test_every_entry_transition_allowed_and_forbidden(merchant, make_presale, join, member):
    entry = join(make_presale(), member)
    for src in ENTRY.states:
        for dst in ENTRY.states:
            PresaleEntry.objects.filter(pk=entry.pk).update(status=src)
            entry.refresh_from_db()
            if ENTRY.can(src, dst):
                ENTRY.transition(entry, dst, actor="t")
            else:
                with pytest.raises(InvalidTransition):
                    ENTRY.transition(entry, dst, actor="t")
