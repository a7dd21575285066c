"""Writes of bookings: services, resources and schedules, bookings, leads and goods reservations.

Rules every function here keeps:
- Keyword-only arguments, ``merchant=`` first; another merchant's object is a NotFound.
- Slot capacity is the inventory engine's: one ``time_slot`` pool per (resource, slot start) at the
  store's location, created lazily with the resource's capacity; a booking holds one unit of each
  slot it covers (reference: the booking's public id). The pool's CHECK constraint makes
  overbooking impossible, however many requests race for the last slot.
- A booking that is paid online is an ordinary Order (``orders.services.order_place_for_hold``,
  channel ``booking``, fulfilment ``in_store``): its line holds nothing (the slots are the booking's,
  not the order's), the order's payment makes the booking confirmed (handlers.py), the order's
  expiry or cancellation makes it expired or cancelled, cancelling refunds through
  ``orders.services.order_refund`` (called outside any transaction, as payments requires).
- Status changes go through state.py (compare-and-set plus a history row).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from weloop.bookings import selectors
from weloop.bookings.calculations import Shift, cancellation_split, parse_time, slot_count, validate_shifts
from weloop.bookings.enums import BookingStatus, LeadStatus, PaymentMode, ReservationStatus, ResourceKind
from weloop.bookings.errors import (
    BookingNotChangeable,
    InvalidLead,
    InvalidReservation,
    InvalidResource,
    InvalidSchedule,
    InvalidService,
    NotEnoughStock,
    SlotFull,
)
from weloop.bookings.models import (
    Booking,
    BookingChange,
    Lead,
    Reservation,
    Resource,
    ScheduleException,
    ScheduleRule,
    Service,
    ServiceStore,
)
from weloop.bookings.state import BOOKING, LEAD, RESERVATION
from weloop.catalog import services as catalog
from weloop.catalog.errors import ProductNameTaken
from weloop.catalog.models import Sku
from weloop.catalog.selectors import sku_price_at
from weloop.catalog.services import SkuInput, SkuPatch
from weloop.core import clock
from weloop.core.errors import InvalidTransition, NotFound, WeloopError
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import HoldStatus, PoolKind
from weloop.inventory.errors import HoldNotActive, InsufficientCapacity
from weloop.inventory.models import CapacityPool, Hold, Location
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.enums import FulfilmentType, OrderStatus
from weloop.orders.models import Order
from weloop.orders.services.claimed import HeldLine, new_order_no, order_place_for_hold
from weloop.stores.models import Store
from weloop.tenants.models import Merchant, StaffMember

logger = logging.getLogger(__name__)

BOOKING_CHANNEL = "booking"
RESERVE_CHANNEL = "reserve"
# A prepaid booking's slots outlive its order's payment window by this much (see handlers.py).
HOLD_GRACE = timedelta(minutes=10)


def remind_hours() -> int:
    return int(getattr(settings, "WELOOP_BOOKING_REMIND_HOURS", 24))


def reservation_hours() -> int:
    return int(getattr(settings, "WELOOP_RESERVATION_HOURS", 24))


# --- services --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInput:
    name: str
    duration_minutes: int
    price_fen: int
    payment_mode: str
    resource_kind: str
    deposit_fen: int = 0
    free_cancel_hours: int = 24
    late_cancel_fee_fen: int = 0
    is_consultation: bool = False
    description: str = ""
    is_active: bool = True


def _clean_service(data: ServiceInput) -> ServiceInput:
    name = " ".join(str(data.name or "").split())
    if not name or len(name) > 80:
        raise InvalidService("A service name is 1 to 80 characters.", extra={"field": "name"})
    d = data.duration_minutes
    if isinstance(d, bool) or not isinstance(d, int) or not 5 <= d <= 24 * 60:
        raise InvalidService("A duration is 5 to 1440 minutes.", extra={"field": "duration_minutes"})
    price = require_fen(data.price_fen, field="price_fen")
    deposit = require_fen(data.deposit_fen, field="deposit_fen")
    fee = require_fen(data.late_cancel_fee_fen, field="late_cancel_fee_fen")
    if data.payment_mode not in PaymentMode.values:
        raise InvalidService(extra={"field": "payment_mode", "value": str(data.payment_mode)})
    if data.resource_kind not in ResourceKind.values:
        raise InvalidService(extra={"field": "resource_kind", "value": str(data.resource_kind)})
    if data.payment_mode == PaymentMode.FULL and price == 0:
        raise InvalidService("A service paid in full has a price.", extra={"field": "price_fen"})
    if data.payment_mode == PaymentMode.DEPOSIT and not 0 < deposit <= price:
        raise InvalidService("A deposit is more than 0 and at most the price.", extra={"field": "deposit_fen"})
    if data.payment_mode != PaymentMode.DEPOSIT:
        deposit = 0
    if data.is_consultation and data.payment_mode != PaymentMode.AT_STORE:
        raise InvalidService("A consultation is booked without paying.", extra={"field": "payment_mode"})
    hours = data.free_cancel_hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= 24 * 30:
        raise InvalidService("Free cancellation is 0 to 720 hours before.", extra={"field": "free_cancel_hours"})
    return ServiceInput(
        name=name,
        duration_minutes=d,
        price_fen=price,
        payment_mode=data.payment_mode,
        resource_kind=data.resource_kind,
        deposit_fen=deposit,
        free_cancel_hours=hours,
        late_cancel_fee_fen=fee,
        is_consultation=bool(data.is_consultation),
        description=str(data.description or "").strip()[:500],
        is_active=bool(data.is_active),
    )


def _stores_of(merchant: Merchant, stores: Sequence[Store]) -> list[Store]:
    if not stores:
        raise InvalidService("Choose at least one store.", extra={"field": "stores"})
    for store in stores:
        if store.merchant_id != merchant.pk:
            raise NotFound("No such store.", extra={"what": "store"})
    return list({s.pk: s for s in stores}.values())


def _service_sku(merchant: Merchant, service: Service, actor: str) -> None:
    """Paid services sell through a SKU of a draft product of kind ``service``; keep its price."""
    if service.prepay_fen == 0 and service.sku_id is None:
        return
    if service.sku_id is not None:
        catalog.sku_update(
            merchant=merchant,
            sku_id=service.sku.public_id,  # type: ignore[union-attr]
            patch=SkuPatch(price_fen=service.price_fen),
            actor=actor,
        )
        return
    try:
        with transaction.atomic():
            product = catalog.service_product_create(merchant=merchant, name=service.name, actor=actor)
    except ProductNameTaken:
        product = catalog.service_product_create(
            merchant=merchant, name=f"{service.name} ({service.public_id})", actor=actor
        )
    service.sku = catalog.sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(code=f"SVC-{service.public_id[4:]}", price_fen=service.price_fen),
        actor=actor,
    )
    Service.objects.filter(pk=service.pk).update(sku=service.sku)


@transaction.atomic
def service_create(*, merchant: Merchant, data: ServiceInput, stores: Sequence[Store], actor: str) -> Service:
    """Create a bookable service offered in ``stores``. Raises InvalidService, money.invalid_amount."""
    clean = _clean_service(data)
    stores = _stores_of(merchant, stores)
    service = Service(merchant=merchant, **clean.__dict__)
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as exc:
        raise InvalidService("A service with this name exists.", extra={"field": "name"}) from exc
    ServiceStore.objects.bulk_create([ServiceStore(merchant=merchant, service=service, store=s) for s in stores])
    _service_sku(merchant, service, actor)
    return service


@transaction.atomic
def service_update(
    *, merchant: Merchant, service: Service, data: ServiceInput, stores: Sequence[Store], actor: str
) -> Service:
    """Change a service; bookings already made keep their price, payment and window."""
    clean = _clean_service(data)
    stores = _stores_of(merchant, stores)
    locked = selectors.service_get(merchant=merchant, public_id=service.public_id, lock=True)
    for key, value in clean.__dict__.items():
        setattr(locked, key, value)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise InvalidService("A service with this name exists.", extra={"field": "name"}) from exc
    ServiceStore.objects.filter(service=locked).exclude(store__in=stores).delete()
    have = set(ServiceStore.objects.filter(service=locked).values_list("store_id", flat=True))
    ServiceStore.objects.bulk_create(
        [ServiceStore(merchant=merchant, service=locked, store=s) for s in stores if s.pk not in have]
    )
    _service_sku(merchant, locked, actor)
    return locked


# --- resources and schedules -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceInput:
    store: Store
    kind: str
    name: str
    capacity: int = 1
    slot_minutes: int = 30
    is_active: bool = True


def _clean_resource(merchant: Merchant, data: ResourceInput) -> dict[str, Any]:
    if data.store is None or data.store.merchant_id != merchant.pk:
        raise NotFound("No such store.", extra={"what": "store"})
    name = " ".join(str(data.name or "").split())
    if not name or len(name) > 80:
        raise InvalidResource("A resource name is 1 to 80 characters.", extra={"field": "name"})
    if data.kind not in ResourceKind.values:
        raise InvalidResource(extra={"field": "kind", "value": str(data.kind)})
    for field, value, low, high in (("capacity", data.capacity, 1, 1000), ("slot_minutes", data.slot_minutes, 5, 240)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidResource(f"{field} is {low} to {high}.", extra={"field": field})
    return {
        "store": data.store,
        "kind": data.kind,
        "name": name,
        "capacity": data.capacity,
        "slot_minutes": data.slot_minutes,
        "is_active": bool(data.is_active),
    }


@transaction.atomic
def resource_create(
    *, merchant: Merchant, data: ResourceInput, shifts: Sequence[Shift] | None = None, actor: str = ""
) -> Resource:
    """Create a staff member, room or table of a store, with its weekly shifts (all or nothing)."""
    resource = Resource(merchant=merchant, **_clean_resource(merchant, data))
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError as exc:
        raise InvalidResource("This store has a resource with this name.", extra={"field": "name"}) from exc
    if shifts:
        resource_set_schedule(merchant=merchant, resource=resource, shifts=shifts)
    return resource


@transaction.atomic
def resource_update(*, merchant: Merchant, resource: Resource, data: ResourceInput, actor: str = "") -> Resource:
    """Change a resource. A new capacity applies to its future slots already booked too, never
    below what they hold (inventory.below_committed); slot length changes only without future bookings."""
    fields = _clean_resource(merchant, data)
    locked = selectors.resource_get(merchant=merchant, public_id=resource.public_id, lock=True)
    future = selectors.resource_has_future_bookings(locked)
    if future and (fields["slot_minutes"] != locked.slot_minutes or fields["store"].pk != locked.store_id):
        raise InvalidResource(
            "The slot length and the store cannot change while future bookings exist.", extra={"field": "slot_minutes"}
        )
    delta = fields["capacity"] - locked.capacity
    for key, value in fields.items():
        setattr(locked, key, value)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise InvalidResource("This store has a resource with this name.", extra={"field": "name"}) from exc
    if delta:
        for pool in selectors.future_slot_pools(locked):
            inventory.capacity_adjust(
                merchant=merchant, pool=pool, delta=delta, reason="resource capacity changed", actor=actor
            )
    return locked


def shifts_from(rows: Sequence[tuple[int, str | time, str | time]]) -> list[Shift]:
    """Shifts from (weekday, "HH:MM", "HH:MM") rows; raises InvalidSchedule for a bad time."""
    return [
        Shift(int(w), parse_time(s, field=f"shifts[{i}].starts"), parse_time(e, field=f"shifts[{i}].ends"))
        for i, (w, s, e) in enumerate(rows)
    ]


@transaction.atomic
def resource_set_schedule(*, merchant: Merchant, resource: Resource, shifts: Sequence[Shift]) -> list[ScheduleRule]:
    """Replace the resource's week. Overlapping shifts raise ScheduleOverlap and change nothing.
    Bookings already made stay (the slots they hold remain theirs)."""
    if resource.merchant_id != merchant.pk:
        raise NotFound("No such resource.", extra={"what": "resource"})
    ordered = validate_shifts(shifts)
    ScheduleRule.objects.filter(resource=resource).delete()
    return ScheduleRule.objects.bulk_create(
        [
            ScheduleRule(merchant=merchant, resource=resource, weekday=s.weekday, starts=s.starts, ends=s.ends)
            for s in ordered
        ]
    )


@transaction.atomic
def resource_set_exception(
    *,
    merchant: Merchant,
    resource: Resource,
    day: date,
    is_off: bool = True,
    starts: str | time | None = None,
    ends: str | time | None = None,
    note: str = "",
) -> ScheduleException:
    """A day off, or special hours that day (replacing an earlier exception of that day)."""
    if resource.merchant_id != merchant.pk:
        raise NotFound("No such resource.", extra={"what": "resource"})
    s = e = None
    if not is_off:
        if starts in (None, "") or ends in (None, ""):
            raise InvalidSchedule("Special hours need a start and an end.", extra={"field": "starts"})
        s, e = parse_time(starts, field="starts"), parse_time(ends, field="ends")  # type: ignore[arg-type]
        validate_shifts([Shift(day.weekday(), s, e)])
    exception, _ = ScheduleException.objects.update_or_create(
        merchant=merchant,
        resource=resource,
        date=day,
        defaults={"is_off": bool(is_off), "starts": s, "ends": e, "note": str(note or "")[:100]},
    )
    return exception


@transaction.atomic
def resource_clear_exception(*, merchant: Merchant, resource: Resource, day: date) -> int:
    return ScheduleException.objects.for_merchant(merchant).filter(resource=resource, date=day).delete()[0]


# --- bookings: slots ---------------------------------------------------------------------------------


def _slot_pools(merchant: Merchant, resource: Resource, starts_at: datetime, count: int) -> list[CapacityPool]:
    """The pools of ``count`` slots from ``starts_at``, created with the resource's capacity if new."""
    location = inventory.location_for_store(merchant=merchant, store=resource.store)
    pools = []
    for i in range(count):
        subject = selectors.slot_subject(resource, starts_at + timedelta(minutes=i * resource.slot_minutes))
        pool, _ = inventory.capacity_pool_get_or_create(
            merchant=merchant,
            kind=PoolKind.TIME_SLOT,
            subject=subject,
            location=location,
            initial_capacity=resource.capacity,
            reason="time slot opened",
        )
        pools.append(pool)
    return pools


