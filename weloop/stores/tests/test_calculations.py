"""Opening hours and coordinates: pure functions, tested exhaustively and against brute force."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weloop.stores.calculations import Period, is_open_at, parse_coordinates, parse_time, validate_periods
from weloop.stores.errors import InvalidCoordinates, InvalidOpeningHours

WEEK = 7 * 1440
# 2026-06-01 is a Monday: MONDAY + timedelta(days=n) is weekday n.
MONDAY = date(2026, 6, 1)


def t(text: str) -> time:
    return parse_time(text, field="t")


def p(weekday: int, opens: str, closes: str) -> Period:
    return Period(weekday, t(opens), t(closes))


def at(weekday: int, hhmm: str, week: int = 0) -> datetime:
    day = MONDAY + timedelta(days=weekday + 7 * week)
    return datetime.combine(day, t(hhmm))


# --- parse_time -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("00:00", time(0, 0)), ("09:30", time(9, 30)), (" 23:59 ", time(23, 59))]
)
def test_parse_time_reads_hh_mm(text, expected):
    assert parse_time(text, field="opens") == expected


def test_parse_time_drops_seconds_of_a_time_object():
    assert parse_time(time(8, 15, 42, 7), field="opens") == time(8, 15)


@pytest.mark.parametrize("text", ["9:30", "24:00", "12:60", "08:00:00", "noon", "", "0930", "-1:00"])
def test_parse_time_refuses_anything_else(text):
    with pytest.raises(InvalidOpeningHours) as excinfo:
        parse_time(text, field="hours[2].opens")
    assert excinfo.value.extra["field"] == "hours[2].opens"
    assert excinfo.value.code == "stores.invalid_opening_hours"


# --- parse_coordinates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lng", "expected"),
    [
        ("22.543096", "114.057865", (Decimal("22.543096"), Decimal("114.057865"))),
        (22.5, 114, (Decimal("22.500000"), Decimal("114.000000"))),
        ("90", "180", (Decimal("90.000000"), Decimal("180.000000"))),
        ("-90", "-180", (Decimal("-90.000000"), Decimal("-180.000000"))),
        ("22.12345678", "114.1", (Decimal("22.123457"), Decimal("114.100000"))),
        (Decimal("0"), Decimal("-0"), (Decimal("0.000000"), Decimal("0.000000"))),
    ],
)
def test_parse_coordinates_accepts_the_valid_range_and_rounds_to_six_places(lat, lng, expected):
    assert parse_coordinates(lat, lng) == expected


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        ("nan", "114"),
        ("22", "NaN"),
        (float("nan"), 114),
        ("inf", "114"),
        ("22", "-Infinity"),
        ("90.000001", "114"),
        ("-90.5", "114"),
        ("22", "180.0000001"),
        ("22", "-181"),
        ("abc", "114"),
        ("", ""),
        (None, None),
        ("22,5", "114"),
        ([22], 114),
        ("1e400", "114"),
    ],
)
def test_parse_coordinates_refuses_nan_infinities_junk_and_out_of_range(lat, lng):
    with pytest.raises(InvalidCoordinates) as excinfo:
        parse_coordinates(lat, lng)
    assert (excinfo.value.code, excinfo.value.status) == ("stores.invalid_coordinates", 400)


# --- validate_periods -----------------------------------------------------------------------


def test_touching_periods_do_not_overlap_and_come_back_sorted():
    periods = [p(1, "14:00", "18:00"), p(0, "09:00", "12:00"), p(0, "12:00", "14:00")]

    assert validate_periods(periods) == [p(0, "09:00", "12:00"), p(0, "12:00", "14:00"), p(1, "14:00", "18:00")]


@pytest.mark.parametrize(
    "periods",
    [
        [p(0, "09:00", "12:00"), p(0, "11:59", "14:00")],  # same day
        [p(2, "08:00", "20:00"), p(2, "10:00", "11:00")],  # one inside another
        [p(0, "22:00", "02:00"), p(1, "01:00", "08:00")],  # overnight tail into the next morning
        [p(6, "22:00", "02:00"), p(0, "01:00", "08:00")],  # Sunday night into Monday morning
        [p(6, "20:00", "06:00"), p(0, "00:00", "00:01")],  # the wrap's first minute
        [p(3, "23:00", "22:59"), p(4, "08:00", "09:00")],  # a 23h59 overnight period
        [p(5, "10:00", "11:00"), p(5, "10:00", "11:00")],  # the same period twice
    ],
)
def test_overlapping_periods_are_refused(periods):
    with pytest.raises(InvalidOpeningHours) as excinfo:
        validate_periods(periods)
    assert "at_minute_of_week" in excinfo.value.extra


@pytest.mark.parametrize(
    "periods",
    [
        [p(6, "22:00", "02:00"), p(0, "02:00", "10:00")],  # Sunday night ends as Monday opens
        [p(0, "18:00", "00:00"), p(1, "00:00", "06:00")],  # closing at midnight is overnight-to-00:00
        [p(d, "00:00", "23:59") for d in range(7)],
        [p(d, "20:00", "04:00") for d in range(7)],
    ],
)
def test_periods_that_only_touch_are_accepted(periods):
    assert len(validate_periods(periods)) == len(periods)


@pytest.mark.parametrize("weekday", [-1, 7, 100])
def test_a_weekday_out_of_range_is_refused(weekday):
    with pytest.raises(InvalidOpeningHours):
        validate_periods([p(0, "09:00", "10:00"), Period(weekday, time(9), time(10))])


def test_a_period_that_starts_when_it_ends_is_refused():
    with pytest.raises(InvalidOpeningHours):
        validate_periods([p(0, "09:00", "09:00")])


def test_period_minutes_and_overnight():
    assert p(0, "09:00", "17:30").minutes() == (540, 1050)
    assert not p(0, "09:00", "17:30").overnight
    assert p(6, "22:00", "02:00").minutes() == (6 * 1440 + 1320, 7 * 1440 + 120)
    assert p(6, "22:00", "02:00").overnight
    assert p(2, "18:00", "00:00").overnight


# --- is_open_at -----------------------------------------------------------------------------

WEEKDAYS_9_TO_18 = [p(d, "09:00", "18:00") for d in range(5)]
BAR = [p(4, "20:00", "03:00"), p(6, "22:00", "02:00")]  # Friday and Sunday nights


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(0, "08:59"), False),
        (at(0, "09:00"), True),
        (at(2, "17:59"), True),
        (at(2, "18:00"), False),  # closing time is already closed
        (at(5, "12:00"), False),  # Saturday
        (at(6, "12:00"), False),  # Sunday
    ],
)
def test_is_open_at_plain_daytime_hours(moment, expected):
    assert is_open_at(moment, WEEKDAYS_9_TO_18, {}) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(4, "19:59"), False),
        (at(4, "20:00"), True),
        (at(4, "23:59"), True),
        (at(5, "00:00"), True),  # Saturday morning, Friday's tail
        (at(5, "02:59"), True),
        (at(5, "03:00"), False),
        (at(6, "21:59"), False),
        (at(6, "22:00"), True),
        (at(0, "01:59", week=1), True),  # Monday morning, the Sunday night's tail
        (at(0, "02:00", week=1), False),
        (at(0, "01:00"), True),  # also in the very first week
    ],
)
def test_is_open_at_overnight_tails_including_sunday_into_monday(moment, expected):
    assert is_open_at(moment, BAR, {}) is expected


def test_a_closed_exception_closes_the_whole_day_but_not_the_previous_nights_tail():
    friday, saturday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=5)

    assert not is_open_at(at(4, "21:00"), BAR, {friday: None})
    assert not is_open_at(at(5, "01:00"), BAR, {friday: None})  # no Friday night, so no tail
    assert is_open_at(at(5, "01:00"), BAR, {saturday: None})  # Friday's tail still runs into Saturday


def test_special_hours_replace_the_weekly_hours_that_day():
    tuesday = MONDAY + timedelta(days=1)
    special = {tuesday: (t("12:00"), t("14:00"))}

    assert not is_open_at(at(1, "10:00"), WEEKDAYS_9_TO_18, special)
    assert is_open_at(at(1, "12:00"), WEEKDAYS_9_TO_18, special)
    assert not is_open_at(at(1, "14:00"), WEEKDAYS_9_TO_18, special)
    assert is_open_at(at(2, "10:00"), WEEKDAYS_9_TO_18, special)  # Wednesday is untouched


def test_special_overnight_hours_run_into_the_next_day():
    saturday = MONDAY + timedelta(days=5)
    late_party = {saturday: (t("18:00"), t("04:00"))}

    assert is_open_at(at(5, "23:00"), [], late_party)
    assert is_open_at(at(6, "03:59"), [], late_party)
    assert not is_open_at(at(6, "04:00"), [], late_party)


def test_is_open_at_ignores_seconds_and_a_time_zone():
    moment = at(0, "17:59").replace(second=59, microsecond=999_999)

    assert is_open_at(moment, WEEKDAYS_9_TO_18, {})


# --- brute force --------------------------------------------------------------------------

minutes_of_day = st.integers(min_value=0, max_value=1439)


@st.composite
def periods_strategy(draw, max_size: int = 4):
    result = []
    for _ in range(draw(st.integers(0, max_size))):
        opens = draw(minutes_of_day)
        closes = draw(minutes_of_day.filter(lambda m, o=opens: m != o))
        result.append(Period(draw(st.integers(0, 6)), time(*divmod(opens, 60)), time(*divmod(closes, 60))))
    return result


def _minute_of_week(moment: datetime) -> int:
    return moment.weekday() * 1440 + moment.hour * 60 + moment.minute


def _open_by_brute_force(moment: datetime, periods: list[Period]) -> bool:
    minute = _minute_of_week(moment)
    for period in periods:
        start, end = period.minutes()
        if (minute - start) % WEEK < end - start:
            return True
    return False


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59, 59))


@given(periods=periods_strategy(), moment=moments)
def test_is_open_at_matches_a_minute_of_week_brute_force(periods, moment):
    assert is_open_at(moment, periods, {}) is _open_by_brute_force(moment, periods)


@given(periods=periods_strategy())
@settings(max_examples=60)
def test_validate_periods_refuses_exactly_when_some_minute_is_covered_twice(periods):
    coverage = [0] * WEEK
    for period in periods:
        start, end = period.minutes()
        for minute in range(start, end):
            coverage[minute % WEEK] += 1
    overlapping = max(coverage) > 1

    if overlapping:
        with pytest.raises(InvalidOpeningHours):
            validate_periods(periods)
    else:
        by_start = sorted(periods, key=lambda x: x.minutes())
        assert sorted(validate_periods(periods), key=lambda x: x.minutes()) == by_start


@st.composite
def exceptions_strategy(draw, around: date):
    result: dict[date, tuple[time, time] | None] = {}
    for offset in draw(st.sets(st.integers(-1, 0))):
        if draw(st.booleans()):
            result[around + timedelta(days=offset)] = None
        else:
            opens = draw(minutes_of_day)
            closes = draw(minutes_of_day.filter(lambda m, o=opens: m != o))
            result[around + timedelta(days=offset)] = (time(*divmod(opens, 60)), time(*divmod(closes, 60)))
    return result


def _open_by_brute_force_with_exceptions(moment, periods, exceptions) -> bool:
    """Lay yesterday's and today's hours out as minutes from today's midnight and look."""
    now = moment.hour * 60 + moment.minute
    for offset in (-1, 0):
        day = moment.date() + timedelta(days=offset)
        if day in exceptions:
            hours = [] if exceptions[day] is None else [exceptions[day]]
        else:
            hours = [(x.opens, x.closes) for x in periods if x.weekday == day.weekday()]
        for opens, closes in hours:
            start = offset * 1440 + opens.hour * 60 + opens.minute
            end = offset * 1440 + closes.hour * 60 + closes.minute + (1440 if closes <= opens else 0)
            if start <= now < end:
                return True
    return False


@given(data=st.data(), periods=periods_strategy(), moment=moments)
def test_is_open_at_with_exceptions_matches_brute_force(data, periods, moment):
    exceptions = data.draw(exceptions_strategy(moment.date()))

    assert is_open_at(moment, periods, exceptions) is _open_by_brute_force_with_exceptions(moment, periods, exceptions)
