"""Races on PostgreSQL with real threads: a crowd on the last slot books exactly its capacity."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.bookings import services
from weloop.bookings.models import Booking
from weloop.core.errors import WeloopError
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool
from weloop.inventory.selectors import ledger_balance, pool_balance

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_twelve_threads_on_a_room_for_three_confirm_exactly_three(
    merchant, make_member, make_resource, make_service, at
):
    room = make_resource("Room", capacity=3, kind="room")
    spa = make_service("Spa", kind="room", duration=60)
    members = [make_member() for _ in range(12)]

    def book(i: int) -> str:
        try:
            services.booking_create(
                merchant=merchant, member=members[i], service=spa, resource=room, starts_at=at("10:00"), actor="race"
            )
            return "booked"
        except WeloopError as exc:
            return exc.code

    results = race(book, len(members))
    counts = Counter(results)
    assert counts == {"booked": 3, "bookings.slot_full": 9}, results
    assert Booking.objects.filter(status="confirmed").count() == 3
    for pool in CapacityPool.objects.filter(kind=PoolKind.TIME_SLOT):
        balance = pool_balance(pool)
        assert (balance.capacity, balance.consumed, balance.held) == (3, 3, 0)
        assert ledger_balance(pool) == balance
