"""The stacking maths: fixed order, floor, exact per-line split (examples and properties)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from weloop.coupons.calculations import (
    STAGE_ITEM,
    STAGE_LEVEL,
    STAGE_ORDER,
    STAGE_PERCENT,
    STAGE_POINTS,
    STAGE_SHIPPING,
    Offer,
    PriceLine,
    best_combination,
    combination_problem,
    floor_of,
    price_order,
)
from weloop.orders.calculations import refund_allocation

TEA = PriceLine(sku_id="sku_TEA", product_id="pr_TEA", unit_price_fen=1000, quantity=2)
CAKE = PriceLine(sku_id="sku_CAKE", product_id="pr_CAKE", unit_price_fen=3000, quantity=1)


def test_price_order_applies_in_the_documented_order():
    # given a level discount, an item coupon, a threshold, a percent coupon, points and shipping
    offers = [
        Offer("c_ship", "shipping", amount_fen=800, stacking_group="ship"),
        Offer("c_pct", "percent_off", percent_bps=1000, cap_fen=300, stacking_group="pct"),
        Offer("c_thr", "threshold", amount_fen=500, threshold_fen=4000, stacking_group="thr"),
        Offer("c_tea", "amount_off", amount_fen=200, product_ids=frozenset({"pr_TEA"}), stacking_group="tea"),
    ]
    # when
    result = price_order(
        lines=[TEA, CAKE],
        shipping_fen=1000,
        offers=offers,
        level_discount_bps=500,
        points=100,
        fen_per_point=1,
        max_points_share_bps=1000,
    )
    # then the steps come in order: level 250, tea 200, threshold 500 (on 3550), percent 10% of 3050
    # = 305 capped at 300, points 100, shipping 800 of 1000
    steps = [(a.stage, a.ref, a.goods_fen, a.shipping_fen) for a in result.adjustments]
    assert steps == [
        (STAGE_LEVEL, "level", 250, 0),
        (STAGE_ITEM, "c_tea", 200, 0),
        (STAGE_ORDER, "c_thr", 500, 0),
        (STAGE_PERCENT, "c_pct", 300, 0),
        (STAGE_POINTS, "points", 100, 0),
        (STAGE_SHIPPING, "c_ship", 0, 800),
    ]
    assert result.goods_discount_fen == 1350 and result.net_shipping_fen == 200
    assert result.total_fen == 5000 - 1350 + 200
    assert result.line_discounts_fen[0] > 200  # the tea took its own coupon
    assert sum(result.line_discounts_fen) == 1350


def test_threshold_is_measured_after_the_level_discount():
    offer = Offer("c", "threshold", amount_fen=500, threshold_fen=5000)
    result = price_order(lines=[TEA, CAKE], shipping_fen=0, offers=[offer], level_discount_bps=100)
    assert result.refused == (("c", "threshold_not_met"),)
    assert price_order(lines=[TEA, CAKE], shipping_fen=0, offers=[offer]).goods_discount_fen == 500


def test_floor_stops_an_order_from_becoming_free():
    offer = Offer("c", "amount_off", amount_fen=999_999)
    result = price_order(lines=[TEA], shipping_fen=0, offers=[offer])
    assert result.goods_payable_fen == 1  # ¥0.01, the default floor
    share = price_order(lines=[TEA], shipping_fen=0, offers=[offer], floor_fen=0, floor_bps=3000)
    assert share.goods_payable_fen == 600


def test_a_coupon_the_floor_leaves_nothing_for_is_refused():
    first = Offer("a", "amount_off", amount_fen=5000, stacking_group="a")
    second = Offer("b", "amount_off", amount_fen=100, stacking_group="b")
    result = price_order(lines=[TEA], shipping_fen=0, offers=[first, second])
    assert result.refused == (("b", "floor"),)


def test_free_item_takes_one_unit_of_its_sku():
    offer = Offer("f", "free_item", free_sku_id="sku_TEA")
    result = price_order(lines=[TEA, CAKE], shipping_fen=0, offers=[offer])
    assert result.line_discounts_fen == (1000, 0)
    missing = price_order(lines=[CAKE], shipping_fen=0, offers=[offer])
    assert missing.refused == (("f", "no_eligible_goods"),)


def test_level_free_shipping_comes_before_shipping_coupons():
    offer = Offer("s", "shipping", amount_fen=0)
    result = price_order(lines=[TEA], shipping_fen=800, offers=[offer], free_shipping=True)
    assert result.net_shipping_fen == 0 and result.refused == (("s", "no_shipping"),)


def test_points_are_whole_and_within_their_share():
    result = price_order(lines=[TEA], shipping_fen=0, points=10_000, fen_per_point=3, max_points_share_bps=5000)
    assert result.points_used == 333 and result.goods_discount_fen == 999


def test_combination_rules():
    a = Offer("a", "amount_off", amount_fen=1, stacking_group="g1")
    b = Offer("b", "amount_off", amount_fen=1, stacking_group="g1")
    c = Offer("c", "amount_off", amount_fen=1, stacking_group="g2", combinable=False)
    d = Offer("d", "amount_off", amount_fen=1, stacking_group="g3")
    assert combination_problem([a, d]) is None
    assert combination_problem([a, b]) == "same_group"
    assert combination_problem([a, c]) == "not_combinable"
    assert combination_problem([c]) is None
    assert combination_problem([a, a]) == "duplicate"


def test_best_combination_picks_the_biggest_saving_under_the_rules():
    offers = [
        Offer("small", "amount_off", amount_fen=300, stacking_group="g1"),
        Offer("big", "amount_off", amount_fen=800, stacking_group="g1"),
        Offer("alone", "amount_off", amount_fen=1000, stacking_group="g2", combinable=False),
        Offer("pct", "percent_off", percent_bps=2000, cap_fen=500, stacking_group="g3"),
        Offer("never", "threshold", amount_fen=100, threshold_fen=99_999, stacking_group="g4"),
    ]
    # big (800) + pct (20% of 4200 = 840, capped 500) = 1300 beats alone (1000)
    assert set(best_combination(offers=offers, lines=[TEA, CAKE], shipping_fen=0)) == {"big", "pct"}


def test_floor_of_never_exceeds_the_subtotal():
    assert floor_of(0, floor_fen=1, floor_bps=0) == 0
    assert floor_of(1000, floor_fen=1, floor_bps=2500) == 250


lines_st = st.lists(
    st.builds(
        PriceLine,
        sku_id=st.sampled_from(["s1", "s2", "s3"]),
        product_id=st.sampled_from(["p1", "p2"]),
        unit_price_fen=st.integers(0, 100_000),
        quantity=st.integers(1, 5),
    ),
    min_size=1,
    max_size=5,
)
offer_st = st.builds(
    Offer,
    coupon_id=st.text("abcdef", min_size=1, max_size=4),
    kind=st.sampled_from(["amount_off", "percent_off", "threshold", "free_item", "shipping"]),
    amount_fen=st.integers(0, 200_000),
    percent_bps=st.integers(0, 10_000),
    cap_fen=st.integers(0, 50_000),
    threshold_fen=st.integers(0, 200_000),
    product_ids=st.sampled_from([frozenset(), frozenset({"p1"}), frozenset({"p2"})]),
    free_sku_id=st.sampled_from(["", "s1", "s2"]),
    stacking_group=st.sampled_from(["a", "b", "c"]),
    combinable=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_st,
    shipping=st.integers(0, 5000),
    offers=st.lists(offer_st, max_size=4),
    level=st.integers(0, 10_000),
    points=st.integers(0, 100_000),
    fen_per_point=st.integers(1, 10),
    share=st.integers(0, 10_000),
    floor_fen=st.integers(0, 1000),
    floor_bps=st.integers(0, 10_000),
    free_shipping=st.booleans(),
)
def test_price_order_properties(
    lines, shipping, offers, level, points, fen_per_point, share, floor_fen, floor_bps, free_shipping
):
    result = price_order(
        lines=lines,
        shipping_fen=shipping,
        offers=offers,
        level_discount_bps=level,
        points=points,
        fen_per_point=fen_per_point,
        max_points_share_bps=share,
        floor_fen=floor_fen,
        floor_bps=floor_bps,
        free_shipping=free_shipping,
    )
    subtotal = sum(line.total_fen for line in lines)
    # never negative, never below the floor (unless nothing was discounted)
    assert result.total_fen >= 0 and result.net_shipping_fen >= 0
    assert all(0 <= d <= line.total_fen for d, line in zip(result.line_discounts_fen, lines, strict=True))
    assert result.goods_payable_fen >= min(result.floor_fen, subtotal)
    assert result.floor_fen == floor_of(subtotal, floor_fen=floor_fen, floor_bps=floor_bps)
    # lines sum exactly, per step and in total
    assert sum(result.line_discounts_fen) == result.goods_discount_fen
    assert sum(a.goods_fen for a in result.adjustments) == result.goods_discount_fen
    for a in result.adjustments:
        if a.line_fen:
            assert sum(a.line_fen) == a.goods_fen
    assert sum(a.shipping_fen for a in result.adjustments) == result.shipping_discount_fen
    # the order of application is respected
    stages = [a.stage for a in result.adjustments]
    assert stages == sorted(stages)
    assert points * fen_per_point >= result.points_used * fen_per_point
    # a refund of any amount still splits over what the lines and shipping hold
    remaining = [line.total_fen - d for line, d in zip(lines, result.line_discounts_fen, strict=True)]
    parts = refund_allocation(result.total_fen, remaining, result.net_shipping_fen)
    assert sum(parts) == result.total_fen
    half = refund_allocation(result.total_fen // 2, remaining, result.net_shipping_fen)
    assert sum(half) == result.total_fen // 2
    assert all(0 <= p <= w for p, w in zip(half, [*remaining, result.net_shipping_fen], strict=True))
