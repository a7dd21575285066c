"""Shapes of /bookings, /booking-services and /booking-slots."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.bookings.enums import BookingStatus, PaymentMode, ResourceKind
from weloop.bookings.models import Booking, Service
from weloop.bookings.selectors import Slot, service_store_ids
from weloop.stores.models import Store


class ServiceOut(Schema):
    id: str = Field(description="The service's public id (`svc_…`).", examples=["svc_8ZK2M4Q7PX"])
    name: str = Field(description="What is booked.", examples=["洗剪吹"])
    description: str = Field(description="Shown to members.", examples=[""])
    duration_minutes: int = Field(description="How long the service takes.", examples=[60])
    price_fen: int = Field(description="The price in fen.", examples=[8800])
    payment_mode: PaymentMode = Field(
        description="`full` (paid online when booking), `deposit` (a deposit online, the rest in the store) "
        "or `at_store` (nothing online).",
        examples=["deposit"],
    )
    deposit_fen: int = Field(description="The deposit paid online for `deposit` services, else 0.", examples=[2000])
    prepay_fen: int = Field(description="What a booking asks online now (price, deposit or 0).", examples=[2000])
    resource_kind: ResourceKind = Field(description="What the service needs: `staff`, `room` or `table`.")
    free_cancel_hours: int = Field(
        description="Cancelling is free until this many hours before the start.", examples=[24]
    )
    late_cancel_fee_fen: int = Field(
        description="Kept when cancelling later (at most what was paid; for a deposit service with 0 here, the "
        "whole deposit is kept).",
        examples=[2000],
    )
    is_consultation: bool = Field(description="A free consultation or home visit: each booking opens a lead.")
    is_active: bool = Field(description="Bookable now.")
    store_ids: list[str] = Field(description="The stores offering it (`st_…`).", examples=[["st_8ZK2M4Q7PX"]])


def service_out(service: Service) -> dict:
    ids = service_store_ids(service)
    return {
        "id": service.public_id,
        "name": service.name,
        "description": service.description,
        "duration_minutes": service.duration_minutes,
        "price_fen": service.price_fen,
        "payment_mode": service.payment_mode,
        "deposit_fen": service.deposit_fen,
        "prepay_fen": service.prepay_fen,
        "resource_kind": service.resource_kind,
        "free_cancel_hours": service.free_cancel_hours,
        "late_cancel_fee_fen": service.late_cancel_fee_fen,
        "is_consultation": service.is_consultation,
        "is_active": service.is_active,
        "store_ids": list(Store.objects.filter(pk__in=ids).order_by("id").values_list("public_id", flat=True)),
    }


class ServicePage(Page):
    items: list[ServiceOut] = Field(description="The bookable services on this page.")


class SlotFilters(Schema):
    service_id: str = Field(description="The service (`svc_…`).", examples=["svc_8ZK2M4Q7PX"])
    store_id: str = Field(description="The store (`st_…`).", examples=["st_8ZK2M4Q7PX"])
    date: dt.date = Field(description="The local day (YYYY-MM-DD).", examples=["2026-12-01"])
    resource_id: str | None = Field(None, description="Only this resource (`res_…`).", examples=[None])


class SlotOut(Schema):
    resource_id: str = Field(description="Who or what gives the service (`res_…`).", examples=["res_8ZK2M4Q7PX"])
    resource_name: str = Field(description="The resource's name.", examples=["Amy"])
    starts_at: datetime = Field(description="Start (local time, with offset).")
    ends_at: datetime = Field(description="End: start + the service's duration.")
    available: int = Field(description="How many more bookings this start takes (0: full).", examples=[1])


def slot_out(slot: Slot) -> dict:
    return {
        "resource_id": slot.resource.public_id,
        "resource_name": slot.resource.name,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "available": slot.available,
    }


class BookingFilters(Schema):
    status: BookingStatus | None = Field(None, description="Only bookings in this status.")
    store_id: str | None = Field(None, description="Only this store's bookings (`st_…`).")
    date: dt.date | None = Field(None, description="Only bookings starting on this local day.")
    openid: str | None = Field(None, description="Only this member's bookings.")


class BookingIn(InputSchema):
    openid: str = Field(description="The member who books (their openid).", examples=["oWx_member_0001"])
    service_id: str = Field(description="The service (`svc_…`).", examples=["svc_8ZK2M4Q7PX"])
    resource_id: str = Field(description="The resource (`res_…`), from /booking-slots.", examples=["res_8ZK2M4Q7PX"])
    starts_at: datetime = Field(
        description="A start listed by /booking-slots (ISO 8601 with time zone).",
        examples=["2026-12-01T10:00:00+08:00"],
    )
    contact_name: str = Field("", description="Name to ask for at the store.", examples=["李雷"])
    contact_phone: str = Field("", description="Phone to reach the member.", examples=["13800000000"])
    note: str = Field("", description="A note for the store (up to 200 characters).", examples=[""])


class RescheduleIn(InputSchema):
    starts_at: datetime = Field(description="The new start (a listed slot).", examples=["2026-12-01T14:00:00+08:00"])
    resource_id: str | None = Field(None, description="Another resource of the same store and kind, or the same.")


class CancelIn(InputSchema):
    waive_fee: bool = Field(False, description="The merchant waives the late-cancellation fee (refunds all).")
    reason: str = Field("", description="Why, for the history.", examples=["customer called"])


class BookingOut(Schema):
    id: str = Field(description="The booking's public id (`bk_…`).", examples=["bk_8ZK2M4Q7PX"])
    status: BookingStatus = Field(
        description="`held` (waiting for payment), `confirmed`, `checked_in`, `completed`, `no_show`, "
        "`cancelled` or `expired`.",
        examples=["confirmed"],
    )
    service_id: str = Field(description="The service (`svc_…`).")
    service_name: str = Field(description="The service's name.")
    store_id: str = Field(description="The store (`st_…`).")
    resource_id: str = Field(description="The resource (`res_…`).")
    resource_name: str = Field(description="The resource's name.")
    member_id: str = Field(description="The member (`mb_…`).")
    starts_at: datetime = Field(description="Start.")
    ends_at: datetime = Field(description="End.")
    payment_mode: PaymentMode = Field(description="How it is paid (fixed when booked).")
    price_fen: int = Field(description="The price when booked, in fen.", examples=[8800])
    prepay_fen: int = Field(description="What its order asks online (0: paid at the store).", examples=[2000])
    order_no: str = Field(
        description="The order to pay (empty when paid at the store).", examples=["O2026120112345678"]
    )
    hold_expires_at: datetime | None = Field(description="A held booking lapses if unpaid by then.")
    fee_fen: int = Field(description="Kept on cancellation, in fen.", examples=[0])
    refund_fen: int = Field(description="Given back on cancellation, in fen.", examples=[2000])
    refund_error: str = Field(description="Why the refund was refused, if it was.", examples=[""])
    created_at: datetime = Field(description="When it was booked.")


def booking_out(b: Booking) -> dict:
    return {
        "id": b.public_id,
        "status": b.status,
        "service_id": b.service.public_id,
        "service_name": b.service.name,
        "store_id": b.store.public_id,
        "resource_id": b.resource.public_id,
        "resource_name": b.resource.name,
        "member_id": b.member.public_id,
        "starts_at": b.starts_at,
        "ends_at": b.ends_at,
        "payment_mode": b.payment_mode,
        "price_fen": b.price_fen,
        "prepay_fen": b.prepay_fen,
        "order_no": b.order_no,
        "hold_expires_at": b.hold_expires_at,
        "fee_fen": b.fee_fen,
        "refund_fen": b.refund_fen,
        "refund_error": b.refund_error,
        "created_at": b.created_at,
    }


class BookingPage(Page):
    items: list[BookingOut] = Field(description="The bookings on this page, by start time.")