def _lock(pools: Sequence[CapacityPool]) -> None:
    """Lock pools in primary-key order up front (a reschedule touches two sets: no deadlock)."""
    list(CapacityPool.objects.select_for_update().filter(pk__in=[p.pk for p in pools]).order_by("pk"))


def _hold_slots(
    merchant: Merchant, booking: Booking, pools: Sequence[CapacityPool], *, expires_at: datetime, actor: str
) -> list[Hold]:
    if not pools:
        return []
    try:
        return inventory.capacity_hold(
            merchant=merchant,
            lines=[(p, 1) for p in pools],
            expires_at=expires_at,
            reference=booking.public_id,
            actor=actor,
            reason="booking",
        )
    except InsufficientCapacity as exc:
        raise SlotFull(
            extra={"starts_at": booking.starts_at.isoformat(), "resource": booking.resource.public_id}
        ) from exc


def _current_pools(merchant: Merchant, booking: Booking) -> list[CapacityPool]:
    subjects = selectors.booking_slot_subjects(booking)
    return list(
        CapacityPool.objects.for_merchant(merchant).filter(kind=PoolKind.TIME_SLOT, subject__in=subjects).order_by("pk")
    )


def _free_slots(merchant: Merchant, booking: Booking, pools: Sequence[CapacityPool], *, actor: str, why: str) -> None:
    """Give the booking's units of ``pools`` back: held ones are released, confirmed ones returned."""
    if not pools:
        return
    holds = list(
        Hold.objects.for_merchant(merchant).filter(reference=booking.public_id, pool__in=pools, status=HoldStatus.HELD)
    )
    inventory.hold_release(merchant=merchant, holds=holds, reason=why, actor=actor)
    released = {h.pool_id for h in holds}
    confirmed = set(
        Hold.objects.for_merchant(merchant)
        .filter(reference=booking.public_id, pool__in=pools, status=HoldStatus.CONFIRMED)
        .values_list("pool_id", flat=True)
    )
    for pool in pools:
        if pool.pk not in released and pool.pk in confirmed:
            inventory.capacity_return(
                merchant=merchant, pool=pool, quantity=1, reason=why, reference=booking.public_id, actor=actor
            )


