from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from weloop.vouchers.calculations import commission, refund_of_unused, unit_prices, uses_share

fen = st.integers(min_value=0, max_value=10**12)
bp = st.integers(min_value=0, max_value=10000)


@given(fen, st.integers(min_value=1, max_value=500))
def test_unit_prices_sum_to_the_line(total, quantity):
    parts = unit_prices(total, quantity)
    assert sum(parts) == total and len(parts) == quantity and max(parts) - min(parts) <= 1


@given(fen, st.integers(min_value=1, max_value=100), st.data())
def test_any_grouping_of_uses_sums_to_the_price(total, uses, data):
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=uses), max_size=10)))
    bounds = [0, *cuts, uses]
    shares = [uses_share(total, uses, a, b - a) for a, b in itertools.pairwise(bounds)]
    assert sum(shares) == total and all(s >= 0 for s in shares)


@given(fen, bp, bp)
def test_commissions_never_exceed_what_was_paid(paid, platform, merchant):
    if platform + merchant > 10000:
        merchant = 10000 - platform
    cut = commission(paid, platform_bp=platform, merchant_bp=merchant)
    assert cut.platform_fen >= 0 and cut.merchant_fen >= 0 and cut.total_fen <= paid
    # each part is within a fen of its exact value
    assert abs(cut.platform_fen * 10000 - paid * platform) <= 10000
    assert abs(cut.total_fen * 10000 - paid * (platform + merchant)) <= 5000


@given(fen, st.integers(min_value=1, max_value=50), st.data())
def test_refund_of_unused_plus_used_share_is_the_price(paid, total, data):
    remaining = data.draw(st.integers(min_value=0, max_value=total))
    used = uses_share(paid, total, 0, total - remaining)
    assert used + refund_of_unused(paid, total, remaining) == paid
