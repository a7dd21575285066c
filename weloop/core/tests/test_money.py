"""Money: int fen, half-up rounding and splits whose parts add up exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weloop.core.money import (
    MAX_FEN,
    InvalidAmount,
    apply_basis_points,
    format_fen,
    require_fen,
    round_half_up,
    split_proportionally,
    yuan_to_fen,
)

amounts = st.integers(min_value=0, max_value=10**15)
weight_lists = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30).filter(any)


def _exact_half_up(numerator: int, denominator: int) -> int:
    """Reference rounding with Fraction: half away from zero."""
    exact = Fraction(numerator, denominator)
    magnitude = abs(exact)
    rounded = int(magnitude) + (1 if magnitude - int(magnitude) >= Fraction(1, 2) else 0)
    return rounded if exact >= 0 else -rounded


# --- split_proportionally -------------------------------------------------------------------


@given(total=amounts, weights=weight_lists)
def test_split_proportionally_parts_sum_exactly_and_stay_within_one_fen(total, weights):
    parts = split_proportionally(total, weights)

    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part >= 0
        assert abs(part - Fraction(total * weight, weight_sum)) < 1


@given(total=amounts, weights=weight_lists)
def test_split_proportionally_gives_zero_weights_nothing(total, weights):
    parts = split_proportionally(total, [*weights, 0])

    assert parts[-1] == 0


def test_split_proportionally_breaks_ties_towards_the_earliest_part():
    assert split_proportionally(100, [1, 1, 1]) == [34, 33, 33]
    assert split_proportionally(2, [1, 1, 1]) == [1, 1, 0]


def test_split_proportionally_gives_leftover_to_largest_remainders():
    # exact shares 1.6, 3.2, 5.2 -> floors 1, 3, 5 and one fen left for the 0.6 remainder
    assert split_proportionally(10, [16, 32, 52]) == [2, 3, 5]


def test_split_proportionally_edge_cases():
    assert split_proportionally(500, []) == []
    assert split_proportionally(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        split_proportionally(1, [0, 0])
    with pytest.raises(ValueError):
        split_proportionally(10, [1, -1])


# --- rounding and basis points --------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (1000, 250, 25),  # 2.5 % of ¥10.00
        (1, 5000, 1),  # 0.5 fen rounds up
        (3, 5000, 2),  # 1.5 fen rounds up
        (1, 4999, 0),  # 0.4999 fen rounds down
        (199, 2500, 50),  # 49.75 -> 50
        (0, 600, 0),
        (12345, 10_000, 12345),
    ],
)
def test_apply_basis_points_rounds_half_up(amount, bp, expected):
    assert apply_basis_points(amount, bp) == expected


@given(amount=st.integers(min_value=0, max_value=10**30), bp=st.integers(min_value=0, max_value=10**6))
def test_apply_basis_points_matches_exact_fraction(amount, bp):
    assert apply_basis_points(amount, bp) == _exact_half_up(amount * bp, 10_000)


@given(numerator=st.integers(min_value=-(10**40), max_value=10**40), denominator=st.integers(1, 10**12))
def test_round_half_up_is_exact_for_any_size(numerator, denominator):
    # Decimal division kept 28 digits: large amounts raised InvalidOperation before the fix.
    assert round_half_up(numerator, denominator) == _exact_half_up(numerator, denominator)


def test_round_half_up_rounds_half_away_from_zero_and_refuses_bad_denominators():
    assert [round_half_up(n, 10) for n in (4, 5, 15, -5, -15, -14)] == [0, 1, 2, -1, -2, -1]
    with pytest.raises(ValueError):
        round_half_up(1, 0)
    with pytest.raises(ValueError):
        round_half_up(1, -3)


# --- yuan_to_fen ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("12.30", 1230),
        ("12.3", 1230),
        ("0.01", 1),
        ("0", 0),
        (" 7 ", 700),
        (5, 500),
        (Decimal("19.99"), 1999),
        ("1e2", 10_000),
        (12.3, 1230),  # a float that prints as 2 decimals is read as what it prints
        (0.5, 50),
    ],
)
def test_yuan_to_fen_parses_yuan(yuan, fen):
    assert yuan_to_fen(yuan) == fen
    assert type(yuan_to_fen(yuan)) is int


@pytest.mark.parametrize(
    "yuan",
    [
        "-1",
        "-0.01",
        "12.345",
        "0.001",
        "NaN",
        "sNaN",
        "Infinity",
        "-Infinity",
        "",
        "abc",
        "12,30",
        "¥12",
        0.1 + 0.2,  # 0.30000000000000004: a float that is not a fen amount is refused, not rounded
        float("nan"),
        float("inf"),
        "1e30",  # raised a bare decimal.InvalidOperation (a 500) before the fix
        "99999999999999999999999999999999.99",
        str(MAX_FEN),  # as yuan it is 100 times too big for the column
    ],
)
def test_yuan_to_fen_refuses_bad_amounts(yuan):
    with pytest.raises(InvalidAmount) as excinfo:
        yuan_to_fen(yuan)
    assert excinfo.value.code == "money.invalid_amount"
    assert excinfo.value.status == 400


@given(fen=st.integers(min_value=0, max_value=10**15))
def test_yuan_to_fen_reads_back_what_format_fen_writes(fen):
    assert yuan_to_fen(format_fen(fen).lstrip("¥").replace(",", "")) == fen


# --- require_fen ----------------------------------------------------------------------------


def test_require_fen_accepts_non_negative_ints():
    assert require_fen(0) == 0
    assert require_fen(1230) == 1230
    assert require_fen(MAX_FEN) == MAX_FEN


@pytest.mark.parametrize("value", [1.0, 12.3, True, False, "12", Decimal("1"), None, -1, MAX_FEN + 1])
def test_require_fen_refuses_floats_bools_strings_negatives_and_overflow(value):
    with pytest.raises(InvalidAmount) as excinfo:
        require_fen(value, field="price_fen")
    assert excinfo.value.extra["field"] == "price_fen"


# --- format_fen -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (1, "¥0.01"), (1230, "¥12.30"), (100, "¥1.00"), (123456789, "¥1,234,567.89"), (-1230, "-¥12.30")],
)
def test_format_fen(fen, text):
    assert format_fen(fen) == text