# --- bookings: lifecycle ------------------------------------------------------------------------------


def booking_payload(booking: Booking, **extra: Any) -> dict[str, Any]:
    """What bookings.* events carry (the names docs/notifications.md and docs/reviews.md expect)."""
    return {
        "booking_id": booking.public_id,
        "member_id": booking.member.public_id,
        "openid": booking.member.openid,
        "service_id": booking.service.public_id,
        "service_name": booking.service.name,
        "store_id": booking.store.public_id,
        "store_name": booking.store.name,
        "resource_id": booking.resource.public_id,
        "starts_at": timezone.localtime(booking.starts_at).isoformat(),
        "ends_at": timezone.localtime(booking.ends_at).isoformat(),
        "status": booking.status,
        "order_no": booking.order_no,
        **extra,
    }


def _locked_booking(merchant: Merchant, booking: Booking) -> Booking:
    return selectors.booking_get(merchant=merchant, public_id=booking.public_id, lock=True)


def booking_create(
    *,
    merchant: Merchant,
    member: Member,
    service: Service,
    resource: Resource,
    starts_at: datetime,
    actor: str,
    contact_name: str = "",
    contact_phone: str = "",
    note: str = "",
    interest: str = "",
) -> Booking:
    """Book ``service`` with ``resource`` at ``starts_at``: hold its slots, all or nothing.

    Paid online (full or deposit): the booking is ``held`` with a ``pending_payment`` order
    (``order_no``) to pay within the payment window; paying confirms it. Paid at the store: it is
    ``confirmed`` at once (and a consultation opens a Lead). Raises InvalidSlot,
    OutsideOpeningHours, SlotInPast, SlotFull (``bookings.slot_full``), InvalidService; writes
    nothing when it raises.
    """
    if member.merchant_id != merchant.pk:
        raise NotFound("No such member.", extra={"what": "member"})
    starts_at = selectors.check_bookable(merchant=merchant, service=service, resource=resource, starts_at=starts_at)
    count = slot_count(service.duration_minutes, resource.slot_minutes)
    now = clock.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _book(
                    merchant,
                    member,
                    service,
                    resource,
                    starts_at,
                    count,
                    now,
                    actor,
                    contact_name,
                    contact_phone,
                    note,
                    interest,
                )
        except IntegrityError:  # an order number drawn twice: draw again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _book(
    merchant: Merchant,
    member: Member,
    service: Service,
    resource: Resource,
    starts_at: datetime,
    count: int,
    now: datetime,
    actor: str,
    contact_name: str,
    contact_phone: str,
    note: str,
    interest: str,
) -> Booking:
    prepay = service.prepay_fen
    booking = Booking(
        merchant=merchant,
        service=service,
        resource=resource,
        store=resource.store,
        member=member,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        payment_mode=service.payment_mode,
        price_fen=service.price_fen,
        prepay_fen=prepay,
        contact_name=str(contact_name or "").strip()[:40],
        contact_phone=str(contact_phone or "").strip()[:32],
        note=str(note or "").strip()[:200],
        created_by=actor[:150],
        created_at=now,
    )
    pools = _slot_pools(merchant, resource, starts_at, count)
    if prepay:
        order_no = new_order_no()
        window = orders.payment_window()
        booking.order_no = order_no
        booking.hold_expires_at = now + window + HOLD_GRACE
        _hold_slots(merchant, booking, pools, expires_at=booking.hold_expires_at, actor=actor)
        if service.sku_id is None:
            raise InvalidService("This service has no price to pay.", extra={"field": "payment_mode"})
        order_place_for_hold(
            merchant=merchant,
            member=member,
            order_no=order_no,
            line=HeldLine(sku=service.sku, quantity=1, unit_price_fen=prepay, hold_id=""),  # type: ignore[arg-type]
            fulfilment=orders.Fulfilment(type=FulfilmentType.IN_STORE, store=resource.store),
            expires_at=now + window,
            actor=actor,
            channel=BOOKING_CHANNEL,
        )
        booking.save()
        return booking
    holds = _hold_slots(merchant, booking, pools, expires_at=now + timedelta(minutes=5), actor=actor)
    inventory.hold_confirm(merchant=merchant, holds=holds, actor=actor, reason="booked, pay at the store")
    booking.status = BookingStatus.CONFIRMED
    booking.confirmed_at = now
    booking.save()
    if service.is_consultation:
        lead_create(
            merchant=merchant,
            name=booking.contact_name or member.nickname or member.public_id,
            phone=booking.contact_phone or member.phone,
            member=member,
            store=resource.store,
            booking=booking,
            interest=interest or note,
            actor=actor,
        )
    publish(merchant=merchant, name="bookings.booking_confirmed", payload=booking_payload(booking))
    return booking


