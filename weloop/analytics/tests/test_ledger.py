"""The attribution ledger: credits, exact reversals, idempotency, redemptions, bookings, backfill.

Orders are paid at the counter (the same payments.payment_succeeded event a WeChat notification
publishes) and refunds settle at once, so the whole flow runs through the real services and the outbox.
"""

from __future__ import annotations

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.analytics import handlers, services
from weloop.analytics.models import AttributionEntry
from weloop.core.events import deliver_due, publish
from weloop.core.models import OutboxEvent
from weloop.orders import services as orders
from weloop.orders.services import Attribution, Fulfilment, LineInput
from weloop.vouchers import services as vouchers

pytestmark = pytest.mark.django_db


def settle() -> None:
    """Deliver outbox events until none is due (a handler's own events are delivered in a later round)."""
    for _ in range(10):
        if not deliver_due():
            return


@pytest.fixture
def guide(make_staff, merchant):
    return make_staff(merchant, "clerk")


@pytest.fixture
def in_store(merchant, member, store, sku, stock, guide, pay):
    """``in_store(quantity)``: a paid table order at ``store``, brought by ``guide`` through table A12."""
    stock(sku, 1000, store=store)

    def order(quantity=2, who=None):
        placed = orders.checkout_place(
            merchant=merchant,
            member=who or member,
            lines=[LineInput(sku.public_id, quantity)],
            fulfilment=Fulfilment(type="in_store", store=store, table_code="A12"),
            attribution=Attribution(source_store=store, guide=guide, qr_scene="table:A12", channel="h5"),
            actor="test",
        )
        pay(placed)
        settle()
        return placed

    return order


def entries(**filters):
    return AttributionEntry.objects.filter(**filters)


def net(**filters) -> int:
    return entries(**filters).aggregate(s=Sum("amount_fen"))["s"] or 0


def refund(merchant, order, amount):
    orders.order_refund(merchant=merchant, order=order, amount_fen=amount, reason="test", actor="test")
    settle()
    order.refresh_from_db()


def test_paid_order_is_credited_to_store_guide_and_table(merchant, in_store, store, guide):
    # when a table order is paid
    order = in_store(2)
    # then one entry credits its total to the store, the guide and the table
    entry = entries(reference=order.order_no).get()
    assert entry.kind == "order" and not entry.is_reversal
    assert entry.amount_fen == order.total_fen == 2500 and entry.units == 1
    assert entry.store == store and entry.guide == guide
    assert (entry.source_kind, entry.source, entry.table_code, entry.channel) == ("table", "A12", "A12", "h5")
    assert entry.key == f"order_paid:{order.order_no}" and entry.occurred_at == order.paid_at


def test_unpaid_order_is_not_credited(merchant, place, sku, stock):
    stock(sku, 5)
    order = place([(sku, 1)])
    settle()
    assert services.attribution_order_paid(merchant=merchant, order_no=order.order_no) is None
    assert not entries().exists()


def test_partial_refund_reverses_exactly_the_refunded_amount(merchant, in_store, store, guide):
    order = in_store(2)
    # when 700 fen of 2500 are refunded
    refund(merchant, order, 700)
    # then one reversing entry of -700, credited like the sale
    reversal = entries(is_reversal=True).get()
    credit = entries(is_reversal=False).get()
    assert reversal.amount_fen == -700 and reversal.units == 0 and reversal.reverses == credit
    assert (reversal.store, reversal.guide, reversal.source) == (store, guide, "A12")
    assert net(reference=order.order_no) == 1800 == order.total_fen - order.refunded_fen
    # the credit itself is untouched (append-only)
    assert credit.amount_fen == 2500


def test_full_refund_in_two_parts_nets_to_zero(merchant, in_store):
    order = in_store(3)
    refund(merchant, order, 1000)
    refund(merchant, order, order.total_fen - 1000)
    assert order.status == "refunded"
    assert net(reference=order.order_no) == 0
    assert entries(reference=order.order_no).count() == 3


def test_replayed_events_change_nothing(merchant, in_store):
    order = in_store(2)
    refund(merchant, order, 500)
    before = list(entries().order_by("id").values_list("key", "amount_fen"))
    # when every event is delivered to the ledger again
    for event in OutboxEvent.objects.filter(name="orders.order_paid"):
        handlers.credit_order(event)
    for event in OutboxEvent.objects.filter(name="orders.order_refunded"):
        handlers.reverse_refund(event)
        handlers.reverse_refund(event)
    # then the ledger is as it was
    assert list(entries().order_by("id").values_list("key", "amount_fen")) == before
    assert net() == 2000


def test_refund_before_payment_entry_credits_first(merchant, in_store):
    # given a ledger that missed the payment (the refund event arrives first)
    order = in_store(2)
    refund(merchant, order, 500)
    AttributionEntry.objects.all().delete()
    # when only the refund is replayed
    handlers.reverse_refund(OutboxEvent.objects.get(name="orders.order_refunded"))
    # then the sale is credited and exactly the refund reversed
    assert entries(is_reversal=False).get().amount_fen == 2500
    assert net() == 2000


