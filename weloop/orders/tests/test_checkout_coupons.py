"""Checkout with coupons: lock on placement, breakdown, release on cancel, used on payment,
back on a full refund, refused coupons write nothing."""

from __future__ import annotations

import pytest

from weloop.core.events import deliver_due as _deliver_once
from weloop.coupons import services as coupons
from weloop.coupons.enums import CouponStatus
from weloop.coupons.errors import CouponAlreadyUsed, CouponNotUsable, CouponsDoNotCombine, CouponThresholdNotMet
from weloop.coupons.models import Coupon
from weloop.coupons.services import TemplateInput
from weloop.orders import services
from weloop.orders.models import Order, OrderDiscount
from weloop.orders.services.common import LineInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def give(merchant, member):
    def make(**fields):
        data = {"name": "coupon", "kind": "amount_off", "amount_fen": 500, "valid_days": 30, **fields}
        template = coupons.template_create(merchant=merchant, data=TemplateInput(**data), actor="t")
        return coupons.coupon_issue(merchant=merchant, template=template, member=member, channel="api")

    return make


@pytest.fixture
def place_with(merchant, member, delivery):
    def place(lines, coupon_ids=(), **kw):
        return services.checkout_place(
            merchant=merchant,
            member=member,
            lines=[LineInput(s.public_id, q) for s, q in lines],
            fulfilment=delivery,
            actor="test",
            coupon_ids=coupon_ids,
            **kw,
        )

    return place


def deliver_due() -> None:
    while _deliver_once():  # events published by handlers are delivered too
        pass


def _status(coupon):
    return Coupon.objects.get(pk=coupon.pk).status


def test_checkout_locks_coupons_and_records_the_breakdown(merchant, place_with, give, sku, sku_large, stock):
    stock(sku, 10)
    stock(sku_large, 10)
    services.shipping_rule_set(merchant=merchant, flat_fee_fen=800, free_above_fen=None)
    off = give(stacking_group="a")
    ship = give(kind="shipping", amount_fen=0, stacking_group="ship")
    # when
    order = place_with([(sku, 2), (sku_large, 1)], coupon_ids=[off.public_id, ship.public_id])
    # then
    assert order.subtotal_fen == 2 * 1250 + 1999 and order.discount_fen == 500 and order.shipping_fen == 0
    assert order.total_fen == order.subtotal_fen - 500
    assert sum(order.lines.values_list("discount_fen", flat=True)) == 500
    breakdown = list(OrderDiscount.objects.filter(order=order).values_list("ref", "goods_fen", "shipping_fen"))
    assert breakdown == [(off.public_id, 500, 0), (ship.public_id, 0, 800)]
    assert _status(off) == _status(ship) == CouponStatus.LOCKED
    assert Coupon.objects.get(pk=off.pk).order_no == order.order_no


def test_a_locked_coupon_cannot_be_used_twice(place_with, give, sku, stock):
    stock(sku, 10)
    coupon = give()
    place_with([(sku, 1)], coupon_ids=[coupon.public_id])
    with pytest.raises(CouponNotUsable):
        place_with([(sku, 1)], coupon_ids=[coupon.public_id])
    assert Order.objects.count() == 1


def test_a_refused_coupon_writes_nothing(place_with, give, sku, stock):
    stock(sku, 10)
    fine = give(stacking_group="a")
    too_high = give(kind="threshold", amount_fen=100, threshold_fen=999_999, stacking_group="b")
    with pytest.raises(CouponThresholdNotMet):
        place_with([(sku, 1)], coupon_ids=[fine.public_id, too_high.public_id])
    assert Order.objects.count() == 0 and _status(fine) == CouponStatus.AVAILABLE


def test_coupons_of_one_group_do_not_combine(place_with, give, sku, stock):
    stock(sku, 10)
    a, b = give(stacking_group="g"), give(stacking_group="g")
    with pytest.raises(CouponsDoNotCombine):
        place_with([(sku, 1)], coupon_ids=[a.public_id, b.public_id])


def test_cancel_releases_and_payment_uses(merchant, place_with, give, sku, stock, pay):
    stock(sku, 10)
    coupon = give()
    order = place_with([(sku, 1)], coupon_ids=[coupon.public_id])
    services.order_cancel(merchant=merchant, order=order, actor="member")
    deliver_due()
    assert _status(coupon) == CouponStatus.AVAILABLE and Coupon.objects.get(pk=coupon.pk).order_no == ""
    again = place_with([(sku, 1)], coupon_ids=[coupon.public_id])
    pay(again)
    deliver_due()
    used = Coupon.objects.get(pk=coupon.pk)
    assert used.status == CouponStatus.USED and used.used_amount_fen == 500 and used.order_no == again.order_no


def test_full_refund_gives_the_coupon_back_partial_does_not(merchant, place_with, give, sku, stock, pay):
    stock(sku, 10)
    coupon = give()
    order = place_with([(sku, 2)], coupon_ids=[coupon.public_id])
    pay(order)
    services.order_refund(merchant=merchant, order=order, amount_fen=100, reason="part", actor="s")
    deliver_due()
    assert _status(coupon) == CouponStatus.USED
    order.refresh_from_db()
    services.order_refund(merchant=merchant, order=order, amount_fen=order.refundable_fen, reason="all", actor="s")
    deliver_due()
    order.refresh_from_db()
    assert order.status == "refunded"
    assert _status(coupon) == CouponStatus.AVAILABLE


def test_first_payment_issues_the_flagged_template_once(merchant, member, place_with, sku, stock, pay):
    stock(sku, 10)
    coupons.template_create(
        merchant=merchant,
        data=TemplateInput(
            name="welcome back", kind="amount_off", amount_fen=300, valid_days=30, on_first_payment=True
        ),
        actor="t",
    )
    pay(place_with([(sku, 1)]))
    deliver_due()
    pay(place_with([(sku, 1)]))
    deliver_due()
    assert Coupon.objects.filter(member=member, channel="first_payment").count() == 1


def test_preview_suggests_the_best_coupons(merchant, member, delivery, give, sku, stock):
    stock(sku, 10)
    small = give(amount_fen=100, stacking_group="a")
    big = give(amount_fen=400, stacking_group="a")
    give(kind="threshold", amount_fen=100, threshold_fen=999_999, stacking_group="b")
    preview = services.checkout_preview(
        merchant=merchant, member=member, lines=[LineInput(sku.public_id, 1)], fulfilment=delivery
    )
    assert preview.suggestions.best_ids == (big.public_id,)
    assert [c.coupon.public_id for c in preview.suggestions.choices][:2] == [big.public_id, small.public_id]
    assert preview.quote.pricing.total_fen == 1250


def test_coupon_used_at_a_counter_cannot_be_used_online(merchant, place_with, give, sku, stock):
    stock(sku, 10)
    coupon = give()
    coupons.coupon_redeem_offline(merchant=merchant, code=coupon.code, amount_fen=2000, store_id="", actor="clerk")
    with pytest.raises(CouponAlreadyUsed):
        place_with([(sku, 1)], coupon_ids=[coupon.public_id])
