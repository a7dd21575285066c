"""The store state machine: every (from, to) pair."""

from __future__ import annotations

import pytest

from weloop.core.tests.state_walk import all_pairs, assert_transition_pair, table_of
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.state import STORE

# Closed stores may reopen; a paused store can close for good. A change to STORE must change this.
EXPECTED = {
    "active": {"paused", "closed"},
    "paused": {"active", "closed"},
    "closed": {"active"},
}


def test_store_machine_is_the_documented_table():
    assert table_of(STORE) == EXPECTED
    assert STORE.states == set(StoreStatus.values)


@pytest.mark.parametrize(("src", "dst"), all_pairs(STORE))
def test_every_store_transition_pair(merchant, src, dst):
    def make(status):
        return Store.objects.create(
            merchant=merchant, name=f"S {status}", address="a", city="c", latitude=1, longitude=2, status=status
        )

    assert_transition_pair(STORE, make, src, dst, merchant_id_of=lambda store: store.merchant_id)
