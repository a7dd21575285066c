"""/bookings, /booking-services and /booking-slots: time-slot bookings (see docs/bookings.md).

A booking of a service paid online (`full` or `deposit`) starts `held` with an order to pay
(POST /orders/{order_no}/payments); the payment confirms it. A service paid at the store is
`confirmed` at once. Slot capacity is the capacity engine's: a full slot is 409 `bookings.slot_full`.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.bookings import (
    BookingFilters,
    BookingIn,
    BookingOut,
    BookingPage,
    CancelIn,
    RescheduleIn,
    ServiceOut,
    ServicePage,
    SlotFilters,
    SlotOut,
    booking_out,
    service_out,
    slot_out,
)
from weloop.api.schemas.common import PageIn
from weloop.bookings import selectors, services
from weloop.members.selectors import member_by_openid
from weloop.stores.selectors import store_get

bookings_router = Router(tags=["Bookings"])
services_router = Router(tags=["Bookings"])
slots_router = Router(tags=["Bookings"])

BookingId = Annotated[str, Path(description="The booking's public id (`bk_…`).", example="bk_8ZK2M4Q7PX")]
ServiceId = Annotated[str, Path(description="The service's public id (`svc_…`).", example="svc_8ZK2M4Q7PX")]


@services_router.get("", response=ServicePage, summary="List bookable services")
def list_services(request: HttpRequest, page: Query[PageIn]) -> dict:
    """Your services, by name, with their payment mode, cancellation policy and stores."""
    result = paginate(selectors.service_list(merchant=merchant_of(request)), page)
    result["items"] = [service_out(s) for s in result["items"]]
    return result


@services_router.get("/{service_id}", response=ServiceOut, summary="Get a bookable service")
def get_service(request: HttpRequest, service_id: ServiceId) -> dict:
    """One bookable service: duration, price, how it is paid, its stores and cancellation policy."""
    return service_out(selectors.service_get(merchant=merchant_of(request), public_id=service_id))


@slots_router.get("", response=list[SlotOut], summary="Free slots of a service at a store on a day")
def list_slots(request: HttpRequest, filters: Query[SlotFilters]) -> list[dict]:
    """Every start where the service fits (the resource's shifts within the store's opening hours),
    per resource, with how many more bookings it takes (0: full). Past starts are left out."""
    merchant = merchant_of(request)
    service = selectors.service_get(merchant=merchant, public_id=filters.service_id)
    store = store_get(merchant=merchant, public_id=filters.store_id)
    resource = selectors.resource_get(merchant=merchant, public_id=filters.resource_id) if filters.resource_id else None
    slots = selectors.slots_for(merchant=merchant, service=service, store=store, day=filters.date, resource=resource)
    return [slot_out(s) for s in slots]


@bookings_router.get("", response=BookingPage, summary="List bookings")
def list_bookings(request: HttpRequest, filters: Query[BookingFilters], page: Query[PageIn]) -> dict:
    """Bookings by start time, filtered by status, store, day or member."""
    merchant = merchant_of(request)
    result = paginate(
        selectors.booking_list(
            merchant=merchant,
            status=filters.status or "",
            store=store_get(merchant=merchant, public_id=filters.store_id) if filters.store_id else None,
            day=filters.date,
            member=member_by_openid(merchant=merchant, openid=filters.openid) if filters.openid else None,
        ),
        page,
    )
    result["items"] = [booking_out(b) for b in result["items"]]
    return result


@bookings_router.post("", response={201: BookingOut}, summary="Book a slot for a member")
def create_booking(request: HttpRequest, payload: BookingIn) -> tuple[int, dict]:
    """Book for the member with `openid`. 201 with the booking: `held` with an `order_no` to pay, or
    `confirmed` (paid at the store). Refused, writing nothing: 409 `bookings.slot_full`; 400
    `bookings.outside_opening_hours`, `bookings.invalid_slot`, `bookings.slot_in_past`,
    `bookings.invalid_service`; 404 unknown member, service or resource."""
    merchant = merchant_of(request)
    booking = services.booking_create(
        merchant=merchant,
        member=member_by_openid(merchant=merchant, openid=payload.openid),
        service=selectors.service_get(merchant=merchant, public_id=payload.service_id),
        resource=selectors.resource_get(merchant=merchant, public_id=payload.resource_id),
        starts_at=payload.starts_at,
        actor=actor_of(request),
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        note=payload.note,
    )
    return 201, booking_out(booking)


@bookings_router.get("/{booking_id}", response=BookingOut, summary="Get a booking")
def get_booking(request: HttpRequest, booking_id: BookingId) -> dict:
    """One booking: the service, the store, the resources and times held, its status and its order."""
    return booking_out(selectors.booking_get(merchant=merchant_of(request), public_id=booking_id))


@bookings_router.post("/{booking_id}/cancel", response=BookingOut, summary="Cancel a booking")
def cancel_booking(request: HttpRequest, booking_id: BookingId, payload: CancelIn) -> dict:
    """Cancel with the service's policy: free until `free_cancel_hours` before the start, later the
    fee (or the deposit) is kept unless `waive_fee`. The refund goes through the order
    (`refund_fen`, `fee_fen` on the answer). 409 `state.invalid_transition` when already closed."""
    merchant = merchant_of(request)
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    return booking_out(
        services.booking_cancel(
            merchant=merchant,
            booking=booking,
            actor=actor_of(request),
            waive_fee=payload.waive_fee,
            reason=payload.reason,
        )
    )


@bookings_router.post("/{booking_id}/check-in", response=BookingOut, summary="Check a booking in")
def check_in_booking(request: HttpRequest, booking_id: BookingId) -> dict:
    """The customer arrived: `confirmed` -> `checked_in`; otherwise 409 `state.invalid_transition`."""
    merchant = merchant_of(request)
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    services.booking_check_in(merchant=merchant, booking=booking, actor=actor_of(request))
    return booking_out(selectors.booking_get(merchant=merchant, public_id=booking_id))


@bookings_router.post("/{booking_id}/complete", response=BookingOut, summary="Complete a booking")
def complete_booking(request: HttpRequest, booking_id: BookingId) -> dict:
    """The service was given: (`confirmed` ->) `checked_in` -> `completed`; the member may review it."""
    merchant = merchant_of(request)
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    services.booking_complete(merchant=merchant, booking=booking, actor=actor_of(request))
    return booking_out(selectors.booking_get(merchant=merchant, public_id=booking_id))


@bookings_router.post("/{booking_id}/reschedule", response=BookingOut, summary="Move a booking")
def reschedule_booking(request: HttpRequest, booking_id: BookingId, payload: RescheduleIn) -> dict:
    """Move to another slot, atomically: the new slot is taken before the old one is given back;
    409 `bookings.slot_full` leaves the booking as it was."""
    merchant = merchant_of(request)
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    resource = selectors.resource_get(merchant=merchant, public_id=payload.resource_id) if payload.resource_id else None
    moved = services.booking_reschedule(
        merchant=merchant, booking=booking, starts_at=payload.starts_at, actor=actor_of(request), resource=resource
    )
    return booking_out(selectors.booking_get(merchant=merchant, public_id=moved.public_id))