def test_redemption_is_credited_to_the_redeeming_store(
    merchant, make_deal, store, make_store, buy, code_of, make_staff
):
    # given a deal usable in two stores, bought online (credited to the first store)
    second = make_store(merchant, name="Second")
    deal = make_deal(stores=[store, second], name="Two stores")
    order, (voucher,) = buy(deal)
    counter = make_staff(merchant, "clerk")
    # when it is redeemed at the second store
    redemption = vouchers.voucher_redeem(
        merchant=merchant, code=code_of(voucher), store=second, count=1, staff=counter, actor="t"
    )
    settle()
    # then the redemption is credited to the second store and its clerk, with the deal as source
    entry = entries(kind="redemption").get()
    assert entry.store == second and entry.guide == counter
    assert (entry.source_kind, entry.deal_id, entry.units) == ("deal", deal.public_id, 1)
    assert entry.amount_fen == redemption.paid_fen == voucher.paid_fen
    # and the sale of the deal stays with the store it was bought for
    sale = entries(kind="order").get()
    assert sale.store == store and sale.source_kind == "deal" and sale.amount_fen == order.total_fen


def test_undone_redemption_is_reversed(merchant, cafe_deal, store, buy, code_of):
    _, (voucher,) = buy(cafe_deal)
    redemption = vouchers.voucher_redeem(merchant=merchant, code=code_of(voucher), store=store, count=1, actor="t")
    settle()
    vouchers.redemption_undo(merchant=merchant, redemption_id=redemption.public_id, actor="t")
    settle()
    assert net(kind="redemption") == 0
    assert entries(kind="redemption").aggregate(u=Sum("units"))["u"] == 0
    assert entries(kind="redemption", is_reversal=True).get().key == f"redemption_undone:{redemption.public_id}"


def test_bookings_credited_once_and_reversed_on_cancel(merchant, store, guide):
    payload = {"booking_id": "bk_TEST1", "store_id": store.public_id, "staff_id": guide.public_id, "price_fen": 8800}
    # when a booking is confirmed, then completed (both events credit the same booking)
    publish(merchant=merchant, name="bookings.booking_confirmed", payload=payload)
    publish(merchant=merchant, name="bookings.booking_completed", payload=payload)
    settle()
    credit = entries(kind="booking").get()
    assert (credit.store, credit.guide, credit.amount_fen, credit.units) == (store, guide, 8800, 1)
    # when another is cancelled after confirmation
    other = {**payload, "booking_id": "bk_TEST2"}
    publish(merchant=merchant, name="bookings.booking_confirmed", payload=other)
    publish(merchant=merchant, name="bookings.booking_cancelled", payload={"booking_id": "bk_TEST2"})
    settle()
    assert net(reference="bk_TEST2") == 0 and entries(reference="bk_TEST2").aggregate(u=Sum("units"))["u"] == 0


def test_backfill_rebuilds_the_same_ledger_and_is_idempotent(merchant, in_store, cafe_deal, store, buy, code_of):
    order = in_store(2)
    refund(merchant, order, 300)
    _, (voucher,) = buy(cafe_deal)
    vouchers.voucher_redeem(merchant=merchant, code=code_of(voucher), store=store, count=1, actor="t")
    settle()
    live = sorted(entries().values_list("key", "amount_fen", "units", "store_id", "guide_id"))
    AttributionEntry.objects.filter(is_reversal=True).delete()
    AttributionEntry.objects.all().delete()
    # when the ledger is rebuilt from orders, refunds and redemptions
    result = services.attribution_backfill(merchant=merchant)
    # then it is the ledger the events wrote, and a second run writes nothing
    assert sorted(entries().values_list("key", "amount_fen", "units", "store_id", "guide_id")) == live
    assert result.created == len(live) == 4
    assert services.attribution_backfill(merchant=merchant).created == 0


def test_another_merchants_events_do_not_cross(merchant, other_merchant, in_store):
    order = in_store(1)
    assert services.attribution_order_paid(merchant=other_merchant, order_no=order.order_no) is None
    assert not AttributionEntry.objects.for_merchant(other_merchant).exists()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.integers(min_value=1, max_value=4000), min_size=0, max_size=4))
def test_any_partial_refunds_net_exactly(merchant, in_store, parts):
    # given a paid order of 4 x 1250 = 5000 fen
    order = in_store(4)
    refunded = made = 0
    # when any sequence of partial refunds (each at most what is left) is made
    for part in parts:
        amount = min(part, order.total_fen - refunded)
        if amount <= 0:
            break
        refund(merchant, order, amount)
        refunded += amount
        made += 1
    # then the order's net is what was paid less what was refunded, never below zero
    assert net(reference=order.order_no) == order.total_fen - refunded == order.total_fen - order.refunded_fen >= 0
    assert entries(reference=order.order_no, is_reversal=True).count() == made
