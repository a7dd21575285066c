"""Hypothesis: order totals and refund splits always add up exactly and never go negative."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from weloop.orders.calculations import line_total, order_totals, refund_allocation, shipping_fee

prices = st.integers(min_value=0, max_value=10**9)
quantities = st.integers(min_value=1, max_value=9999)
lines = st.lists(st.tuples(prices, quantities), min_size=1, max_size=20)


@given(lines=lines, shipping=st.integers(0, 10**6), discount=st.integers(-(10**6), 10**13))
def test_order_totals_add_up_and_never_go_negative(lines, shipping, discount):
    totals_of_lines = [line_total(p, q) for p, q in lines]
    totals = order_totals(line_totals=totals_of_lines, shipping_fen=shipping, discount_fen=discount)
    assert totals.subtotal_fen == sum(totals_of_lines)
    assert totals.total_fen == totals.subtotal_fen + totals.shipping_fen - totals.discount_fen
    assert 0 <= totals.discount_fen <= totals.subtotal_fen
    assert totals.total_fen >= totals.shipping_fen >= 0
    assert sum(totals.line_discounts_fen) == totals.discount_fen
    assert all(0 <= d <= t for d, t in zip(totals.line_discounts_fen, totals_of_lines, strict=True))


@given(
    remaining=st.lists(st.integers(0, 10**8), min_size=1, max_size=20),
    shipping=st.integers(0, 10**5),
    data=st.data(),
)
def test_refund_allocation_sums_exactly_within_each_part(remaining, shipping, data):
    total = sum(remaining) + shipping
    amount = data.draw(st.integers(0, total))
    parts = refund_allocation(amount, remaining, shipping)
    assert sum(parts) == amount
    assert all(0 <= p <= w for p, w in zip(parts, [*remaining, shipping], strict=True))


@given(subtotal=st.integers(0, 10**9), fee=st.integers(0, 10**5), threshold=st.none() | st.integers(0, 10**9))
def test_shipping_fee_is_zero_or_the_flat_fee(subtotal, fee, threshold):
    for fulfilment in ("pickup", "in_store"):
        assert (
            shipping_fee(fulfilment=fulfilment, subtotal_fen=subtotal, flat_fee_fen=fee, free_above_fen=threshold) == 0
        )
    delivery = shipping_fee(fulfilment="delivery", subtotal_fen=subtotal, flat_fee_fen=fee, free_above_fen=threshold)
    free = threshold is not None and subtotal >= threshold
    assert delivery == (0 if free else fee)
