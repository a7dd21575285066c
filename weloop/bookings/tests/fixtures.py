"""Fixtures for bookings: a store open 09:00-21:00, a stylist working 10:00-18:00 in 30-minute
slots, services paid in full, by deposit and at the store, and a day three days ahead."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from weloop.bookings import services
from weloop.bookings.calculations import Shift
from weloop.bookings.services import ResourceInput, ServiceInput
from weloop.stores.services import HoursInput


@pytest.fixture
def salon(make_store, merchant):
    return make_store(merchant, name="Salon", hours=[HoursInput(w, "09:00", "21:00") for w in range(7)])


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=3)


@pytest.fixture
def at(day):
    def make(hh_mm: str, on=None):
        h, m = map(int, hh_mm.split(":"))
        return timezone.make_aware(datetime.combine(on or day, time(h, m)))

    return make


@pytest.fixture
def make_resource(merchant, salon):
    def make(name="Amy", capacity=1, shifts=None, store=None, kind="staff", slot_minutes=30):
        return services.resource_create(
            merchant=merchant,
            data=ResourceInput(
                store=store or salon, kind=kind, name=name, capacity=capacity, slot_minutes=slot_minutes
            ),
            shifts=shifts if shifts is not None else [Shift(w, time(10), time(18)) for w in range(7)],
        )

    return make


@pytest.fixture
def stylist(make_resource):
    return make_resource()


@pytest.fixture
def make_service(merchant, salon):
    def make(name="Cut", mode="at_store", price=8800, deposit=0, duration=60, fee=0, hours=24, stores=None, **kw):
        return services.service_create(
            merchant=merchant,
            data=ServiceInput(
                name=name,
                duration_minutes=duration,
                price_fen=price,
                payment_mode=mode,
                resource_kind=kw.pop("kind", "staff"),
                deposit_fen=deposit,
                free_cancel_hours=hours,
                late_cancel_fee_fen=fee,
                **kw,
            ),
            stores=stores or [salon],
            actor="test",
        )

    return make


@pytest.fixture
def cut(make_service):
    return make_service()


@pytest.fixture
def book(merchant, member):
    def make(service, resource, starts_at, who=None):
        return services.booking_create(
            merchant=merchant,
            member=who or member,
            service=service,
            resource=resource,
            starts_at=starts_at,
            actor="test",
        )

    return make
