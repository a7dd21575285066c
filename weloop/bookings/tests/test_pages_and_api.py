"""The console pages and the API of bookings answer, and their writes go through the services."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import reverse

from weloop.bookings.models import Booking

pytestmark = pytest.mark.django_db


def test_console_pages_render_and_actions_work(owner_client, merchant, cut, stylist, book, at, salon, day):
    booking = book(cut, stylist, at("10:00"))
    for name, kwargs in [
        ("booking_list", {}),
        ("booking_service_list", {}),
        ("booking_service_create", {}),
        ("booking_resource_list", {}),
        ("booking_resource_create", {}),
        ("booking_lead_list", {}),
        ("booking_reservation_list", {}),
        ("booking_service_edit", {"service_id": cut.public_id}),
        ("booking_resource_detail", {"resource_id": stylist.public_id}),
        ("booking_detail", {"booking_id": booking.public_id}),
    ]:
        response = owner_client.get(reverse(f"dashboard:{name}", kwargs=kwargs))
        assert response.status_code == 200, name
    day_page = owner_client.get(reverse("dashboard:booking_day"), {"store": salon.public_id, "date": day.isoformat()})
    assert booking.public_id in day_page.content.decode()
    owner_client.post(
        reverse("dashboard:booking_action", kwargs={"booking_id": booking.public_id}), {"action": "check_in"}
    )
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"


def test_console_refuses_overlapping_schedule(owner_client, salon):
    response = owner_client.post(
        reverse("dashboard:booking_resource_create"),
        {
            "store": salon.public_id,
            "kind": "staff",
            "name": "Bo",
            "capacity": 1,
            "slot_minutes": 30,
            "schedule": "0 09:00 12:00\n0 11:00 13:00",
        },
    )
    assert response.status_code == 400 and b"bookings.schedule_overlap" in response.content
    assert not stylist_exists()


def stylist_exists() -> bool:
    from weloop.bookings.models import Resource

    return Resource.objects.filter(name="Bo").exists()


def test_api_slots_book_reschedule_cancel(api_client, merchant, member, cut, stylist, salon, at, day):
    slots = api_client.get(
        "/api/v1/booking-slots", {"service_id": cut.public_id, "store_id": salon.public_id, "date": day.isoformat()}
    )
    assert slots.status_code == 200 and slots.json()[0]["available"] == 1
    body = {
        "openid": member.openid,
        "service_id": cut.public_id,
        "resource_id": stylist.public_id,
        "starts_at": at("10:00").isoformat(),
    }
    created = api_client.post("/api/v1/bookings", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "confirmed"
    again = api_client.post("/api/v1/bookings", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "bookings.slot_full"
    outside = api_client.post(
        "/api/v1/bookings", {**body, "starts_at": at("07:00").isoformat()}, content_type="application/json"
    )
    assert outside.status_code == 400 and outside.json()["code"] == "bookings.outside_opening_hours"
    bid = created.json()["id"]
    moved = api_client.post(
        f"/api/v1/bookings/{bid}/reschedule", {"starts_at": at("15:00").isoformat()}, content_type="application/json"
    )
    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.json()["starts_at"].replace("Z", "+00:00")) == at("15:00")
    cancelled = api_client.post(f"/api/v1/bookings/{bid}/cancel", {}, content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    listed = api_client.get("/api/v1/bookings", {"status": "cancelled"})
    assert [b["id"] for b in listed.json()["items"]] == [bid]
    services_page = api_client.get("/api/v1/booking-services")
    assert services_page.json()["items"][0]["id"] == cut.public_id


def test_another_merchants_key_finds_no_booking(client, other_new_merchant, merchant, cut, stylist, book, at):
    booking = book(cut, stylist, at("10:00"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {other_new_merchant.api_key}"}
    for path in (f"/api/v1/bookings/{booking.public_id}", f"/api/v1/booking-services/{cut.public_id}"):
        assert client.get(path, **auth).status_code == 404
    for action in ("cancel", "check-in", "complete"):
        response = client.post(
            f"/api/v1/bookings/{booking.public_id}/{action}", {}, content_type="application/json", **auth
        )
        assert response.status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
