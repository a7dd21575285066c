"""Pure functions of bookings: schedules, slots and the cancellation policy. No database."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

from weloop.bookings.errors import InvalidSchedule, ScheduleOverlap

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DAY = 1440


@dataclass(frozen=True)
class Shift:
    """The resource works on ``weekday`` (0 = Monday) from ``starts`` to ``ends``, the same day."""

    weekday: int
    starts: time
    ends: time


def parse_time(value: str | time, *, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _TIME.match(str(value or "").strip())
    if not match:
        raise InvalidSchedule(f"{field}: use HH:MM, e.g. 09:30.", extra={"field": field, "value": str(value)})
    return time(int(match.group(1)), int(match.group(2)))


def minute(t: time) -> int:
    return t.hour * 60 + t.minute


def validate_shifts(shifts: Sequence[Shift]) -> list[Shift]:
    """Refuse bad weekdays, empty or backwards shifts, and any two shifts that overlap."""
    for i, s in enumerate(shifts):
        if isinstance(s.weekday, bool) or not isinstance(s.weekday, int) or not 0 <= s.weekday <= 6:
            raise InvalidSchedule("Weekday must be 0 (Monday) to 6 (Sunday).", extra={"index": i})
        if minute(s.ends) <= minute(s.starts):
            raise InvalidSchedule(
                "A shift ends after it starts, on the same day.",
                extra={"index": i, "starts": s.starts.isoformat("minutes"), "ends": s.ends.isoformat("minutes")},
            )
    ordered = sorted(shifts, key=lambda s: (s.weekday, minute(s.starts)))
    for a, b in itertools.pairwise(ordered):
        if a.weekday == b.weekday and minute(b.starts) < minute(a.ends):
            raise ScheduleOverlap(
                extra={
                    "weekday": a.weekday,
                    "first": f"{a.starts:%H:%M}-{a.ends:%H:%M}",
                    "second": f"{b.starts:%H:%M}-{b.ends:%H:%M}",
                }
            )
    return ordered


def store_windows(today: Iterable[tuple[time, time]], yesterday: Iterable[tuple[time, time]]) -> list[tuple[int, int]]:
    """The store's open minutes of a day: today's periods (overnight ones run to midnight) plus the
    tail of yesterday's overnight periods, as sorted (start, end) minutes within [0, 1440]."""
    spans = []
    for opens, closes in today:
        start, end = minute(opens), minute(closes)
        spans.append((start, end if end > start else DAY))
    for opens, closes in yesterday:
        if minute(closes) <= minute(opens) and minute(closes) > 0:
            spans.append((0, minute(closes)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def slot_count(duration_minutes: int, slot_minutes: int) -> int:
    """How many slots a booking of ``duration_minutes`` takes (rounded up)."""
    return -(-duration_minutes // slot_minutes)


def covered(span: tuple[int, int], windows: Iterable[tuple[int, int]]) -> bool:
    start, end = span
    return any(ws <= start and end <= we for ws, we in windows)


def slot_starts(
    work: Iterable[tuple[int, int]], open_windows: Sequence[tuple[int, int]], *, slot_minutes: int, duration: int
) -> list[int]:
    """Start minutes where a booking of ``duration`` fits: on the resource's slot grid (from the
    start of each work window), all its slots inside that work window, and the whole booking
    inside one opening window of the store."""
    n = slot_count(duration, slot_minutes)
    starts = []
    for ws, we in work:
        t = ws
        while t + n * slot_minutes <= we:
            if covered((t, t + duration), open_windows):
                starts.append(t)
            t += slot_minutes
    return starts


def cancellation_split(*, paid_fen: int, fee_fen: int, free: bool) -> tuple[int, int]:
    """(kept, refunded) of ``paid_fen``: all back when free, else the fee kept (at most what was paid)."""
    if paid_fen < 0 or fee_fen < 0:
        raise ValueError("amounts are not negative")
    kept = 0 if free else min(fee_fen, paid_fen)
    return kept, paid_fen - kept
