"""Pure functions over opening hours: no database, easy to test exhaustively."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from weloop.stores.errors import InvalidCoordinates, InvalidOpeningHours

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Period:
    """Open from ``opens`` to ``closes`` on ``weekday``; ``closes <= opens`` ends the next day."""

    weekday: int
    opens: time
    closes: time

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens

    def minutes(self) -> tuple[int, int]:
        """Start and end as minutes from Monday 00:00, the end possibly past the day."""
        start = self.weekday * 1440 + self.opens.hour * 60 + self.opens.minute
        end = self.weekday * 1440 + self.closes.hour * 60 + self.closes.minute
        if self.overnight:
            end += 1440
        return start, end


def parse_time(value: str | time, *, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    match = _TIME.match(str(value).strip())
    if not match:
        raise InvalidOpeningHours(f"{field}: use HH:MM, e.g. 09:30.", extra={"field": field, "value": value})
    return time(int(match.group(1)), int(match.group(2)))


def parse_coordinates(latitude: object, longitude: object) -> tuple[Decimal, Decimal]:
    """Validate and round to 6 decimals (~0.1 m); NaN, infinities and out-of-range are refused."""
    try:
        lat = Decimal(str(latitude))
        lng = Decimal(str(longitude))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidCoordinates(extra={"latitude": str(latitude), "longitude": str(longitude)}) from exc
    if not (lat.is_finite() and lng.is_finite()) or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidCoordinates(extra={"latitude": str(latitude), "longitude": str(longitude)})
    return lat.quantize(Decimal("0.000001")), lng.quantize(Decimal("0.000001"))


def validate_periods(periods: Sequence[Period]) -> list[Period]:
    """Refuse bad weekdays, empty periods and overlaps (overnight periods included)."""
    for p in periods:
        if not 0 <= p.weekday <= 6:
            raise InvalidOpeningHours("Weekday must be 0 (Monday) to 6 (Sunday).", extra={"weekday": p.weekday})
        if p.opens == p.closes:
            raise InvalidOpeningHours(
                "A period must not start and end at the same time.",
                extra={"weekday": p.weekday, "opens": p.opens.isoformat("minutes")},
            )
    week = 7 * 1440
    spans = sorted(span for p in periods for span in _wrapped(p.minutes(), week))
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise InvalidOpeningHours("Two opening periods overlap.", extra={"at_minute_of_week": start})
    return sorted(periods, key=lambda p: (p.weekday, p.opens))


def _wrapped(span: tuple[int, int], week: int) -> Iterable[tuple[int, int]]:
    start, end = span
    if end <= week:
        return [(start, end)]
    return [(start, week), (0, end - week)]  # Sunday night into Monday morning


def is_open_at(
    moment: datetime,
    periods: Iterable[Period],
    exceptions: dict[date, tuple[time, time] | None],
) -> bool:
    """Whether a store is open at local ``moment``, given its week and its dated exceptions.

    ``exceptions`` maps a date to ``None`` (closed all day) or special ``(opens, closes)``.
    """
    today, yesterday = moment.date(), moment.date() - timedelta(days=1)
    now_t = moment.time().replace(tzinfo=None)
    for day, tail in ((today, False), (yesterday, True)):
        for opens, closes in _periods_on(day, periods, exceptions):
            overnight = closes <= opens
            if tail:
                if overnight and now_t < closes:
                    return True
            elif (opens <= now_t < closes) or (overnight and now_t >= opens):
                return True
    return False


def _periods_on(
    day: date, periods: Iterable[Period], exceptions: dict[date, tuple[time, time] | None]
) -> list[tuple[time, time]]:
    if day in exceptions:
        special = exceptions[day]
        return [] if special is None else [special]
    return [(p.opens, p.closes) for p in periods if p.weekday == day.weekday()]
