"""The state-machine helper: table lookups, compare-and-set, history rows.

Every pair of the real machines is walked in each app's tests (tenants, stores) with
``weloop.core.tests.state_walk``; here a toy machine over the merchant row tests the mutator.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from weloop.core.errors import ConcurrentModification, InvalidTransition
from weloop.core.models import StateTransition
from weloop.core.state import StateMachine, history_of
from weloop.core.tests.state_walk import UNKNOWN_STATUS, all_pairs, assert_transition_pair

TOY = StateMachine("toy", {"pending": {"active", "suspended"}, "active": {"suspended"}, "suspended": {"active"}})


@pytest.fixture
def toy_row(merchant):
    """The merchant row (it has a ``status``) moved to ``pending``, the toy's first state."""
    type(merchant).objects.filter(pk=merchant.pk).update(status="pending")
    merchant.refresh_from_db()
    return merchant


def test_table_lists_every_state_including_pure_targets():
    machine = StateMachine("m", {"a": {"b"}, "b": {"c"}})

    assert machine.states == {"a", "b", "c"}
    assert machine.allowed_from("c") == frozenset()
    assert machine.allowed_from("unknown") == frozenset()
    assert machine.can("a", "b")
    assert not machine.can("a", "c")
    assert not machine.can("a", "a")


def test_all_pairs_covers_every_state_and_an_unknown_target():
    pairs = all_pairs(TOY)

    assert len(pairs) == 3 * 4
    assert ("pending", UNKNOWN_STATUS) in pairs
    assert ("active", "active") in pairs


@pytest.mark.parametrize(("src", "dst"), all_pairs(TOY))
def test_every_toy_pair_follows_the_table(src, dst, merchant):
    model = type(merchant)

    def make(status):
        return model.objects.create(name=f"toy {status}", slug=f"toy-{status}", status=status)

    assert_transition_pair(TOY, make, src, dst, merchant_id_of=lambda obj: obj.pk)


def test_transition_on_a_stale_object_raises_concurrent_modification_and_writes_nothing(toy_row):
    # given somebody else activates the row after we read it
    stale = type(toy_row).objects.get(pk=toy_row.pk)
    TOY.transition(toy_row, "active", actor="other")
    history_before = StateTransition.objects.count()

    # when we apply a transition that the table allows from what we read
    with pytest.raises(ConcurrentModification) as excinfo:
        TOY.transition(stale, "suspended", actor="us")

    # then the other writer's status stands and no history row was written
    assert excinfo.value.code == "state.concurrent_modification"
    assert excinfo.value.extra == {"machine": "toy", "expected": "pending"}
    assert type(toy_row).objects.get(pk=toy_row.pk).status == "active"
    assert StateTransition.objects.count() == history_before
    assert stale.status == "pending"


def test_transition_applies_extra_updates_in_the_same_write(toy_row):
    TOY.transition(toy_row, "active", extra_updates={"name": "Renamed on approval"})

    toy_row.refresh_from_db()
    assert (toy_row.status, toy_row.name) == ("active", "Renamed on approval")


def test_transition_rolled_back_with_the_callers_transaction_leaves_no_trace(toy_row):
    with pytest.raises(RuntimeError), transaction.atomic():
        TOY.transition(toy_row, "active")
        raise RuntimeError("the caller failed after the transition")

    assert type(toy_row).objects.get(pk=toy_row.pk).status == "pending"
    assert not history_of(TOY, toy_row).exists()


def test_history_of_lists_transitions_in_order_and_truncates_long_actor_and_reason(toy_row):
    TOY.transition(toy_row, "active", actor="a" * 400, reason="r" * 900)
    TOY.transition(toy_row, "suspended")
    TOY.transition(toy_row, "active")

    rows = list(history_of(TOY, toy_row))
    assert [(r.from_status, r.to_status) for r in rows] == [
        ("pending", "active"),
        ("active", "suspended"),
        ("suspended", "active"),
    ]
    assert (len(rows[0].actor), len(rows[0].reason)) == (150, 500)


def test_history_of_does_not_mix_machines_or_objects(toy_row, other_merchant):
    other = StateMachine("other", {"pending": {"active"}})
    type(other_merchant).objects.filter(pk=other_merchant.pk).update(status="pending")
    other_merchant.refresh_from_db()

    TOY.transition(toy_row, "active")
    TOY.transition(other_merchant, "suspended")

    assert [r.to_status for r in history_of(TOY, toy_row)] == ["active"]
    assert not history_of(other, toy_row).exists()


def test_transition_from_an_unknown_current_status_is_refused(toy_row):
    toy_row.status = "archived"

    with pytest.raises(InvalidTransition):
        TOY.transition(toy_row, "active")
