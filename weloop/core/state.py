"""State machines as data: a transition table plus one mutator that compare-and-sets the status.

    ORDER = StateMachine("order", {"pending_payment": {"paid", "cancelled"}, "paid": {...}})
    ORDER.transition(order, "paid", actor="wechatpay", reason="notify EV-1")

The mutator issues ``UPDATE … SET status=new WHERE pk=… AND status=old``: if another process
changed the row first, nothing is updated and ConcurrentModification is raised, so two racing
callers can never both apply a transition. The caller runs it inside ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models, router, transaction

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

    def transition_many(
        self,
        changes: Sequence[tuple[models.Model, Mapping[str, Any], str]],
        to: str,
        *,
        actor: str = "",
    ) -> list[models.Model]:
        """Move many rows of one model to ``to`` in a few queries: ``changes`` holds (obj, its own
        extra updates, history reason). Rows whose status changed since they were read are left as
        they are (not an error: the caller asks for the ones that moved, which are returned).

        All updated field names must be the same for every row. One SELECT … FOR UPDATE checks the
        statuses, one bulk UPDATE writes the rows, one INSERT the history. Runs in the caller's
        transaction (or its own).
        """
        from weloop.core.models import StateTransition

        if not changes:
            return []
        model = type(changes[0][0])
        for obj, _updates, _reason in changes:
            current = getattr(obj, self.status_field)
            if not self.can(current, to):
                raise InvalidTransition(
                    f"{self.name}: cannot go from {current} to {to}.",
                    extra={"machine": self.name, "from": current, "to": to},
                )
        fields = [self.status_field, *changes[0][1]]
        now = clock.now()
        with transaction.atomic():
            current_of = dict(
                model._default_manager.select_for_update()
                .filter(pk__in=[obj.pk for obj, _u, _r in changes])
                .values_list("pk", self.status_field)
            )
            moved, history = [], []
            for obj, updates, reason in changes:
                before = getattr(obj, self.status_field)
                if current_of.get(obj.pk) != before:
                    continue
                for name, value in updates.items():
                    setattr(obj, name, value)
                setattr(obj, self.status_field, to)
                moved.append(obj)
                history.append(
                    StateTransition(
                        merchant_id=_merchant_id_of(obj),
                        machine=self.name,
                        object_pk=str(obj.pk),
                        from_status=before,
                        to_status=to,
                        actor=actor[:150],
                        reason=reason[:500],
                        created_at=now,
                    )
                )
            if moved:
                _update_rows(model, moved, fields)
                StateTransition.objects.bulk_create(history, batch_size=500)
        return moved


def _update_rows(model: type[models.Model], objs: Sequence[models.Model], names: Sequence[str]) -> None:
    """``UPDATE … SET <names> WHERE pk = …`` for each object, as one executemany (Django's
    bulk_update builds a CASE per field and row, which costs far more than the statement saves)."""
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(str(meta.pk.column))} = %s"  # type: ignore[union-attr]
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]  # type: ignore[union-attr]
        + [obj.pk]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _merchant_id_of(obj: models.Model) -> int:
    # A merchant's own status history belongs to that merchant.
    merchant_id = getattr(obj, "merchant_id", None)
    return int(merchant_id if merchant_id is not None else obj.pk)  # type: ignore[arg-type]


def history_of(machine: StateMachine, obj: models.Model) -> models.QuerySet:
    from weloop.core.models import StateTransition

    return StateTransition.objects.filter(
        merchant_id=_merchant_id_of(obj), machine=machine.name, object_pk=str(obj.pk)
    ).order_by("id")
