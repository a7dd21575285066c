"""Bookings (预约) in the H5: bookable services, a service's free slots by store and day, booking
one, my bookings with cancel (the policy and the refund shown first) and reschedule; a consultation
for big-ticket goods (a booking that opens a lead, nothing to pay); and goods reserved for pickup,
paid in the store (线上预约、线下付款提货).

Booking a service paid at the store confirms it at once; a service paid in full or by deposit goes
to the ordinary order pay page (``storefront:order_pay``) and the booking confirms when the order
is paid (``bookings.handlers``). Pages addressed by a service, booking, product or reservation
answer 404 for an id this merchant does not have before asking anyone to sign in, and 404 for
another member's booking or reservation after. Every write goes through ``weloop.bookings.services``;
a refusal (a full slot, outside opening hours, a booking that can no longer change) is shown on
the page with its HTTP status and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from weloop.bookings import selectors, services
from weloop.bookings.enums import BookingStatus, PaymentMode, ReservationStatus
from weloop.bookings.models import Booking, Reservation, Service
from weloop.catalog.selectors import product_get, sku_get
from weloop.core import clock
from weloop.core.errors import NotFound, WeloopError
from weloop.core.money import yuan_text
from weloop.members.models import Member
from weloop.orders.models import Order
from weloop.storefront import identity
from weloop.storefront.product_presenters import product_page
from weloop.storefront.shell import consumer_view, render_page
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import store_list_public
from weloop.tenants.models import Merchant

DAYS_AHEAD = 14  # the date picker offers today and the next 13 days
MAX_RESERVE = 20

# What a member reads for each refusal: what happened and what to do; nothing was booked.
_MESSAGES = {
    "bookings.slot_full": "This time slot is fully booked: nothing was booked. Choose another time.",
    "bookings.slot_in_past": "This time has already passed: choose a later one.",
    "bookings.outside_opening_hours": "The store is not open for the whole of this booking: choose another time.",
    "bookings.invalid_slot": "This time cannot be booked: choose one of the times shown.",
    "bookings.not_enough_stock": "The store does not have that many left: reserve fewer or choose another store.",
}


def _message(error: WeloopError) -> str:
    text = _MESSAGES.get(error.code)
    return gettext(text) if text else gettext(error.detail)


def _actor(member: Member) -> str:
    return f"member:{member.public_id}"


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(f"storefront:{name}", kwargs={"merchant_slug": request.merchant.slug, **kwargs})  # type: ignore[attr-defined]


def _known(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 for a service, booking, product or reservation this merchant does not have, before sign-in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        merchant = request.merchant  # type: ignore[attr-defined]
        if "service_id" in kwargs:
            selectors.service_get(merchant=merchant, public_id=kwargs["service_id"])
        if "booking_id" in kwargs:
            selectors.booking_get(merchant=merchant, public_id=kwargs["booking_id"])
        if "reservation_id" in kwargs:
            selectors.reservation_get(merchant=merchant, public_id=kwargs["reservation_id"])
        if "product_id" in kwargs:
            product_get(merchant=merchant, product_id=kwargs["product_id"])
        return view(request, *args, **kwargs)

    return wrapper


def _member_booking(merchant: Merchant, member: Member, booking_id: str) -> Booking:
    """One of the member's bookings; another member's is NotFound, exactly like a missing one."""
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    if booking.member_id != member.pk:
        raise NotFound("No such booking.", extra={"what": "booking"})
    return booking


def _member_reservation(merchant: Merchant, member: Member, reservation_id: str) -> Reservation:
    reservation = selectors.reservation_get(merchant=merchant, public_id=reservation_id)
    if reservation.member_id != member.pk:
        raise NotFound("No such reservation.", extra={"what": "reservation"})
    return reservation


def _bookable_service(merchant: Merchant, service_id: str) -> Service:
    service = selectors.service_get(merchant=merchant, public_id=service_id)
    if not service.is_active:
        raise NotFound("No such service.", extra={"what": "service"})
    return service


def _service_stores(merchant: Merchant, service: Service) -> list[Store]:
    ids = selectors.service_store_ids(service)
    return [s for s in store_list_public(merchant=merchant) if s.pk in ids]


def _days() -> list[date]:
    today = timezone.localdate(clock.now())
    return [today + timedelta(days=i) for i in range(DAYS_AHEAD)]


def _day(value: str, days: list[date]) -> date:
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        return days[0]
    return chosen if chosen in days else days[0]


@dataclass(frozen=True)
class ResourceSlots:
    resource: Any
    slots: list[selectors.Slot]


def _slot_columns(merchant: Merchant, service: Service, store: Store, day: date) -> list[ResourceSlots]:
    """The day's starts of ``service`` at ``store``, a row per resource (full ones shown disabled)."""
    columns: dict[int, ResourceSlots] = {}
    for slot in selectors.slots_for(merchant=merchant, service=service, store=store, day=day):
        columns.setdefault(slot.resource.pk, ResourceSlots(slot.resource, [])).slots.append(slot)
    return list(columns.values())


