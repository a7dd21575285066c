"""Counter pages for bookings (the day, check in, complete, no-show) and goods reservations (take the
money, or a WeChat QR, then hand over), each limited to the clerk's stores."""

from __future__ import annotations

import pytest

from weloop.bookings import services as bookings
from weloop.bookings.models import Booking, Reservation
from weloop.bookings.tests.fixtures import *  # noqa: F403
from weloop.orders.models import Order
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.payments.tests.fixtures import in_process_wechat, pay_settings  # noqa: F401
from weloop.stores.services import HoursInput, store_assign_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(make_store, merchant):
    return make_store(merchant, name="Elsewhere", hours=[HoursInput(w, "09:00", "21:00") for w in range(7)])


@pytest.fixture
def clerk_client(client, make_staff, merchant, salon, elsewhere):
    staff = make_staff(merchant, "clerk")
    store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[salon.public_id])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(staff.user)
    return client


def test_the_nav_offers_bookings_and_reservations(clerk_client):
    body = clerk_client.get("/clerk/").content.decode()
    assert 'data-testid="clerk-action-bookings"' in body and 'data-testid="clerk-action-reservations"' in body


def test_the_day_lists_my_stores_bookings_by_resource_and_checks_in(clerk_client, cut, stylist, book, at, day, salon):
    booking = book(cut, stylist, at("10:00"))
    page = clerk_client.get("/clerk/bookings/", {"store": salon.public_id, "date": day.isoformat()})
    body = page.content.decode()
    assert page.status_code == 200 and booking.public_id in body and stylist.public_id in body
    response = clerk_client.post(f"/clerk/bookings/{booking.public_id}/action/", {"action": "check_in"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    clerk_client.post(f"/clerk/bookings/{booking.public_id}/action/", {"action": "complete"})
    booking.refresh_from_db()
    assert booking.status == "completed"


def test_check_in_only_in_my_stores(clerk_client, merchant, make_service, make_resource, book, at, elsewhere):
    there = make_resource(name="Bo", store=elsewhere)  # the default shifts: 10:00-18:00 every day
    service = make_service("Trim", stores=[elsewhere])
    booking = book(service, there, at("10:00"))
    assert clerk_client.post(f"/clerk/bookings/{booking.public_id}/action/", {"action": "check_in"}).status_code == 404
    assert (
        booking.public_id not in clerk_client.get("/clerk/bookings/", {"store": elsewhere.public_id}).content.decode()
    )
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_no_show_before_the_start_is_refused_with_a_message(clerk_client, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    response = clerk_client.post(f"/clerk/bookings/{booking.public_id}/action/", {"action": "no_show"}, follow=True)
    assert "only after its start" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_completed_booking_cannot_be_checked_in_again(clerk_client, merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    bookings.booking_complete(merchant=merchant, booking=booking, actor="t")
    response = clerk_client.post(f"/clerk/bookings/{booking.public_id}/action/", {"action": "check_in"}, follow=True)
    assert "cannot be done now" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "completed"


@pytest.fixture
def reservation(merchant, member, sku, salon, stock):
    stock(sku, 3, store=salon)
    return bookings.reservation_create(merchant=merchant, member=member, store=salon, sku=sku, quantity=2, actor="m")


def test_reservation_hand_over_only_after_payment(clerk_client, reservation):
    listing = clerk_client.get("/clerk/reservations/").content.decode()
    assert reservation.public_id in listing
    found = clerk_client.get("/clerk/reservations/", {"q": reservation.order_no})
    assert found.status_code == 302 and found["Location"].endswith(f"/clerk/reservations/{reservation.public_id}/")
    early = clerk_client.post(f"/clerk/reservations/{reservation.public_id}/hand-over/")
    assert early.status_code == 409 and "Take the payment first" in early.content.decode()
    assert Reservation.objects.get(pk=reservation.pk).status == "reserved"
    paid = clerk_client.post(f"/clerk/reservations/{reservation.public_id}/pay/", {"method": "offline_cash"})
    assert paid.status_code == 302
    assert Reservation.objects.get(pk=reservation.pk).status == "paid"
    again = clerk_client.post(f"/clerk/reservations/{reservation.public_id}/pay/", {"method": "offline_cash"})
    assert again.status_code == 409 and "not waiting for payment" in again.content.decode()
    done = clerk_client.post(f"/clerk/reservations/{reservation.public_id}/hand-over/")
    assert done.status_code == 302
    assert Reservation.objects.get(pk=reservation.pk).status == "handed_over"
    assert Order.objects.get(order_no=reservation.order_no).status == "completed"


def test_another_stores_reservation_is_404(clerk_client, merchant, member, sku, elsewhere, stock):
    stock(sku, 3, store=elsewhere)
    theirs = bookings.reservation_create(
        merchant=merchant, member=member, store=elsewhere, sku=sku, quantity=1, actor="m"
    )
    assert clerk_client.get(f"/clerk/reservations/{theirs.public_id}/").status_code == 404
    pay = clerk_client.post(f"/clerk/reservations/{theirs.public_id}/pay/", {"method": "offline_cash"})
    assert pay.status_code == 404
    assert Order.objects.get(order_no=theirs.order_no).status == "pending_payment"


def test_a_wechat_qr_for_a_reservation(clerk_client, reservation, pay_settings, in_process_wechat):  # noqa: F811
    response = clerk_client.post(f"/clerk/reservations/{reservation.public_id}/wechat-qr/")
    body = response.content.decode()
    assert response.status_code == 200, body
    assert 'data-testid="native-pay-qr" data-code-url="weixin://' in body and "<svg" in body
