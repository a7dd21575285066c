"""The one source of "now", so tests can freeze and move time without patching datetime."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_global_offset: list[timedelta] = [timedelta(0)]
_global_frozen: list[datetime | None] = [None]


def now() -> datetime:
    """Return the current aware datetime, honouring a frozen or shifted clock."""
    frozen = _global_frozen[0]
    if frozen is not None:
        return frozen
    return timezone.now() + _global_offset[0]


def today_local() -> datetime:
    return timezone.localtime(now())


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``moment`` for every thread, for the duration of the block."""
    if timezone.is_naive(moment):
        raise ValueError("freeze the clock at an aware datetime")
    previous = _global_frozen[0]
    _global_frozen[0] = moment
    try:
        yield
    finally:
        _global_frozen[0] = previous


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Shift ``now()`` by ``delta`` (a frozen clock moves too) for the duration of the block."""
    previous_offset, previous_frozen = _global_offset[0], _global_frozen[0]
    _global_offset[0] = previous_offset + delta
    if previous_frozen is not None:
        _global_frozen[0] = previous_frozen + delta
    try:
        yield
    finally:
        _global_offset[0], _global_frozen[0] = previous_offset, previous_frozen
