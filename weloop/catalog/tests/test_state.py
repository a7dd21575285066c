"""The product state machine: every (from, to) pair."""

from __future__ import annotations

import pytest

from weloop.catalog.enums import ProductStatus
from weloop.catalog.models import Product
from weloop.catalog.state import PRODUCT
from weloop.core.tests.state_walk import all_pairs, assert_transition_pair, table_of

# An archived product returns as a draft, never straight onto sale. A change to PRODUCT must change this.
EXPECTED = {
    "draft": {"active", "archived"},
    "active": {"draft", "archived"},
    "archived": {"draft"},
}


def test_product_machine_is_the_documented_table():
    assert table_of(PRODUCT) == EXPECTED
    assert PRODUCT.states == set(ProductStatus.values)


@pytest.mark.parametrize(("src", "dst"), all_pairs(PRODUCT))
def test_every_product_transition_pair(merchant, src, dst):
    def make(status):
        return Product.objects.create(merchant=merchant, name=f"P {status}", status=status)

    assert_transition_pair(PRODUCT, make, src, dst, merchant_id_of=lambda product: product.merchant_id)