def booking_confirm_paid(*, merchant: Merchant, order_no: str, actor: str = "system:payment") -> Booking | None:
    """The booking's order was paid: confirm its slots and the booking (idempotent).

    If the slots lapsed meanwhile they are held again; if they were taken, the booking expires and
    the order is refunded in full (returns the booking; the caller schedules the refund).
    """
    with transaction.atomic():
        booking = Booking.objects.for_merchant(merchant).select_for_update().filter(order_no=order_no).first()
        if booking is None or booking.status != BookingStatus.HELD:
            return booking
        pools = _current_pools(merchant, booking)
        _lock(pools)
        holds = list(Hold.objects.for_merchant(merchant).filter(reference=booking.public_id, status=HoldStatus.HELD))
        try:
            if len(holds) != len(pools):
                raise HoldNotActive(extra={"booking": booking.public_id})
            inventory.hold_confirm(merchant=merchant, holds=holds, actor=actor, reason=f"order {order_no} paid")
        except HoldNotActive:
            missing = [p for p in pools if p.pk not in {h.pool_id for h in holds}]
            try:
                with transaction.atomic():
                    fresh = _hold_slots(merchant, booking, missing, expires_at=clock.now() + HOLD_GRACE, actor=actor)
                    inventory.hold_confirm(merchant=merchant, holds=holds + fresh, actor=actor, reason="paid late")
            except SlotFull:
                inventory.hold_release(merchant=merchant, holds=holds, reason="slot taken before payment", actor=actor)
                BOOKING.transition(booking, BookingStatus.EXPIRED, actor=actor, reason="paid after the slot was taken")
                transaction.on_commit(lambda: _refund_later(merchant.pk, booking.public_id))
                return booking
        BOOKING.transition(
            booking,
            BookingStatus.CONFIRMED,
            actor=actor,
            reason=f"order {order_no} paid",
            extra_updates={"confirmed_at": clock.now()},
        )
        publish(merchant=merchant, name="bookings.booking_confirmed", payload=booking_payload(booking))
        return booking


