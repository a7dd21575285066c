"""Bookings: the state machine, slots and opening hours, schedules, capacity, payment, cancellation
policy, rescheduling, reminders, leads and goods reservations."""

from __future__ import annotations

import itertools
from datetime import time, timedelta

import pytest

from weloop.bookings import selectors, services
from weloop.bookings.calculations import Shift, cancellation_split
from weloop.bookings.enums import BookingStatus, LeadStatus, ReservationStatus
from weloop.bookings.errors import (
    BookingNotChangeable,
    InvalidLead,
    InvalidSlot,
    NotEnoughStock,
    OutsideOpeningHours,
    ScheduleOverlap,
    SlotFull,
    SlotInPast,
)
from weloop.bookings.models import Booking, Lead, ScheduleRule
from weloop.bookings.state import BOOKING
from weloop.core import clock
from weloop.core.errors import InvalidTransition
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders import services as orders
from weloop.orders.models import Order
from weloop.stores.services import store_set_exception

pytestmark = pytest.mark.django_db

B = BookingStatus
ALLOWED = {
    (B.HELD, B.CONFIRMED),
    (B.HELD, B.CANCELLED),
    (B.HELD, B.EXPIRED),
    (B.CONFIRMED, B.CHECKED_IN),
    (B.CONFIRMED, B.CANCELLED),
    (B.CONFIRMED, B.NO_SHOW),
    (B.CHECKED_IN, B.COMPLETED),
}


def events(name: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("id")]


def slot_pools(booking: Booking) -> list[CapacityPool]:
    subjects = selectors.booking_slot_subjects(booking)
    return list(CapacityPool.objects.filter(kind=PoolKind.TIME_SLOT, subject__in=subjects).order_by("subject"))


def used(pools) -> list[tuple[int, int]]:
    return [(pool_balance(p).held, pool_balance(p).consumed) for p in pools]


# --- the state machine, every pair ---------------------------------------------------------------