def _parse_start(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


# --- bookable services ------------------------------------------------------------------------------


@require_safe
@consumer_view
def service_list(request: HttpRequest) -> HttpResponse:
    """The bookable services, optionally of one store (``?store=``); consultations apart."""
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = list(store_list_public(merchant=merchant))
    store = next((s for s in stores if s.public_id == request.GET.get("store")), None)
    rows = list(
        selectors.services_at(merchant=merchant, store=store)
        if store is not None
        else selectors.service_list(merchant=merchant, active_only=True)
    )
    context = {
        "services": [s for s in rows if not s.is_consultation],
        "consultations": [s for s in rows if s.is_consultation],
        "stores": stores,
        "store": store,
    }
    return render_page(request, "storefront/booking_services.html", context, tab="home")


@require_safe
@consumer_view
@_known
def service_detail(request: HttpRequest, service_id: str) -> HttpResponse:
    """A service: choose a store and a day (the next 14), see the free starts per resource."""
    merchant = request.merchant  # type: ignore[attr-defined]
    service = _bookable_service(merchant, service_id)
    stores = _service_stores(merchant, service)
    store = next((s for s in stores if s.public_id == request.GET.get("store")), stores[0] if stores else None)
    days = _days()
    day = _day(request.GET.get("date", ""), days)
    context = {
        "service": service,
        "stores": stores,
        "store": store,
        "days": days,
        "day": day,
        "columns": _slot_columns(merchant, service, store, day) if store is not None else [],
    }
    return render_page(request, "storefront/booking_service.html", context, tab="home")


def _book_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render_page(request, "storefront/booking_book.html", context, tab="home")
    response.status_code = status
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@_known
@identity.member_required()
def service_book(request: HttpRequest, service_id: str) -> HttpResponse:
    """GET ``?resource=&start=``: confirm the chosen time (and leave a name and phone). POST: book.

    Paid at the store: confirmed at once, to the booking's page. Paid online: to the order's pay page."""
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    service = _bookable_service(merchant, service_id)
    data = request.POST if request.method == "POST" else request.GET
    back = _url(request, "booking_service", service_id=service.public_id)
    starts_at = _parse_start(data.get("start", ""))
    try:
        resource = selectors.resource_get(merchant=merchant, public_id=str(data.get("resource", ""))[:40])
    except NotFound:
        resource = None
    if resource is None or starts_at is None:
        messages.error(request, gettext("Choose one of the times shown."))
        return redirect(back)
    context: dict[str, Any] = {
        "service": service,
        "resource": resource,
        "store": resource.store,
        "starts_at": timezone.localtime(starts_at),
        "ends_at": timezone.localtime(starts_at + timedelta(minutes=service.duration_minutes)),
        "start_value": timezone.localtime(starts_at).strftime("%Y-%m-%dT%H:%M"),
        "contact_name": data.get("contact_name", ""),
        "contact_phone": data.get("contact_phone", "") or member.phone,
        "note": data.get("note", ""),
        "rest_fen": max(0, service.price_fen - service.prepay_fen),
        "back": f"{back}?store={resource.store.public_id}&date={timezone.localtime(starts_at):%Y-%m-%d}",
    }
    if request.method != "POST":
        return _book_page(request, context)
    try:
        booking = services.booking_create(
            merchant=merchant,
            member=member,
            service=service,
            resource=resource,
            starts_at=starts_at,
            actor=_actor(member),
            contact_name=str(data.get("contact_name", ""))[:40],
            contact_phone=str(data.get("contact_phone", ""))[:32],
            note=str(data.get("note", ""))[:200],
            interest=str(data.get("note", ""))[:200] if service.is_consultation else "",
        )
    except WeloopError as error:
        return _book_page(request, {**context, "error": _message(error), "error_code": error.code}, error.status)
    if booking.status == BookingStatus.HELD and booking.order_no:
        return redirect(_url(request, "order_pay", order_no=booking.order_no))
    if service.is_consultation:
        messages.success(request, gettext("Booked: we will call you to prepare the consultation."))
    else:
        messages.success(request, gettext("Booked and confirmed: pay at the store."))
    return redirect(_url(request, "booking_detail", booking_id=booking.public_id))


# --- my bookings and reservations ---------------------------------------------------------------------


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_bookings(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    now = clock.now()
    bookings = list(selectors.booking_list(merchant=merchant, member=member).order_by("-starts_at")[:100])
    active = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
    upcoming = [b for b in bookings if b.ends_at > now and b.status in active]
    context = {
        "upcoming": sorted(upcoming, key=lambda b: b.starts_at),
        "past": [b for b in bookings if b not in upcoming],
        "reservations": list(selectors.reservation_list(merchant=merchant, member=member)[:50]),
    }
    return render_page(request, "storefront/my_bookings.html", context, tab="me")


def _changeable(booking: Booking) -> bool:
    """The member may still cancel or move it: held or confirmed, and not started."""
    return booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED) and booking.starts_at > clock.now()


def _policy_deadline(booking: Booking) -> datetime:
    return timezone.localtime(booking.starts_at - timedelta(hours=booking.service.free_cancel_hours))


@never_cache
@require_safe
@consumer_view
@_known
@identity.member_required()
def booking_detail(request: HttpRequest, booking_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    booking = _member_booking(merchant, member, booking_id)
    context = {
        "booking": booking,
        "starts_at": timezone.localtime(booking.starts_at),
        "ends_at": timezone.localtime(booking.ends_at),
        "changeable": _changeable(booking),
        "free_until": _policy_deadline(booking),
        "pay_online": booking.payment_mode != PaymentMode.AT_STORE,
        "rest_fen": max(0, booking.price_fen - booking.prepay_fen),
    }
    return render_page(request, "storefront/booking_detail.html", context, tab="me")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@_known
@identity.member_required()
def booking_cancel(request: HttpRequest, booking_id: str) -> HttpResponse:
    """GET: what cancelling now keeps and gives back (the policy). POST: cancel."""
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    booking = _member_booking(merchant, member, booking_id)
    detail = _url(request, "booking_detail", booking_id=booking.public_id)
    if not _changeable(booking):
        messages.error(request, gettext("This booking can no longer be cancelled here: please call the store."))
        return redirect(detail)
    if request.method != "POST":
        quote = services.booking_cancel_quote(merchant=merchant, booking=booking)
        context = {
            "booking": booking,
            "quote": quote,
            "starts_at": timezone.localtime(booking.starts_at),
            "free_until": _policy_deadline(booking),
        }
        return render_page(request, "storefront/booking_cancel.html", context, tab="me")
    try:
        done = services.booking_cancel(merchant=merchant, booking=booking, actor=_actor(member), reason="member")
    except WeloopError as error:
        messages.error(request, _message(error))
        return redirect(detail)
    if done.refund_fen:
        refunded = gettext("Cancelled. ¥%(refund)s goes back to where you paid from.")
        messages.success(request, refunded % {"refund": yuan_text(done.refund_fen)})
    else:
        messages.success(request, gettext("Cancelled."))
    return redirect(detail)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@_known
@identity.member_required()
def booking_reschedule(request: HttpRequest, booking_id: str) -> HttpResponse:
    """GET ``?date=``: the free starts of the booking's service at its store. POST: move to one."""
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    booking = _member_booking(merchant, member, booking_id)
    detail = _url(request, "booking_detail", booking_id=booking.public_id)
    if not _changeable(booking):
        messages.error(request, gettext("This booking can no longer be moved here: please call the store."))
        return redirect(detail)
    days = _days()
    day = _day(request.GET.get("date") or f"{timezone.localtime(booking.starts_at):%Y-%m-%d}", days)
    context: dict[str, Any] = {
        "booking": booking,
        "starts_at": timezone.localtime(booking.starts_at),
        "days": days,
        "day": day,
    }
    status = 200
    if request.method == "POST":
        starts_at = _parse_start(request.POST.get("start", ""))
        try:
            resource = selectors.resource_get(merchant=merchant, public_id=str(request.POST.get("resource", ""))[:40])
            if starts_at is None:
                raise NotFound("No such time.", extra={"what": "slot"})
            services.booking_reschedule(
                merchant=merchant, booking=booking, starts_at=starts_at, actor=_actor(member), resource=resource
            )
        except NotFound:
            context["error"], status = gettext("Choose one of the times shown."), 400
        except WeloopError as error:
            context["error"], context["error_code"], status = _message(error), error.code, error.status
        else:
            messages.success(request, gettext("Moved: your booking has its new time."))
            return redirect(detail)
    context["columns"] = _slot_columns(merchant, booking.service, booking.store, day)
    response = render_page(request, "storefront/booking_reschedule.html", context, tab="me")
    response.status_code = status
    return response


# --- reserve goods, pay and collect in the store -------------------------------------------------------


def _reserve_page(merchant: Merchant, product_id: str, sku_id: str) -> Any:
    """The product page for the chosen SKU (its stock per store), or NotFound."""
    sku = sku_get(merchant=merchant, sku_id=str(sku_id or "")[:40])
    product = product_get(merchant=merchant, product_id=product_id)
    if sku.product_id != product.pk:
        raise NotFound("No such product.", extra={"what": "sku"})
    chosen = {i: str(sku.options.get(name, "")) for i, name in enumerate(product.option_names)}
    page = product_page(merchant=merchant, product_id=product_id, chosen=chosen)
    if page.chosen is None or page.chosen.sku.pk != sku.pk:
        raise NotFound("No such product.", extra={"what": "sku"})
    return page


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@_known
@identity.member_required()
def reserve(request: HttpRequest, product_id: str) -> HttpResponse:
    """``?sku=``: choose a store with stock and a quantity; POST holds them there until a deadline."""
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    data = request.POST if request.method == "POST" else request.GET
    page = _reserve_page(merchant, product_id, data.get("sku", ""))
    rows = [r for r in page.stores if r.units > 0 and r.store.status == StoreStatus.ACTIVE]
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "hours": services.reservation_hours(),
        "chosen_store": data.get("store", ""),
        "quantity": data.get("quantity", "1"),
        "max_quantity": MAX_RESERVE,
    }
    if request.method != "POST":
        return render_page(request, "storefront/reserve.html", context, tab="products")
    store = next((r.store for r in rows if r.store.public_id == data.get("store")), None)
    text = str(data.get("quantity", "")).strip()
    quantity = int(text) if text.isdigit() and len(text) <= 3 else 0
    error, code, status = "", "", 400
    if store is None:
        error = gettext("Choose a store that has it.")
    elif not 1 <= quantity <= MAX_RESERVE:
        error = gettext("Reserve 1 to %(n)s units.") % {"n": MAX_RESERVE}
    else:
        try:
            reservation = services.reservation_create(
                merchant=merchant,
                member=member,
                store=store,
                sku=page.chosen.sku,
                quantity=quantity,
                actor=_actor(member),
            )
        except WeloopError as exc:
            error, code, status = _message(exc), exc.code, exc.status
        else:
            messages.success(request, gettext("Reserved: pay and collect it at the store before the deadline."))
            return redirect(_url(request, "reservation_detail", reservation_id=reservation.public_id))
    response = render_page(request, "storefront/reserve.html", {**context, "error": error, "error_code": code})
    response.status_code = status
    return response


@never_cache
@require_safe
@consumer_view
@_known
@identity.member_required()
def reservation_detail(request: HttpRequest, reservation_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    reservation = _member_reservation(merchant, member, reservation_id)
    context = {
        "reservation": reservation,
        "deadline": timezone.localtime(reservation.deadline),
        "waiting": reservation.status == ReservationStatus.RESERVED and reservation.deadline > clock.now(),
        "order": Order.objects.for_merchant(merchant).filter(order_no=reservation.order_no).first(),
    }
    return render_page(request, "storefront/reservation_detail.html", context, tab="me")


@never_cache
@require_POST
@consumer_view
@_known
@identity.member_required()
def reservation_cancel(request: HttpRequest, reservation_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    reservation = _member_reservation(merchant, member, reservation_id)
    try:
        services.reservation_cancel(merchant=merchant, reservation=reservation, actor=_actor(member))
        messages.success(request, gettext("Reservation cancelled: the items are back on sale."))
    except WeloopError as error:
        messages.error(request, _message(error))
    return redirect(_url(request, "reservation_detail", reservation_id=reservation.public_id))