def _refund_later(merchant_id: int, booking_id: str) -> None:
    from weloop.bookings.tasks import booking_refund_task

    booking_refund_task(merchant_id, booking_id)


def booking_order_closed(*, merchant: Merchant, order_no: str, to: str, actor: str = "system:order") -> Booking | None:
    """The booking's order expired or was cancelled unpaid: the booking lapses, its slots go back."""
    with transaction.atomic():
        booking = Booking.objects.for_merchant(merchant).select_for_update().filter(order_no=order_no).first()
        if booking is None or booking.status != BookingStatus.HELD:
            return booking
        _free_slots(merchant, booking, _current_pools(merchant, booking), actor=actor, why=f"order {to}")
        status = BookingStatus.EXPIRED if to == OrderStatus.EXPIRED else BookingStatus.CANCELLED
        extra = {"cancelled_at": clock.now()} if status == BookingStatus.CANCELLED else {}
        BOOKING.transition(booking, status, actor=actor, reason=f"order {to}", extra_updates=extra)
        return booking


@transaction.atomic
def booking_check_in(*, merchant: Merchant, booking: Booking, actor: str) -> Booking:
    """The customer arrived: confirmed -> checked_in."""
    locked = _locked_booking(merchant, booking)
    BOOKING.transition(
        locked, BookingStatus.CHECKED_IN, actor=actor, reason="arrived", extra_updates={"checked_in_at": clock.now()}
    )
    return locked


@transaction.atomic
def booking_complete(*, merchant: Merchant, booking: Booking, actor: str) -> Booking:
    """The service was given: (confirmed ->) checked_in -> completed; its paid order completes too.
    Emits bookings.booking_completed (reviews: the attended booking becomes reviewable)."""
    locked = _locked_booking(merchant, booking)
    now = clock.now()
    if locked.status == BookingStatus.CONFIRMED:
        BOOKING.transition(
            locked, BookingStatus.CHECKED_IN, actor=actor, reason="arrived", extra_updates={"checked_in_at": now}
        )
    BOOKING.transition(
        locked, BookingStatus.COMPLETED, actor=actor, reason="served", extra_updates={"finished_at": now}
    )
    if locked.order_no:
        order = Order.objects.for_merchant(merchant).filter(order_no=locked.order_no).first()
        if order is not None and order.status == OrderStatus.PAID:
            orders.order_complete(merchant=merchant, order=order, actor=actor)
    lead = Lead.objects.for_merchant(merchant).filter(booking=locked).first()
    if lead is not None and LEAD.can(lead.status, LeadStatus.VISITED):
        LEAD.transition(
            lead, LeadStatus.VISITED, actor=actor, reason="consultation attended", extra_updates={"updated_at": now}
        )
    publish(merchant=merchant, name="bookings.booking_completed", payload=booking_payload(locked))
    return locked


@transaction.atomic
def booking_no_show(*, merchant: Merchant, booking: Booking, actor: str) -> Booking:
    """The customer did not come: confirmed -> no_show, once the start has passed. What was paid is kept."""
    locked = _locked_booking(merchant, booking)
    if clock.now() < locked.starts_at:
        raise BookingNotChangeable(
            "A booking is a no-show only after its start.", extra={"starts_at": locked.starts_at.isoformat()}
        )
    BOOKING.transition(
        locked, BookingStatus.NO_SHOW, actor=actor, reason="did not come", extra_updates={"finished_at": clock.now()}
    )
    return locked


@dataclass(frozen=True)
class CancelQuote:
    paid_fen: int
    fee_fen: int
    refund_fen: int
    free: bool


def booking_cancel_quote(*, merchant: Merchant, booking: Booking, waive_fee: bool = False) -> CancelQuote:
    """What cancelling now would keep and give back (the policy of the service, fixed on the booking)."""
    paid = 0
    if booking.order_no and booking.status != BookingStatus.HELD:
        order = Order.objects.for_merchant(merchant).filter(order_no=booking.order_no).first()
        if order is not None:
            paid = order.refundable_fen if order.status in _REFUNDABLE else 0
    deadline = booking.starts_at - timedelta(hours=booking.service.free_cancel_hours)
    free = waive_fee or clock.now() <= deadline
    fee = booking.service.late_cancel_fee_fen
    if booking.payment_mode == PaymentMode.DEPOSIT and fee == 0:
        fee = booking.prepay_fen  # a late cancellation keeps the deposit unless a fee says otherwise
    kept, refund = cancellation_split(paid_fen=paid, fee_fen=fee, free=free)
    return CancelQuote(paid_fen=paid, fee_fen=kept, refund_fen=refund, free=free)


