import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from pyroaring import BitMap

from weloop.marketing import calculations as calc

SH = ZoneInfo("Asia/Shanghai")
T22, T08 = datetime.time(22), datetime.time(8)


def at(h, m=0, day=22):
    return datetime.datetime(2026, 11, day, h, m, tzinfo=SH)


def test_quiet_hours_span_midnight():
    assert calc.quiet_until(at(23), T22, T08) == at(8, day=23)
    assert calc.quiet_until(at(7, 59), T22, T08) == at(8)
    assert calc.quiet_until(at(22), T22, T08) == at(8, day=23)
    assert calc.quiet_until(at(8), T22, T08) is None
    assert calc.quiet_until(at(12), T22, T08) is None
    assert calc.quiet_until(at(23), T22, T08, enabled=False) is None


def test_quiet_hours_within_a_day():
    assert calc.quiet_until(at(13), datetime.time(12), datetime.time(14)) == at(14)
    assert calc.quiet_until(at(15), datetime.time(12), datetime.time(14)) is None


def test_sms_cost_is_exact_fen_half_up():
    assert calc.sms_cost_fen(1, 450) == 5  # 4.5 fen rounds half-up
    assert calc.sms_cost_fen(2, 450) == 9
    assert calc.sms_cost_fen(1000, 450) == 4500  # ¥45.00
    assert calc.sms_cost_fen(0, 450) == 0


def test_split_batches_never_leaves_a_single_recipient_alone():
    assert [len(b) for b in calc.split_batches(BitMap(range(11)), 5)] == [5, 6]
    assert [len(b) for b in calc.split_batches(BitMap(range(10)), 5)] == [5, 5]
    assert [len(b) for b in calc.split_batches(BitMap([7]), 5)] == [1]


@given(st.sets(st.integers(0, 10_000), max_size=300), st.integers(1, 50))
def test_split_batches_partitions(members, size):
    parts = calc.split_batches(BitMap(members), size)
    assert sum(len(p) for p in parts) == len(members)
    assert BitMap.union(*parts) == BitMap(members) if parts else not members
    assert all(len(p) <= size + 1 for p in parts)


def test_cap_levels_count_messages_per_member():
    levels: list[BitMap] = []
    first = calc.cap_take(levels, BitMap([1, 2, 3]), 2)
    calc.cap_record(levels, first, 2)
    second = calc.cap_take(levels, BitMap([2, 3, 4]), 2)
    calc.cap_record(levels, second, 2)
    third = calc.cap_take(levels, BitMap([1, 2, 3, 4, 5]), 2)
    assert first == BitMap([1, 2, 3])
    assert second == BitMap([2, 3, 4])
    assert third == BitMap([1, 4, 5])  # 2 and 3 had two already
    assert calc.levels_load(calc.levels_dump(levels)) == levels


@given(st.lists(st.sets(st.integers(0, 60), max_size=40), max_size=8), st.integers(1, 4))
def test_no_member_over_the_cap(rounds, cap):
    levels: list[BitMap] = []
    got: dict[int, int] = {}
    for wanted in rounds:
        allowed = calc.cap_take(levels, BitMap(wanted), cap)
        calc.cap_record(levels, allowed, cap)
        for m in allowed:
            got[m] = got.get(m, 0) + 1
        # everyone refused already has the cap
        assert all(got.get(m, 0) == cap for m in set(wanted) - set(allowed))
    assert all(n <= cap for n in got.values())
