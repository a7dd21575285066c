"""Quantities, deltas and subject keys: what the engine accepts before it touches the database."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from weloop.inventory.calculations import (
    MAX_QUANTITY,
    fast_public_ids,
    require_count,
    require_delta,
    require_quantity,
    require_subject,
    sku_subject,
)
from weloop.inventory.errors import InvalidPool, InvalidQuantity

NOT_INTS = [True, False, 1.0, 1.5, Decimal("1"), "1", None, [1]]


@pytest.mark.parametrize("value", [1, 7, MAX_QUANTITY])
def test_require_quantity_accepts_positive_ints(value):
    assert require_quantity(value) == value


@pytest.mark.parametrize("value", [0, -1, -(10**9), MAX_QUANTITY + 1, *NOT_INTS])
def test_require_quantity_refuses_everything_else(value):
    with pytest.raises(InvalidQuantity) as excinfo:
        require_quantity(value, field="lines[0].quantity")

    assert excinfo.value.code == "inventory.invalid_quantity"
    assert excinfo.value.extra == {"field": "lines[0].quantity", "value": repr(value)}


def test_require_count_allows_zero_but_not_negatives_or_floats():
    assert require_count(0) == 0
    for value in (-1, 0.0, True):
        with pytest.raises(InvalidQuantity):
            require_count(value)


@pytest.mark.parametrize("value", [1, -1, 500, -500])
def test_require_delta_accepts_signed_non_zero_ints(value):
    assert require_delta(value) == value


@pytest.mark.parametrize("value", [0, 2.0, -2.5, True, "3", MAX_QUANTITY + 1, -(MAX_QUANTITY + 1)])
def test_require_delta_refuses_zero_floats_and_huge_values(value):
    with pytest.raises(InvalidQuantity):
        require_delta(value)


@pytest.mark.parametrize("subject", ["sku:sku_8ZK2M4Q7PX", "slot:room-1:2026-12-01T10:00", "deal:dl_X", "flash:fs_1.2"])
def test_subjects_are_typed_keys(subject):
    assert require_subject(subject) == subject


@pytest.mark.parametrize("subject", ["", "sku", "sku:", ":x", "SKU:x", "sku:a b", "sku:" + "x" * 100, 7, None])
def test_malformed_subjects_are_refused(subject):
    with pytest.raises(InvalidPool):
        require_subject(subject)


def test_sku_subject():
    assert sku_subject("sku_8ZK2M4Q7PX") == "sku:sku_8ZK2M4Q7PX"


def test_fast_public_ids_look_like_core_ids_and_do_not_repeat():
    ids = fast_public_ids("hold_", 5000)

    assert len(ids) == 5000
    assert len(set(ids)) == 5000
    assert all(re.fullmatch(r"hold_[0-9A-HJKMNP-TV-Z]{10}", i) for i in ids)
    # every symbol of the alphabet shows up: the byte-to-symbol map is not biased to a subset
    assert len({c for i in ids for c in i[5:]}) == 32