def booking_cancel(
    *, merchant: Merchant, booking: Booking, actor: str, waive_fee: bool = False, reason: str = ""
) -> Booking:
    """Cancel a held or confirmed booking; call outside a transaction (it may refund).

    Held: its order is cancelled and the slots released. Confirmed: the slots go back on sale, the
    policy decides the refund (free until ``free_cancel_hours`` before the start; later the fee or
    the deposit is kept; staff may waive it), and the refund goes through orders' refund service.
    A refund refused by payments is recorded on the booking (``refund_error``).
    """
    booking = selectors.booking_get(merchant=merchant, public_id=booking.public_id)
    if booking.status == BookingStatus.HELD and booking.order_no:
        order = Order.objects.for_merchant(merchant).filter(order_no=booking.order_no).first()
        if order is not None and order.status == OrderStatus.PENDING_PAYMENT:
            # paid meanwhile: refused below until the payment lands, then cancelled as a confirmed booking
            with contextlib.suppress(InvalidTransition):
                orders.order_cancel(merchant=merchant, order=order, actor=actor, reason="booking cancelled")
    with transaction.atomic():
        locked = _locked_booking(merchant, booking)
        if locked.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            BOOKING.transition(locked, BookingStatus.CANCELLED, actor=actor)  # raises InvalidTransition
        if locked.status == BookingStatus.HELD and locked.order_no:
            order = Order.objects.for_merchant(merchant).filter(order_no=locked.order_no).first()
            if order is not None and order.status not in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
                raise BookingNotChangeable("The payment of this booking is being processed: try again in a minute.")
        quote = booking_cancel_quote(merchant=merchant, booking=locked, waive_fee=waive_fee)
        _free_slots(merchant, locked, _current_pools(merchant, locked), actor=actor, why="booking cancelled")
        BOOKING.transition(
            locked,
            BookingStatus.CANCELLED,
            actor=actor,
            reason=reason or "cancelled",
            extra_updates={"cancelled_at": clock.now(), "fee_fen": quote.fee_fen, "refund_fen": quote.refund_fen},
        )
        locked.fee_fen, locked.refund_fen = quote.fee_fen, quote.refund_fen
        publish(
            merchant=merchant,
            name="bookings.booking_cancelled",
            payload=booking_payload(locked, fee_fen=quote.fee_fen, refund_fen=quote.refund_fen),
        )
    if quote.refund_fen:
        _refund(merchant, locked, quote.refund_fen, actor)
    return selectors.booking_get(merchant=merchant, public_id=locked.public_id)


def _refund(merchant: Merchant, booking: Booking, amount: int, actor: str) -> None:
    order = Order.objects.for_merchant(merchant).filter(order_no=booking.order_no).first()
    if order is None:
        return
    try:
        refund = orders.order_refund(
            merchant=merchant, order=order, amount_fen=amount, reason=f"booking:{booking.public_id}", actor=actor
        )
        Booking.objects.filter(pk=booking.pk).update(refund_no=refund.out_refund_no, refund_error="")
    except WeloopError as exc:
        logger.warning("refund of booking %s refused: %s", booking.public_id, exc.code)
        Booking.objects.filter(pk=booking.pk).update(refund_error=f"{exc.code}: {exc.detail}"[:200])


def booking_refund_in_full(*, merchant: Merchant, booking_id: str) -> None:
    """Refund what the order of a booking that could not be kept paid (slot taken before payment)."""
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    order = Order.objects.for_merchant(merchant).filter(order_no=booking.order_no).first()
    if order is None or order.status not in _REFUNDABLE or booking.refund_no:
        return
    Booking.objects.filter(pk=booking.pk).update(refund_fen=order.refundable_fen)
    _refund(merchant, booking, order.refundable_fen, "system:booking")


def booking_reschedule(
    *, merchant: Merchant, booking: Booking, starts_at: datetime, actor: str, resource: Resource | None = None
) -> Booking:
    """Move a held or confirmed booking to ``starts_at`` (and optionally another resource of the
    same store and kind), atomically: the new slots are taken first, then the old ones given back;
    if the new ones are full nothing changes (SlotFull). Emits bookings.booking_changed."""
    booking = selectors.booking_get(merchant=merchant, public_id=booking.public_id)
    target = resource or booking.resource
    if target.store_id != booking.store_id:
        raise InvalidResource("A booking moves within its store.", extra={"field": "resource"})
    starts_at = selectors.check_bookable(
        merchant=merchant, service=booking.service, resource=target, starts_at=starts_at
    )
    with transaction.atomic():
        locked = _locked_booking(merchant, booking)
        if locked.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise BookingNotChangeable(extra={"status": locked.status})
        if starts_at == locked.starts_at and target.pk == locked.resource_id:
            return locked
        old = _current_pools(merchant, locked)
        count = slot_count(locked.service.duration_minutes, target.slot_minutes)
        new = _slot_pools(merchant, target, starts_at, count)
        _lock([*old, *new])
        old_ids, new_ids = {p.pk for p in old}, {p.pk for p in new}
        moved = Booking(pk=locked.pk, public_id=locked.public_id, starts_at=starts_at, resource=target)
        expires = locked.hold_expires_at if locked.status == BookingStatus.HELD else clock.now() + timedelta(minutes=5)
        if expires is None or expires <= clock.now():
            expires = clock.now() + timedelta(minutes=5)
        holds = _hold_slots(merchant, moved, [p for p in new if p.pk not in old_ids], expires_at=expires, actor=actor)
        if locked.status == BookingStatus.CONFIRMED:
            inventory.hold_confirm(merchant=merchant, holds=holds, actor=actor, reason="rescheduled")
        _free_slots(merchant, locked, [p for p in old if p.pk not in new_ids], actor=actor, why="rescheduled")
        before = timezone.localtime(locked.starts_at)
        after = timezone.localtime(starts_at)
        what = f"{before:%Y-%m-%d %H:%M} -> {after:%Y-%m-%d %H:%M}"
        if target.pk != locked.resource_id:
            what += f", {locked.resource.name} -> {target.name}"
        change = BookingChange.objects.create(
            merchant=merchant,
            booking=locked,
            what=what,
            from_starts_at=locked.starts_at,
            to_starts_at=starts_at,
            from_resource=locked.resource.public_id,
            to_resource=target.public_id,
            actor=actor[:150],
        )
        Booking.objects.filter(pk=locked.pk).update(
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=locked.service.duration_minutes),
            resource=target,
            reminded_at=None,
        )
        locked.refresh_from_db()
        publish(
            merchant=merchant,
            name="bookings.booking_changed",
            payload=booking_payload(locked, change_id=change.public_id, change=what),
        )
        return locked


