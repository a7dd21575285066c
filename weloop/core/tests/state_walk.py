"""A reusable walk over every (from, to) pair of a StateMachine, for each app's state tests.

An app's test parametrizes over ``all_pairs(MACHINE)`` and calls ``assert_transition_pair`` with
a factory that saves an object in a given status. Allowed pairs must move the row and write one
history row; forbidden pairs must raise InvalidTransition and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import models

from weloop.core.errors import InvalidTransition
from weloop.core.models import StateTransition
from weloop.core.state import StateMachine, history_of

# A status no machine knows: moving to it, or from it, is always refused.
UNKNOWN_STATUS = "no_such_status"


def all_pairs(machine: StateMachine) -> list[tuple[str, str]]:
    """Every (from, to) over the machine's states, plus moves to a status it does not know."""
    states = sorted(str(s) for s in machine.states)
    return [(src, dst) for src in states for dst in [*states, UNKNOWN_STATUS]]


def table_of(machine: StateMachine) -> dict[str, set[str]]:
    return {str(src): {str(d) for d in machine.allowed_from(src)} for src in machine.states}


def assert_transition_pair(
    machine: StateMachine, make: Callable[[str], models.Model], src: str, dst: str, *, merchant_id_of: Callable
) -> None:
    obj = make(src)
    history_before = StateTransition.objects.count()
    if machine.can(src, dst):
        returned = machine.transition(obj, dst, actor="tester", reason=f"{src}->{dst}")

        obj_in_db = type(obj)._default_manager.get(pk=obj.pk)
        assert returned is obj
        assert getattr(obj, machine.status_field) == dst
        assert getattr(obj_in_db, machine.status_field) == dst
        assert StateTransition.objects.count() == history_before + 1
        row = history_of(machine, obj).get()
        assert (row.machine, row.from_status, row.to_status) == (machine.name, src, dst)
        assert (row.actor, row.reason, row.object_pk) == ("tester", f"{src}->{dst}", str(obj.pk))
        assert row.merchant_id == merchant_id_of(obj)
    else:
        with pytest.raises(InvalidTransition) as excinfo:
            machine.transition(obj, dst, actor="tester")

        assert excinfo.value.code == "state.invalid_transition"
        assert excinfo.value.extra == {"machine": machine.name, "from": src, "to": dst}
        assert getattr(obj, machine.status_field) == src
        assert getattr(type(obj)._default_manager.get(pk=obj.pk), machine.status_field) == src
        assert StateTransition.objects.count() == history_before
