"""State machines as data: a transition table plus one mutator that compare-and-sets the status.

    ORDER = StateMachine("order", {"pending_payment": {"paid", "cancelled"}, "paid": {...}})
    ORDER.transition(order, "paid", actor="wechatpay", reason="notify EV-1")

The mutator issues ``UPDATE … SET status=new WHERE pk=… AND status=old``: if another process
changed the row first, nothing is updated and ConcurrentModification is raised, so two racing
callers can never both apply a transition. The caller runs it inside ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from weloop.core import clock
from weloop.core.errors import ConcurrentModification, InvalidTransition


@dataclass(frozen=True)
class StateMachine:
    name: str
    transitions: Mapping[str, Iterable[str]]
    status_field: str = "status"
    _table: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = {src: frozenset(dsts) for src, dsts in self.transitions.items()}
        for dsts in list(table.values()):
            for dst in dsts:
                table.setdefault(dst, frozenset())
        object.__setattr__(self, "_table", table)

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self._table)

    def allowed_from(self, status: str) -> frozenset[str]:
        return self._table.get(status, frozenset())

    def can(self, src: str, dst: str) -> bool:
        return dst in self.allowed_from(src)

    def transition(
        self,
        obj: models.Model,
        to: str,
        *,
        actor: str = "",
        reason: str = "",
        extra_updates: Mapping[str, Any] | None = None,
    ) -> models.Model:
        """Move ``obj`` to ``to``, write a history row, and return ``obj`` updated.

        Raises InvalidTransition when the table forbids it, ConcurrentModification when the row's
        status changed since ``obj`` was read. Runs in the caller's transaction (or its own).
        """
        from weloop.core.models import StateTransition

        current = getattr(obj, self.status_field)
        if not self.can(current, to):
            raise InvalidTransition(
                f"{self.name}: cannot go from {current} to {to}.",
                extra={"machine": self.name, "from": current, "to": to},
            )
        updates = {self.status_field: to, **(extra_updates or {})}
        model = type(obj)
        with transaction.atomic():
            changed = model._default_manager.filter(pk=obj.pk, **{self.status_field: current}).update(**updates)
            if changed != 1:
                raise ConcurrentModification(extra={"machine": self.name, "expected": current})
            StateTransition.objects.create(
                merchant_id=_merchant_id_of(obj),
                machine=self.name,
                object_pk=str(obj.pk),
                from_status=current,
                to_status=to,
                actor=actor[:150],
                reason=reason[:500],
                created_at=clock.now(),
            )
        for name, value in updates.items():
            setattr(obj, name, value)
        return obj


def _merchant_id_of(obj: models.Model) -> int:
    # A merchant's own status history belongs to that merchant.
    merchant_id = getattr(obj, "merchant_id", None)
    return int(merchant_id if merchant_id is not None else obj.pk)  # type: ignore[arg-type]


def history_of(machine: StateMachine, obj: models.Model) -> models.QuerySet:
    from weloop.core.models import StateTransition

    return StateTransition.objects.filter(
        merchant_id=_merchant_id_of(obj), machine=machine.name, object_pk=str(obj.pk)
    ).order_by("id")