def bookings_remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish bookings.booking_reminder once per confirmed booking starting within the remind window."""
    now = now or clock.now()
    due = list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=remind_hours()),
        ).select_related("merchant", "member", "service", "store", "resource")[:limit]
    )
    sent = 0
    for booking in due:
        with transaction.atomic():
            # compare-and-set: two sweeps never remind twice
            if not Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            publish(merchant=booking.merchant, name="bookings.booking_reminder", payload=booking_payload(booking))
            sent += 1
    return sent


def bookings_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The backstop of the order events: held bookings whose order closed unpaid lapse."""
    now = now or clock.now()
    due = list(
        Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lte=now).select_related("merchant")[:limit]
    )
    expired = 0
    for booking in due:
        order = Order.objects.for_merchant(booking.merchant).filter(order_no=booking.order_no).first()
        if order is not None and order.status == OrderStatus.PENDING_PAYMENT:
            continue  # the order sweep closes it first; its event lapses the booking
        if order is not None and order.status not in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            continue  # paid: the payment event confirms it
        try:
            booking_order_closed(
                merchant=booking.merchant,
                order_no=booking.order_no,
                to=order.status if order else OrderStatus.EXPIRED,
                actor="system:expiry",
            )
            expired += 1
        except Exception:
            logger.exception("could not expire booking %s", booking.public_id)
    return expired


_REFUNDABLE = (
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
)


# --- leads ----------------------------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    merchant: Merchant,
    name: str,
    actor: str,
    phone: str = "",
    member: Member | None = None,
    store: Store | None = None,
    booking: Booking | None = None,
    interest: str = "",
    note: str = "",
) -> Lead:
    """A new prospect (from a consultation booking, or typed in by staff)."""
    name = " ".join(str(name or "").split())[:40]
    if not name:
        raise InvalidLead("A lead has a name.", extra={"field": "name"})
    for obj in (member, store, booking):
        if obj is not None and obj.merchant_id != merchant.pk:
            raise NotFound(extra={"what": type(obj).__name__.lower()})
    lead = Lead.objects.create(
        merchant=merchant,
        name=name,
        phone=str(phone or "").strip()[:32],
        member=member,
        store=store,
        booking=booking,
        interest=str(interest or "").strip()[:200],
        note=str(note or "").strip()[:500],
        owner=actor[:150],
    )
    publish(
        merchant=merchant,
        name="bookings.lead_created",
        payload={
            "lead_id": lead.public_id,
            "member_id": member.public_id if member else None,
            "store_id": store.public_id if store else None,
        },
    )
    return lead


@transaction.atomic
def lead_move(*, merchant: Merchant, lead: Lead, to: str, actor: str, order_no: str = "", note: str = "") -> Lead:
    """Move a lead along new -> contacted -> visited -> won / lost. Won names the order that followed."""
    locked = Lead.objects.for_merchant(merchant).select_for_update().filter(pk=lead.pk).first()
    if locked is None:
        raise NotFound(extra={"what": "lead"})
    updates: dict[str, Any] = {"updated_at": clock.now()}
    if note:
        updates["note"] = str(note).strip()[:500]
    if to == LeadStatus.WON:
        order_no = str(order_no or "").strip()
        if not order_no:
            raise InvalidLead("A won lead names the order that followed.", extra={"field": "order_no"})
        if not Order.objects.for_merchant(merchant).filter(order_no=order_no).exists():
            raise NotFound("No such order.", extra={"what": "order"})
        updates["order_no"] = order_no
    if to not in LeadStatus.values:
        raise InvalidLead(extra={"field": "status", "value": str(to)})
    LEAD.transition(locked, to, actor=actor, reason=note or to, extra_updates=updates)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def lead_link_order(*, merchant: Merchant, lead: Lead, order_no: str) -> Lead:
    """Link the order that followed without closing the lead."""
    if not Order.objects.for_merchant(merchant).filter(order_no=str(order_no).strip()).exists():
        raise NotFound("No such order.", extra={"what": "order"})
    Lead.objects.for_merchant(merchant).filter(pk=lead.pk).update(
        order_no=str(order_no).strip(), updated_at=clock.now()
    )
    lead.refresh_from_db()
    return lead


# --- reserve online, pay and pick up offline ------------------------------------------------------------


def _store_pool(merchant: Merchant, sku: Sku, store: Store) -> CapacityPool | None:
    location = Location.objects.for_merchant(merchant).filter(store=store).first()
    if location is None:
        return None
    return (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id), location=location)
        .first()
    )