def test_booking_state_machine_every_pair(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    for src, dst in itertools.product(B.values, B.values):
        Booking.objects.filter(pk=booking.pk).update(status=src)
        booking.refresh_from_db()
        if (src, dst) in ALLOWED:
            BOOKING.transition(booking, dst, actor="test")
            booking.refresh_from_db()
            assert booking.status == dst
        else:
            assert not BOOKING.can(src, dst)
            with pytest.raises(InvalidTransition):
                BOOKING.transition(booking, dst, actor="test")
            booking.refresh_from_db()
            assert booking.status == src
    assert {(s, d) for s in B.values for d in B.values if BOOKING.can(s, d)} == ALLOWED


# --- slots, opening hours, schedules --------------------------------------------------------------


def test_pay_at_store_booking_is_confirmed_at_once_and_holds_its_two_slots(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    assert booking.status == "confirmed" and booking.order_no == ""
    pools = slot_pools(booking)
    assert len(pools) == 2 and used(pools) == [(0, 1), (0, 1)]
    assert all(ledger_balance(p) == pool_balance(p) for p in pools)
    (payload,) = events("bookings.booking_confirmed")
    assert payload["booking_id"] == booking.public_id and payload["service_name"] == "Cut"
    assert payload["store_name"] == "Salon" and payload["starts_at"].startswith(str(booking.starts_at.date()))


def test_slots_list_fits_the_service_in_shifts_and_hours(merchant, cut, stylist, salon, book, at, day):
    slots = selectors.slots_for(merchant=merchant, service=cut, store=salon, day=day)
    starts = [s.starts_at for s in slots]
    assert starts[0] == at("10:00") and starts[-1] == at("17:00")  # a 60-minute cut ends by 18:00
    assert len(starts) == 15 and all(s.available == 1 for s in slots)
    book(cut, stylist, at("10:00"))
    after = {
        s.starts_at: s.available for s in selectors.slots_for(merchant=merchant, service=cut, store=salon, day=day)
    }
    assert after[at("10:00")] == 0 and after[at("09:30") if at("09:30") in after else at("10:30")] == 0
    assert after[at("11:00")] == 1


def test_booking_outside_opening_hours_is_refused(merchant, make_resource, make_service, salon, book, at, day):
    late = make_resource("Late", shifts=[Shift(w, time(18), time(23)) for w in range(7)])
    service = make_service("Late cut")
    with pytest.raises(OutsideOpeningHours):
        book(service, late, at("20:30"))  # 20:30-21:30, the store closes at 21:00
    with pytest.raises(OutsideOpeningHours):
        book(service, late, at("21:00"))
    store_set_exception(merchant=merchant, public_id=salon.public_id, day=day, is_closed=True)  # closed that day
    with pytest.raises(OutsideOpeningHours):
        book(service, late, at("18:00"))
    assert not Booking.objects.exists() and not CapacityPool.objects.filter(kind=PoolKind.TIME_SLOT).exists()


def test_off_grid_past_and_off_shift_starts_are_refused(merchant, cut, stylist, make_resource, book, at):
    with pytest.raises(InvalidSlot):
        book(cut, stylist, at("10:15"))
    with pytest.raises(InvalidSlot):
        book(cut, stylist, at("17:30"))  # would end after the shift
    with pytest.raises(SlotInPast):
        book(cut, stylist, clock.now().replace(second=0, microsecond=0) - timedelta(hours=1))
    services.resource_set_exception(merchant=merchant, resource=stylist, day=at("10:00").date(), is_off=True)
    with pytest.raises(InvalidSlot):
        book(cut, stylist, at("10:00"))
    assert not Booking.objects.exists()


def test_overlapping_schedules_are_refused_and_change_nothing(merchant, stylist):
    before = list(ScheduleRule.objects.filter(resource=stylist).values_list("weekday", "starts", "ends"))
    with pytest.raises(ScheduleOverlap) as exc:
        services.resource_set_schedule(
            merchant=merchant,
            resource=stylist,
            shifts=services.shifts_from([(0, "09:00", "12:00"), (0, "11:30", "15:00"), (1, "09:00", "12:00")]),
        )
    assert exc.value.code == "bookings.schedule_overlap" and exc.value.extra["weekday"] == 0
    assert list(ScheduleRule.objects.filter(resource=stylist).values_list("weekday", "starts", "ends")) == before
    # touching shifts do not overlap
    services.resource_set_schedule(
        merchant=merchant, resource=stylist, shifts=services.shifts_from([(0, "09:00", "12:00"), (0, "12:00", "15:00")])
    )
    assert ScheduleRule.objects.filter(resource=stylist).count() == 2


def test_a_full_slot_is_refused_and_overlapping_bookings_too(merchant, cut, stylist, book, at, make_member):
    book(cut, stylist, at("10:00"))
    with pytest.raises(SlotFull):
        book(cut, stylist, at("10:00"), who=make_member())
    with pytest.raises(SlotFull):
        book(cut, stylist, at("10:30"), who=make_member())  # its first slot is the booking's second
    assert Booking.objects.count() == 1
    assert book(cut, stylist, at("11:00"), who=make_member()).status == "confirmed"


def test_a_room_for_two_takes_two_bookings_per_slot(merchant, make_resource, make_service, book, at, make_member):
    room = make_resource("Spa room", capacity=2, kind="room")
    spa = make_service("Spa", kind="room", duration=90)
    book(spa, room, at("10:00"))
    book(spa, room, at("10:00"), who=make_member())
    with pytest.raises(SlotFull):
        book(spa, room, at("10:00"), who=make_member())


# --- paying online ---------------------------------------------------------------------------------


def test_prepaid_booking_is_held_then_confirmed_by_the_order_payment(merchant, make_service, stylist, book, at, pay):
    service = make_service("Colour", mode="full", price=26800)
    booking = book(service, stylist, at("14:00"))
    assert booking.status == "held"
    order = Order.objects.get(order_no=booking.order_no)
    assert (order.status, order.total_fen, order.channel) == ("pending_payment", 26800, "booking")
    assert used(slot_pools(booking)) == [(1, 0), (1, 0)]
    pay(order)
    deliver_due()
    booking.refresh_from_db()
    assert booking.status == "confirmed" and used(slot_pools(booking)) == [(0, 1), (0, 1)]
    assert [p["booking_id"] for p in events("bookings.booking_confirmed")] == [booking.public_id]


def test_unpaid_booking_expires_with_its_order_and_frees_the_slot(
    merchant, make_service, stylist, book, at, make_member
):
    service = make_service("Colour", mode="deposit", price=26800, deposit=5000)
    booking = book(service, stylist, at("14:00"))
    order = Order.objects.get(order_no=booking.order_no)
    assert order.total_fen == 5000
    orders.orders_expire_due(now=order.expires_at + timedelta(seconds=1))
    deliver_due()
    booking.refresh_from_db()
    assert booking.status == "expired" and used(slot_pools(booking)) == [(0, 0), (0, 0)]
    assert book(service, stylist, at("14:00"), who=make_member()).status == "held"  # the slot is free again


# --- cancellation policy ----------------------------------------------------------------------------


def _paid_booking(make_service, stylist, book, at, pay, **kw):
    service = make_service(kw.pop("name", "Colour"), **kw)
    booking = book(service, stylist, at("14:00"))
    pay(Order.objects.get(order_no=booking.order_no))
    deliver_due()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    return booking


def test_free_cancellation_refunds_everything_and_frees_the_slots(merchant, make_service, stylist, book, at, pay):
    booking = _paid_booking(make_service, stylist, book, at, pay, mode="full", price=26800, fee=5000, hours=24)
    cancelled = services.booking_cancel(merchant=merchant, booking=booking, actor="member")
    deliver_due()
    order = Order.objects.get(order_no=booking.order_no)
    assert (cancelled.status, cancelled.fee_fen, cancelled.refund_fen) == ("cancelled", 0, 26800)
    assert (order.status, order.refunded_fen) == ("refunded", 26800)
    assert used(slot_pools(booking)) == [(0, 0), (0, 0)]


def test_late_cancellation_keeps_the_fee_to_the_fen(merchant, make_service, stylist, book, at, pay):
    # free until 100 hours before; the booking is about 3 days (< 100 h) ahead: late
    booking = _paid_booking(make_service, stylist, book, at, pay, mode="full", price=26800, fee=5001, hours=100)
    cancelled = services.booking_cancel(merchant=merchant, booking=booking, actor="member")
    deliver_due()
    order = Order.objects.get(order_no=booking.order_no)
    assert (cancelled.fee_fen, cancelled.refund_fen) == (5001, 21799)
    assert (order.status, order.refunded_fen) == ("partially_refunded", 21799)
    assert used(slot_pools(booking)) == [(0, 0), (0, 0)]


def test_late_cancellation_of_a_deposit_keeps_the_deposit_and_staff_can_waive_it(
    merchant, make_service, stylist, book, at, pay, make_member
):
    booking = _paid_booking(make_service, stylist, book, at, pay, mode="deposit", price=26800, deposit=5000, hours=100)
    kept = services.booking_cancel(merchant=merchant, booking=booking, actor="member")
    order = Order.objects.get(order_no=booking.order_no)
    assert (kept.fee_fen, kept.refund_fen, order.status, order.refunded_fen) == (5000, 0, "paid", 0)
    assert used(slot_pools(booking)) == [(0, 0), (0, 0)]
    other = book(booking.service, booking.resource, at("16:00"), who=make_member())
    pay(Order.objects.get(order_no=other.order_no))
    deliver_due()
    waived = services.booking_cancel(merchant=merchant, booking=other, actor="staff", waive_fee=True)
    deliver_due()
    assert (waived.fee_fen, waived.refund_fen) == (0, 5000)
    assert Order.objects.get(order_no=other.order_no).refunded_fen == 5000


def test_cancellation_split_is_exact():
    for paid, fee in itertools.product([0, 1, 999, 5000, 26800], [0, 1, 5000, 10**6]):
        for free in (True, False):
            kept, refund = cancellation_split(paid_fen=paid, fee_fen=fee, free=free)
            assert kept + refund == paid and kept == (0 if free else min(fee, paid)) and refund >= 0


def test_cancelling_a_held_booking_cancels_its_order(merchant, make_service, stylist, book, at):
    booking = book(make_service("Colour", mode="full", price=100), stylist, at("14:00"))
    cancelled = services.booking_cancel(merchant=merchant, booking=booking, actor="member")
    assert cancelled.status == "cancelled" and Order.objects.get(order_no=booking.order_no).status == "cancelled"
    assert used(slot_pools(booking)) == [(0, 0), (0, 0)]
    with pytest.raises(InvalidTransition):
        services.booking_cancel(merchant=merchant, booking=booking, actor="member")


# --- rescheduling ------------------------------------------------------------------------------------


def test_reschedule_takes_the_new_slot_then_frees_the_old(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    old = slot_pools(booking)
    moved = services.booking_reschedule(merchant=merchant, booking=booking, starts_at=at("14:00"), actor="member")
    assert moved.starts_at == at("14:00") and moved.ends_at == at("15:00")
    assert used(old) == [(0, 0), (0, 0)] and used(slot_pools(moved)) == [(0, 1), (0, 1)]
    (change,) = events("bookings.booking_changed")
    assert change["booking_id"] == booking.public_id and change["change_id"].startswith("bkc_") and change["change"]


def test_reschedule_onto_a_full_slot_changes_nothing(merchant, cut, stylist, book, at, make_member):
    booking = book(cut, stylist, at("10:00"))
    book(cut, stylist, at("14:00"), who=make_member())
    with pytest.raises(SlotFull):
        services.booking_reschedule(merchant=merchant, booking=booking, starts_at=at("14:00"), actor="member")
    booking.refresh_from_db()
    assert booking.starts_at == at("10:00") and used(slot_pools(booking)) == [(0, 1), (0, 1)]
    assert not events("bookings.booking_changed")


def test_reschedule_by_half_an_hour_overlapping_itself(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    moved = services.booking_reschedule(merchant=merchant, booking=booking, starts_at=at("10:30"), actor="member")
    pools = {p.subject[-4:]: pool_balance(p) for p in CapacityPool.objects.filter(kind=PoolKind.TIME_SLOT)}
    assert moved.starts_at == at("10:30")
    assert (pools["1000"].consumed, pools["1030"].consumed, pools["1100"].consumed) == (0, 1, 1)
    assert all(p.held == 0 for p in pools.values())


# --- check-in, completion, no-show, reminders ----------------------------------------------------------


def test_check_in_and_complete_publish_completed_for_reviews(merchant, make_service, stylist, book, at, pay):
    booking = _paid_booking(make_service, stylist, book, at, pay, mode="full", price=100)
    services.booking_check_in(merchant=merchant, booking=booking, actor="clerk")
    done = services.booking_complete(merchant=merchant, booking=booking, actor="clerk")
    assert done.status == "completed"
    assert Order.objects.get(order_no=booking.order_no).status == "completed"
    (payload,) = events("bookings.booking_completed")
    assert payload["booking_id"] == booking.public_id and payload["member_id"] == booking.member.public_id
    assert payload["store_id"] == booking.store.public_id


def test_no_show_only_after_the_start(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    with pytest.raises(BookingNotChangeable):
        services.booking_no_show(merchant=merchant, booking=booking, actor="clerk")
    Booking.objects.filter(pk=booking.pk).update(starts_at=clock.now() - timedelta(minutes=30))
    assert services.booking_no_show(merchant=merchant, booking=booking, actor="clerk").status == "no_show"


def test_reminder_once_per_booking(merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    now = booking.starts_at - timedelta(hours=2)
    assert services.bookings_remind_due(now=now - timedelta(days=5)) == 0
    assert services.bookings_remind_due(now=now) == 1
    assert services.bookings_remind_due(now=now) == 0
    (payload,) = events("bookings.booking_reminder")
    assert set(payload) >= {"booking_id", "starts_at", "service_name", "store_name", "member_id"}


# --- leads --------------------------------------------------------------------------------------------


def test_consultation_opens_a_lead_that_is_won_with_its_order(merchant, make_service, stylist, book, at, member):
    visit = make_service("Sofa consultation", price=0, is_consultation=True)
    booking = book(visit, stylist, at("10:00"))
    lead = Lead.objects.get(booking=booking)
    assert lead.status == LeadStatus.NEW and lead.member == member
    services.lead_move(merchant=merchant, lead=lead, to="contacted", actor="sales")
    services.booking_complete(merchant=merchant, booking=booking, actor="clerk")
    lead.refresh_from_db()
    assert lead.status == "visited"
    with pytest.raises(InvalidLead):
        services.lead_move(merchant=merchant, lead=lead, to="won", actor="sales")
    order = Order.objects.create(
        merchant=merchant,
        member=member,
        order_no="O20990101000001",
        fulfilment_type="in_store",
        subtotal_fen=1,
        shipping_fen=0,
        discount_fen=0,
        total_fen=1,
        placed_at=clock.now(),
        expires_at=clock.now(),
    )
    won = services.lead_move(merchant=merchant, lead=lead, to="won", actor="sales", order_no=order.order_no)
    assert (won.status, won.order_no) == ("won", order.order_no)
    with pytest.raises(InvalidTransition):
        services.lead_move(merchant=merchant, lead=lead, to="lost", actor="sales")


# --- reserve online, pay and pick up in the store -----------------------------------------------------


def test_reservation_holds_store_stock_until_the_deadline(merchant, member, salon, sku, stock):
    pool = stock(sku, 3, store=salon)
    r = services.reservation_create(merchant=merchant, member=member, store=salon, sku=sku, quantity=2, actor="member")
    assert pool_balance(pool).held == 2 and r.status == "reserved"
    order = Order.objects.get(order_no=r.order_no)
    assert (order.status, order.channel, order.expires_at) == ("pending_payment", "reserve", r.deadline)
    with pytest.raises(NotEnoughStock):
        services.reservation_create(merchant=merchant, member=member, store=salon, sku=sku, quantity=2, actor="member")
    orders.orders_expire_due(now=r.deadline - timedelta(minutes=1))
    assert pool_balance(pool).held == 2  # not before the deadline
    orders.orders_expire_due(now=r.deadline + timedelta(seconds=1))
    deliver_due()
    r.refresh_from_db()
    assert r.status == ReservationStatus.EXPIRED and pool_balance(pool).held == 0
    assert ledger_balance(pool) == pool_balance(pool)


def test_reservation_paid_at_the_counter_and_handed_over(merchant, member, salon, sku, stock, clerk):
    pool = stock(sku, 3, store=salon)
    r = services.reservation_create(merchant=merchant, member=member, store=salon, sku=sku, quantity=1, actor="member")
    with pytest.raises(BookingNotChangeable):
        services.reservation_hand_over(merchant=merchant, reservation=r, staff=clerk)
    r = services.reservation_take_payment(merchant=merchant, reservation=r, method="offline_cash", staff=clerk)
    assert r.status == "paid" and pool_balance(pool).consumed == 1 and pool_balance(pool).held == 0
    r = services.reservation_hand_over(merchant=merchant, reservation=r, staff=clerk)
    assert r.status == "handed_over" and Order.objects.get(order_no=r.order_no).status == "completed"
    deliver_due()  # the paid event arrives later and changes nothing
    r.refresh_from_db()
    assert r.status == "handed_over"


def test_reservation_without_store_stock_is_refused(merchant, member, salon, sku):
    with pytest.raises(NotEnoughStock):
        services.reservation_create(merchant=merchant, member=member, store=salon, sku=sku, quantity=1, actor="m")
