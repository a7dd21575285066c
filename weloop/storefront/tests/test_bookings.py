"""The H5 booking pages: services and slots, booking (at the store, prepaid), my bookings, cancel with
the policy, reschedule, a consultation's lead, and goods reserved to pay and collect in a store."""

from __future__ import annotations

import pytest

from weloop.bookings.models import Booking, Lead, Reservation
from weloop.bookings.tests.fixtures import *  # noqa: F403
from weloop.core.events import deliver_due
from weloop.inventory.models import Hold
from weloop.orders.models import Order
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.storefront.identity import member_key

pytestmark = pytest.mark.django_db


def sign_in(client, merchant, member, scope="snsapi_base"):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = scope
    session.save()
    return client


@pytest.fixture
def shopper(client, merchant, member):
    return sign_in(client, merchant, member)


def url(merchant, tail=""):
    return f"/m/{merchant.slug}/{tail}"


def start(at, hh_mm):
    return at(hh_mm).strftime("%Y-%m-%dT%H:%M")


def book_form(client, merchant, service, resource, when, **extra):
    return client.post(
        url(merchant, f"bookings/services/{service.public_id}/book"),
        {"resource": resource.public_id, "start": when, "contact_name": "Li", "contact_phone": "138", **extra},
    )


def test_services_list_and_a_service_page_show_the_free_slots(client, merchant, cut, stylist, salon, day, at):
    listing = client.get(url(merchant, f"bookings/services/?store={salon.public_id}"))
    assert listing.status_code == 200 and cut.public_id in listing.content.decode()
    page = client.get(url(merchant, f"bookings/services/{cut.public_id}/?store={salon.public_id}&date={day}"))
    body = page.content.decode()
    assert page.status_code == 200
    # 10:00 to 17:00 (a 60-minute cut in a 10-18 shift), every 30 minutes
    assert f'data-start="{start(at, "10:00")}"' in body and f'data-start="{start(at, "17:00")}"' in body
    assert f'data-start="{start(at, "17:30")}"' not in body


def test_home_store_and_me_link_to_bookings(client, merchant, member, salon):
    shopper = sign_in(client, merchant, member, scope="snsapi_userinfo")  # "Me" asks for the profile
    assert b'data-testid="home-book-link"' in shopper.get(url(merchant)).content
    assert b'data-testid="store-book"' in shopper.get(url(merchant, f"stores/{salon.public_id}/")).content
    assert b'data-testid="me-bookings"' in shopper.get(url(merchant, "me/")).content


def test_booking_paid_at_the_store_is_confirmed_at_once(shopper, merchant, member, cut, stylist, at):
    confirm = shopper.get(
        url(merchant, f"bookings/services/{cut.public_id}/book"),
        {"resource": stylist.public_id, "start": start(at, "10:00")},
    )
    assert confirm.status_code == 200 and b'data-testid="booking-at-store"' in confirm.content
    response = book_form(shopper, merchant, cut, stylist, start(at, "10:00"))
    booking = Booking.objects.get(member=member)
    assert response.status_code == 302 and response["Location"] == url(merchant, f"bookings/{booking.public_id}/")
    assert (booking.status, booking.order_no, booking.contact_name) == ("confirmed", "", "Li")
    mine = shopper.get(url(merchant, "bookings/")).content.decode()
    assert booking.public_id in mine and 'data-status="confirmed"' in mine


def test_a_prepaid_booking_goes_to_the_pay_page_and_confirms_when_paid(
    shopper, merchant, member, make_service, stylist, at, pay
):
    colour = make_service("Colour", mode="deposit", price=26800, deposit=5000)
    response = book_form(shopper, merchant, colour, stylist, start(at, "14:00"))
    booking = Booking.objects.get(member=member)
    assert booking.status == "held" and booking.order_no
    assert response.status_code == 302 and response["Location"] == url(merchant, f"orders/{booking.order_no}/pay")
    order = Order.objects.get(order_no=booking.order_no)
    assert order.total_fen == 5000  # the deposit
    waiting = shopper.get(url(merchant, f"bookings/{booking.public_id}/")).content.decode()
    assert 'data-testid="booking-pay"' in waiting and 'data-status="held"' in waiting
    pay(order)
    deliver_due()
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_a_full_slot_shows_a_clear_error_and_books_nothing(
    shopper, merchant, member, cut, stylist, at, book, make_member
):
    book(cut, stylist, at("10:00"), who=make_member())
    holds_before = Hold.objects.count()
    response = book_form(shopper, merchant, cut, stylist, start(at, "10:00"))
    assert response.status_code == 409
    assert b'data-error-code="bookings.slot_full"' in response.content
    assert b"fully booked" in response.content
    assert not Booking.objects.filter(member=member).exists()
    assert Hold.objects.count() == holds_before