def reservation_create(
    *, merchant: Merchant, member: Member, store: Store, sku: Sku, quantity: int, actor: str, hours: int | None = None
) -> Reservation:
    """Hold ``quantity`` of ``sku`` in ``store``'s stock until a deadline (``hours``, default
    WELOOP_RESERVATION_HOURS), to pay and collect there. The hold belongs to an Order
    (``pending_payment`` until the deadline, channel ``reserve``, fulfilment ``in_store``): the
    order sweep releases the units at the deadline. Raises NotEnoughStock, InvalidReservation."""
    for obj in (member, store, sku):
        if obj.merchant_id != merchant.pk:
            raise NotFound(extra={"what": type(obj).__name__.lower()})
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 99:
        raise InvalidReservation("Reserve 1 to 99 units.", extra={"field": "quantity"})
    hours = reservation_hours() if hours is None else hours
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 7:
        raise InvalidReservation("A reservation lasts 1 to 168 hours.", extra={"field": "hours"})
    if not sku.is_active or store.status != "active":
        raise InvalidReservation("This item cannot be reserved in this store.", extra={"field": "sku"})
    pool = _store_pool(merchant, sku, store)
    if pool is None:
        raise NotEnoughStock(extra={"sku": sku.public_id, "requested": quantity, "available": 0})
    price = sku_price_at(sku, store)
    now = clock.now()
    deadline = now + timedelta(hours=hours)
    for attempt in range(3):
        order_no = new_order_no()
        try:
            with transaction.atomic():
                try:
                    (hold,) = inventory.capacity_hold(
                        merchant=merchant,
                        lines=[(pool, quantity)],
                        expires_at=deadline + orders.HOLD_GRACE,
                        reference=order_no,
                        actor=actor,
                        reason="reserved for pickup",
                    )
                except InsufficientCapacity as exc:
                    raise NotEnoughStock(extra={**exc.extra, "sku": sku.public_id}) from exc
                order_place_for_hold(
                    merchant=merchant,
                    member=member,
                    order_no=order_no,
                    line=HeldLine(sku=sku, quantity=quantity, unit_price_fen=price, hold_id=hold.public_id),
                    fulfilment=orders.Fulfilment(type=FulfilmentType.IN_STORE, store=store),
                    expires_at=deadline,
                    actor=actor,
                    channel=RESERVE_CHANNEL,
                )
                reservation = Reservation.objects.create(
                    merchant=merchant,
                    member=member,
                    store=store,
                    sku=sku,
                    quantity=quantity,
                    order_no=order_no,
                    deadline=deadline,
                    created_at=now,
                )
                publish(
                    merchant=merchant, name="bookings.reservation_created", payload=reservation_payload(reservation)
                )
                return reservation
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def reservation_payload(r: Reservation) -> dict[str, Any]:
    return {
        "reservation_id": r.public_id,
        "member_id": r.member.public_id,
        "openid": r.member.openid,
        "store_id": r.store.public_id,
        "store_name": r.store.name,
        "sku_id": r.sku.public_id,
        "quantity": r.quantity,
        "order_no": r.order_no,
        "deadline": timezone.localtime(r.deadline).isoformat(),
        "status": r.status,
    }


def reservation_follow_order(
    *, merchant: Merchant, order_no: str, order_status: str, actor: str = "system:order"
) -> Reservation | None:
    """Keep the reservation in step with its order (paid, expired, cancelled); idempotent."""
    follows: dict[str, str] = {
        OrderStatus.PAID: ReservationStatus.PAID,
        OrderStatus.EXPIRED: ReservationStatus.EXPIRED,
        OrderStatus.CANCELLED: ReservationStatus.CANCELLED,
    }
    to = follows.get(order_status)
    with transaction.atomic():
        r = Reservation.objects.for_merchant(merchant).select_for_update().filter(order_no=order_no).first()
        if r is None or to is None or not RESERVATION.can(r.status, to):
            return r
        RESERVATION.transition(r, to, actor=actor, reason=f"order {order_status}")
        return r


def reservation_take_payment(
    *, merchant: Merchant, reservation: Reservation, method: str, staff: StaffMember
) -> Reservation:
    """The clerk took the money (offline cash or card): the order is paid at once, the units are sold."""
    order = Order.objects.for_merchant(merchant).get(order_no=reservation.order_no)
    orders.order_pay_at_counter(merchant=merchant, order=order, method=method, staff=staff)
    reservation_follow_order(
        merchant=merchant, order_no=order.order_no, order_status=OrderStatus.PAID, actor=f"staff:{staff.public_id}"
    )
    return selectors.reservation_get(merchant=merchant, public_id=reservation.public_id)


@transaction.atomic
def reservation_hand_over(*, merchant: Merchant, reservation: Reservation, staff: StaffMember) -> Reservation:
    """The goods were handed over: the paid order completes, the reservation is closed."""
    r = Reservation.objects.for_merchant(merchant).select_for_update().get(pk=reservation.pk)
    order = Order.objects.for_merchant(merchant).get(order_no=r.order_no)
    if r.status == ReservationStatus.RESERVED and order.status == OrderStatus.PAID:
        RESERVATION.transition(r, ReservationStatus.PAID, actor="system:order", reason="order paid")
    if r.status != ReservationStatus.PAID:
        raise BookingNotChangeable("Take the payment first.", extra={"status": r.status})
    actor = f"staff:{staff.public_id}"
    orders.order_complete(merchant=merchant, order=order, actor=actor)
    RESERVATION.transition(
        r,
        ReservationStatus.HANDED_OVER,
        actor=actor,
        reason="handed over",
        extra_updates={"handed_over_at": clock.now(), "handed_over_by": actor},
    )
    publish(merchant=merchant, name="bookings.reservation_handed_over", payload=reservation_payload(r))
    return r


def reservation_cancel(*, merchant: Merchant, reservation: Reservation, actor: str) -> Reservation:
    """Cancel an unpaid reservation: its order is cancelled, the units go back on sale."""
    order = Order.objects.for_merchant(merchant).get(order_no=reservation.order_no)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise BookingNotChangeable("Only a reservation not paid yet can be cancelled.", extra={"status": order.status})
    order = orders.order_cancel(merchant=merchant, order=order, actor=actor, reason="reservation cancelled")
    reservation_follow_order(merchant=merchant, order_no=order.order_no, order_status=order.status, actor=actor)
    return selectors.reservation_get(merchant=merchant, public_id=reservation.public_id)
