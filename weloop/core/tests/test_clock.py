"""The clock: freeze and move time without patching datetime."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from weloop.core import clock

MOMENT = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)


def test_now_is_aware_and_current():
    before = timezone.now()
    now = clock.now()

    assert timezone.is_aware(now)
    assert before <= now <= timezone.now()


def test_frozen_at_stops_time_and_restores_it():
    with clock.frozen_at(MOMENT):
        assert clock.now() == MOMENT
        assert clock.now() == MOMENT

    assert abs(clock.now() - timezone.now()) < timedelta(seconds=5)


def test_frozen_at_applies_to_every_thread():
    seen = []
    with clock.frozen_at(MOMENT):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()

    assert seen == [MOMENT]


def test_frozen_at_refuses_a_naive_datetime():
    with pytest.raises(ValueError), clock.frozen_at(datetime(2026, 1, 1, 12, 0)):
        pass


def test_frozen_at_restores_the_outer_freeze_after_nesting_and_errors():
    later = MOMENT + timedelta(days=1)
    with clock.frozen_at(MOMENT):
        with pytest.raises(RuntimeError), clock.frozen_at(later):
            assert clock.now() == later
            raise RuntimeError
        assert clock.now() == MOMENT


def test_travel_shifts_a_running_clock():
    with clock.travel(timedelta(days=3)):
        shifted = clock.now() - timezone.now()
    assert timedelta(days=3) - timedelta(seconds=5) < shifted <= timedelta(days=3)
    assert abs(clock.now() - timezone.now()) < timedelta(seconds=5)


def test_travel_moves_a_frozen_clock_and_nests():
    with clock.frozen_at(MOMENT):
        with clock.travel(timedelta(minutes=10)):
            assert clock.now() == MOMENT + timedelta(minutes=10)
            with clock.travel(timedelta(hours=1)):
                assert clock.now() == MOMENT + timedelta(hours=1, minutes=10)
            assert clock.now() == MOMENT + timedelta(minutes=10)
        assert clock.now() == MOMENT


def test_travel_backwards_and_restore_after_an_error():
    with clock.frozen_at(MOMENT):
        with pytest.raises(RuntimeError), clock.travel(-timedelta(hours=2)):
            assert clock.now() == MOMENT - timedelta(hours=2)
            raise RuntimeError
        assert clock.now() == MOMENT


def test_today_local_is_in_the_project_time_zone():
    # 03:30 UTC is 11:30 in Shanghai, the default WELOOP_TIME_ZONE
    with clock.frozen_at(MOMENT):
        local = clock.today_local()

    assert (local.hour, local.minute) == (11, 30)
    assert local.utcoffset() == timedelta(hours=8)
