"""The voucher lifecycle: issuance on payment, redemption (single and punch), undo, refunds, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.members.models import MemberTouch
from weloop.orders import deals
from weloop.orders.models import Order
from weloop.vouchers import codes, selectors, services
from weloop.vouchers.enums import VoucherStatus
from weloop.vouchers.models import Redemption, Voucher
from weloop.vouchers.services import DealInput


def _redeem(merchant, code, store, count=1):
    return services.voucher_redeem(merchant=merchant, code=code, store=store, count=count, actor="clerk:test")


def _error(call):
    with pytest.raises(WeloopError) as caught:
        call()
    return caught.value.code


# --- issuance -------------------------------------------------------------------------------------


def test_paying_a_deal_issues_one_voucher_per_unit_with_exact_price_shares(merchant, cafe_deal, buy, member):
    order, vouchers = buy(cafe_deal, 3)
    assert len(vouchers) == 3
    assert sum(v.paid_fen for v in vouchers) == order.total_fen == 3 * 3990
    assert {v.member_id for v in vouchers} == {member.pk}
    assert all(v.status == "active" and v.uses_remaining == 1 for v in vouchers)
    assert OutboxEvent.objects.filter(name="vouchers.vouchers_issued").count() == 1


def test_issuance_is_idempotent_per_order_line(merchant, cafe_deal, buy):
    order, vouchers = buy(cafe_deal, 2)
    line = order.lines.get()
    again = services.vouchers_issue(
        merchant=merchant,
        deal=cafe_deal,
        member=order.member,
        order_no=order.order_no,
        order_line_id=line.public_id,
        quantity=2,
        line_paid_fen=line.net_fen,
        actor="again",
    )
    assert [v.pk for v in again] == [v.pk for v in vouchers]
    assert Voucher.objects.count() == 2


def test_the_quota_is_held_through_the_capacity_engine(merchant, make_deal, member, make_member):
    deal = make_deal(quota=2)
    deals.deal_buy(merchant=merchant, member=member, deal_id=deal.public_id, quantity=2, actor="t")
    assert (
        _error(
            lambda: deals.deal_buy(
                merchant=merchant, member=make_member(), deal_id=deal.public_id, quantity=1, actor="t"
            )
        )
        == "orders.insufficient_stock"
    )
    pool = deals.quota_pool(merchant=merchant, deal=deal)
    assert pool is not None and pool.held == 2 and pool.kind == "deal_quota"


def test_per_member_limit(merchant, make_deal, member):
    deal = make_deal(per_member_limit=1)
    assert (
        _error(lambda: deals.deal_buy(merchant=merchant, member=member, deal_id=deal.public_id, quantity=2, actor="t"))
        == "orders.purchase_limit"
    )


def test_the_member_sees_their_code_and_nobody_else_does(merchant, cafe_deal, buy, member, make_member):
    _, (voucher,) = buy(cafe_deal)
    shown = selectors.voucher_code_for(merchant=merchant, member=member, voucher=voucher)
    assert codes.parse(shown) is not None and voucher.code_hash == codes.code_hash(codes.parse(shown))
    assert _error(lambda: selectors.voucher_code_for(merchant=merchant, member=make_member(), voucher=voucher)) == (
        "not_found"
    )


# --- redemption -----------------------------------------------------------------------------------


def test_single_use_voucher_redeems_once(merchant, cafe_deal, buy, store, code_of, member):
    _, (voucher,) = buy(cafe_deal)
    code = code_of(voucher)
    redemption = _redeem(merchant, codes.display(code).lower(), store)
    voucher.refresh_from_db()
    assert voucher.status == "used" and voucher.uses_remaining == 0
    assert redemption.paid_fen == voucher.paid_fen and redemption.face_value_fen == 6800
    assert redemption.platform_commission_fen == 239 and redemption.merchant_commission_fen == 100
    assert _error(lambda: _redeem(merchant, code, store)) == "vouchers.already_used"
    assert Redemption.objects.count() == 1
    # the buyer becomes the store's member: a touch credited to the store, a redeemed event for reviews
    deliver_due()
    touch = MemberTouch.objects.filter(member=member, channel="redeem").get()
    assert touch.store == store and touch.detail["deal_id"] == cafe_deal.public_id
    event = OutboxEvent.objects.get(name="vouchers.voucher_redeemed")
    assert event.payload["store_id"] == store.public_id and event.payload["member_id"] == member.public_id


def test_punch_card_redeems_partially(merchant, punch_deal, buy, store, code_of):
    _, (voucher,) = buy(punch_deal)
    code = code_of(voucher)
    first = _redeem(merchant, code, store, count=3)
    assert _error(lambda: _redeem(merchant, code, store, count=8)) == "vouchers.not_enough_uses"
    second = _redeem(merchant, code, store, count=7)
    voucher.refresh_from_db()
    assert voucher.status == "used" and voucher.uses_remaining == 0
    assert first.paid_fen + second.paid_fen == voucher.paid_fen
    assert first.face_value_fen + second.face_value_fen == 100000


def test_wrong_store_is_refused_and_nothing_changes(merchant, cafe_deal, buy, make_store, code_of):
    _, (voucher,) = buy(cafe_deal)
    other = make_store(merchant, name="Elsewhere")
    assert _error(lambda: _redeem(merchant, code_of(voucher), other)) == "vouchers.wrong_store"
    voucher.refresh_from_db()
    assert voucher.uses_remaining == 1 and not Redemption.objects.exists()


def test_expired_and_not_yet_valid(merchant, make_deal, buy, store, code_of):
    deal = make_deal(
        valid_days=None, valid_from=clock.now() + timedelta(days=1), valid_until=clock.now() + timedelta(days=5)
    )
    _, (voucher,) = buy(deal)
    assert _error(lambda: _redeem(merchant, code_of(voucher), store)) == "vouchers.not_yet_valid"
    with clock.frozen_at(clock.now() + timedelta(days=6)):
        assert _error(lambda: _redeem(merchant, code_of(voucher), store)) == "vouchers.expired"


def test_a_typo_is_refused_without_a_query(merchant, cafe_deal, buy, store, code_of, django_assert_num_queries):
    _, (voucher,) = buy(cafe_deal)
    code = code_of(voucher)
    typo = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    with django_assert_num_queries(0):
        assert _error(lambda: services.voucher_find(merchant=merchant, code=typo)) == "vouchers.malformed_code"
    unknown = codes.generate()
    assert _error(lambda: _redeem(merchant, unknown, store)) == "vouchers.unknown_code"


def test_another_merchants_code_is_unknown(merchant, other_merchant, cafe_deal, buy, store, code_of):
    _, (voucher,) = buy(cafe_deal)
    assert _error(lambda: services.voucher_find(merchant=other_merchant, code=code_of(voucher))) == (
        "vouchers.unknown_code"
    )


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "2"])
def test_bad_count(merchant, cafe_deal, buy, store, code_of, count):
    _, (voucher,) = buy(cafe_deal)
    assert _error(lambda: _redeem(merchant, code_of(voucher), store, count=count)) == "vouchers.invalid_count"


# --- undo -----------------------------------------------------------------------------------------


def test_undo_within_the_window_restores_the_uses(merchant, punch_deal, buy, store, code_of):
    _, (voucher,) = buy(punch_deal)
    code = code_of(voucher)
    redemption = _redeem(merchant, code, store, count=10)
    undone = services.redemption_undo(merchant=merchant, redemption_id=redemption.public_id, actor="clerk")
    voucher.refresh_from_db()
    assert undone.undone_at is not None and voucher.status == "active" and voucher.uses_remaining == 10
    assert (
        _error(lambda: services.redemption_undo(merchant=merchant, redemption_id=redemption.public_id, actor="clerk"))
        == "vouchers.already_undone"
    )
    assert Redemption.objects.count() == 1  # the ledger keeps the undone row


def test_undo_after_the_window_is_refused(merchant, cafe_deal, buy, store, code_of, settings):
    settings.WELOOP_VOUCHER_UNDO_MINUTES = 10
    _, (voucher,) = buy(cafe_deal)
    redemption = _redeem(merchant, code_of(voucher), store)
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        assert (
            _error(lambda: services.redemption_undo(merchant=merchant, redemption_id=redemption.public_id, actor="c"))
            == "vouchers.undo_window_passed"
        )
    voucher.refresh_from_db()
    assert voucher.status == "used"


# --- refunds and expiry ---------------------------------------------------------------------------


def test_anytime_refund_makes_the_voucher_unusable_and_refunds_its_share(
    merchant, cafe_deal, buy, member, store, code_of, django_capture_on_commit_callbacks
):
    order, (first, second) = buy(cafe_deal, 2)
    services.voucher_refund_request(merchant=merchant, voucher_id=first.public_id, member=member, actor="member")
    assert _error(lambda: _redeem(merchant, code_of(first), store)) == "vouchers.closed"
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due()  # the orders handler queues the refund of the voucher's share
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due()  # payments' verdict settles the order refund, then the voucher
    first.refresh_from_db()
    order.refresh_from_db()
    assert order.refunding_fen + order.refunded_fen == first.paid_fen
    assert order.refunds.get().reason == f"voucher:{first.public_id}"
    second.refresh_from_db()
    assert second.status == "active"


def test_refund_refused_when_the_deal_does_not_allow_it(merchant, make_deal, buy, member):
    deal = make_deal(refund_anytime=False)
    _, (voucher,) = buy(deal)
    assert (
        _error(
            lambda: services.voucher_refund_request(
                merchant=merchant, voucher_id=voucher.public_id, member=member, actor="m"
            )
        )
        == "vouchers.refund_not_allowed"
    )


def test_expiry_refunds_unused_vouchers_of_refund_on_expiry_deals(merchant, make_deal, buy):
    refundable = make_deal(refund_on_expiry=True)
    kept = make_deal(refund_on_expiry=False)
    _, (a,) = buy(refundable)
    _, (b,) = buy(kept)
    with clock.frozen_at(clock.now() + timedelta(days=31)):
        assert services.vouchers_expire_due() == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == VoucherStatus.REFUND_PENDING and a.refund_fen == a.paid_fen and a.refund_reason == "expired"
    assert b.status == VoucherStatus.EXPIRED
    assert OutboxEvent.objects.filter(name="vouchers.refund_requested", payload__voucher_id=a.public_id).exists()


def test_reminder_is_published_once_before_expiry(merchant, cafe_deal, buy, member, settings):
    settings.WELOOP_VOUCHER_REMIND_DAYS = 3
    _, (voucher,) = buy(cafe_deal)
    assert services.vouchers_remind_due() == 0
    with clock.frozen_at(clock.now() + timedelta(days=28)):
        assert services.vouchers_remind_due() == 1
        assert services.vouchers_remind_due() == 0
    event = OutboxEvent.objects.get(name="vouchers.voucher_expiring")
    assert event.payload["member_id"] == member.public_id and event.payload["voucher_id"] == voucher.public_id


def test_a_full_order_refund_voids_unused_vouchers_but_not_used_ones(merchant, cafe_deal, buy, store, code_of):
    order, (used, unused) = buy(cafe_deal, 2)
    _redeem(merchant, code_of(used), store)
    order = Order.objects.get(pk=order.pk)
    from weloop.orders.services import order_refund

    order_refund(merchant=merchant, order=order, amount_fen=order.total_fen, reason="merchant", actor="t")
    deliver_due()
    deliver_due()
    used.refresh_from_db()
    unused.refresh_from_db()
    order.refresh_from_db()
    if order.refunded_fen == order.total_fen:
        assert unused.status == "void" and used.status == "used"
    else:  # the refund is still with payments: nothing voided yet
        assert unused.status == "active"


def test_deal_input_is_checked_before_anything_is_written(merchant, store):
    from weloop.catalog.models import Product

    bad = DealInput(name="Bad", list_price_fen=100, deal_price_fen=200, valid_days=10)
    with pytest.raises(WeloopError):
        deals.deal_launch(merchant=merchant, data=bad, stores=[store], actor="t")
    assert not Product.objects.filter(name="Bad").exists()


def test_the_voucher_machine_allows_exactly_its_table():
    from weloop.vouchers.state import VOUCHER

    allowed = {
        ("active", "used"),
        ("active", "expired"),
        ("active", "refund_pending"),
        ("active", "void"),
        ("used", "active"),
        ("expired", "refund_pending"),
        ("refund_pending", "refunded"),
        ("refund_pending", "active"),  # payments refused the refund
        ("refund_pending", "expired"),  # refused, and its validity is over
    }
    states = set(VoucherStatus.values)
    assert VOUCHER.states == states
    for src in states:
        for dst in states:
            assert VOUCHER.can(src, dst) == ((src, dst) in allowed), (src, dst)
