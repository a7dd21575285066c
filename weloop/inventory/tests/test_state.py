"""The hold state machine: every (from, to) pair, through the shared walk."""

from __future__ import annotations

import pytest

from weloop.core.tests.state_walk import all_pairs, assert_transition_pair, table_of
from weloop.inventory.enums import HoldStatus
from weloop.inventory.models import Hold
from weloop.inventory.state import HOLD

# A hold is settled exactly once; nothing leaves a settled state. A change to HOLD must change this.
EXPECTED = {
    "held": {"confirmed", "released", "expired"},
    "confirmed": set(),
    "released": set(),
    "expired": set(),
}


def test_hold_machine_is_the_documented_table():
    assert table_of(HOLD) == EXPECTED
    assert HOLD.states == set(HoldStatus.values)


@pytest.mark.parametrize(("src", "dst"), all_pairs(HOLD))
def test_every_hold_transition_pair(merchant, pool, later, src, dst):
    def make(status):
        return Hold.objects.create(merchant=merchant, pool=pool, quantity=1, expires_at=later, status=status)

    assert_transition_pair(HOLD, make, src, dst, merchant_id_of=lambda hold: hold.merchant_id)


def test_a_stale_copy_cannot_settle_a_hold_twice(merchant, pool, later):
    from weloop.core.errors import ConcurrentModification

    hold = Hold.objects.create(merchant=merchant, pool=pool, quantity=1, expires_at=later)
    stale = Hold.objects.get(pk=hold.pk)
    HOLD.transition(hold, HoldStatus.EXPIRED, actor="sweeper")

    with pytest.raises(ConcurrentModification):
        HOLD.transition(stale, HoldStatus.CONFIRMED, actor="payment")
    assert Hold.objects.get(pk=hold.pk).status == HoldStatus.EXPIRED