def test_another_members_booking_is_404_and_an_unknown_one_404_before_sign_in(
    client, merchant, cut, stylist, at, book, make_member, member
):
    theirs = book(cut, stylist, at("10:00"), who=make_member())
    assert client.get(url(merchant, "bookings/bk_nope/")).status_code == 404  # anonymous: no sign-in first
    sign_in(client, merchant, member)
    assert client.get(url(merchant, f"bookings/{theirs.public_id}/")).status_code == 404
    assert client.post(url(merchant, f"bookings/{theirs.public_id}/cancel")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"


def test_cancel_shows_the_policy_and_the_refund_then_applies_it(
    shopper, merchant, member, make_service, stylist, at, book, pay
):
    # free until 100 hours before; the booking is about 3 days ahead: late, the 50.01 fee is kept
    colour = make_service("Colour", mode="full", price=26800, fee=5001, hours=100)
    booking = book(colour, stylist, at("14:00"))
    pay(Order.objects.get(order_no=booking.order_no))
    deliver_due()
    quote = shopper.get(url(merchant, f"bookings/{booking.public_id}/cancel"))
    body = quote.content.decode()
    assert quote.status_code == 200 and 'data-testid="cancel-late"' in body
    assert 'data-refund="21799"' in body and 'data-fee="5001"' in body and "¥217.99" in body
    done = shopper.post(url(merchant, f"bookings/{booking.public_id}/cancel"))
    assert done.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.fee_fen, booking.refund_fen) == ("cancelled", 5001, 21799)


def test_reschedule_moves_to_the_chosen_slot(shopper, merchant, member, cut, stylist, at, book, day):
    booking = book(cut, stylist, at("10:00"))
    page = shopper.get(url(merchant, f"bookings/{booking.public_id}/reschedule?date={day}"))
    assert page.status_code == 200 and f'data-start="{start(at, "15:00")}"'.encode() in page.content
    moved = shopper.post(
        url(merchant, f"bookings/{booking.public_id}/reschedule"),
        {"resource": stylist.public_id, "start": start(at, "15:00")},
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == at("15:00")


def test_a_consultation_opens_a_lead_with_nothing_to_pay(shopper, merchant, member, make_service, stylist, at):
    consult = make_service("Sofa consultation", price=0, is_consultation=True)
    response = book_form(shopper, merchant, consult, stylist, start(at, "11:00"), note="3-seat sofa")
    booking = Booking.objects.get(member=member)
    assert response.status_code == 302 and booking.status == "confirmed" and not booking.order_no
    lead = Lead.objects.get(booking=booking)
    assert (lead.status, lead.interest, lead.member_id) == ("new", "3-seat sofa", member.pk)


def test_reserve_for_pickup_from_the_product_page(shopper, merchant, member, product, sku, salon, stock):
    stock(sku, 3, store=salon)
    page = shopper.get(url(merchant, f"products/{product.public_id}/")).content.decode()
    assert 'data-testid="product-reserve"' in page
    form = shopper.get(url(merchant, f"products/{product.public_id}/reserve?sku={sku.public_id}"))
    assert form.status_code == 200 and salon.public_id in form.content.decode()
    too_many = shopper.post(
        url(merchant, f"products/{product.public_id}/reserve"),
        {"sku": sku.public_id, "store": salon.public_id, "quantity": "5"},
    )
    assert too_many.status_code == 409 and not Reservation.objects.exists()
    response = shopper.post(
        url(merchant, f"products/{product.public_id}/reserve"),
        {"sku": sku.public_id, "store": salon.public_id, "quantity": "2"},
    )
    reservation = Reservation.objects.get(member=member)
    assert response["Location"] == url(merchant, f"reservations/{reservation.public_id}/")
    detail = shopper.get(response["Location"]).content.decode()
    assert reservation.order_no in detail and 'data-testid="reservation-deadline"' in detail
    assert Order.objects.get(order_no=reservation.order_no).status == "pending_payment"
    shopper.post(url(merchant, f"reservations/{reservation.public_id}/cancel"))
    assert Reservation.objects.get(pk=reservation.pk).status == "cancelled"


def test_another_members_reservation_is_404(client, merchant, member, make_member, sku, salon, stock):
    from weloop.bookings import services

    stock(sku, 3, store=salon)
    theirs = services.reservation_create(
        merchant=merchant, member=make_member(), store=salon, sku=sku, quantity=1, actor="t"
    )
    sign_in(client, merchant, member)
    assert client.get(url(merchant, f"reservations/{theirs.public_id}/")).status_code == 404
    assert client.post(url(merchant, f"reservations/{theirs.public_id}/cancel")).status_code == 404
