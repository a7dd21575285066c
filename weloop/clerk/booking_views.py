"""Bookings and reservations at the counter, phone-sized.

- Today's bookings (or another day's, ``?date=``) at this person's stores, a block per resource in
  start order: check in, complete, no-show (``clerk.use``, store-scoped).
- Goods reserved online waiting in the store (线上预约、线下付款提货): take the money in cash or by
  card (``orders.order_pay_at_counter`` through ``bookings.reservation_take_payment``), or show a
  WeChat Native QR for the customer to scan, then hand the goods over (``orders.counter``).

A booking or reservation of another store is NotFound (404), exactly like a missing one; an action
refused in its state (a no-show before the start, handing over before payment) says so plainly and
changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from weloop.bookings import selectors, services
from weloop.bookings.enums import BookingStatus, ReservationStatus
from weloop.bookings.models import Booking, Reservation
from weloop.clerk.views import _frame
from weloop.core import clock
from weloop.core.errors import InvalidTransition, NotFound, WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.orders import services as orders
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order
from weloop.payments.enums import PaymentMethod
from weloop.payments.services import payment_native_params
from weloop.stores import selectors as store_selectors
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission

BOOKINGS_PERMISSION = "clerk.use"
COUNTER_PERMISSION = "orders.counter"


def _stores(staff: StaffMember, permission: str) -> list[Store]:
    stores = store_selectors.stores_editable_by(staff=staff).exclude(status=StoreStatus.CLOSED)
    return [s for s in stores if has_permission(staff, permission, store_id=s.pk)]


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, {**_frame(request), **context}, status=status)


def _actor(request: HttpRequest) -> str:
    return f"clerk:{request.user.get_username()}"


# --- today's bookings ------------------------------------------------------------------------------


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return timezone.localdate(clock.now())


def _own_booking(request: HttpRequest, booking_id: str) -> Booking:
    """A booking of one of this person's stores; NotFound otherwise (another store's is "missing")."""
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    booking = selectors.booking_get(merchant=merchant, public_id=booking_id)
    if not has_permission(staff, BOOKINGS_PERMISSION, store_id=booking.store_id):
        raise NotFound("No such booking.", extra={"what": "booking"})
    return booking


@require_safe
@staff_view(BOOKINGS_PERMISSION)
def bookings(request: HttpRequest) -> HttpResponse:
    """A store's day (``?store=``, ``?date=``; default: the first store, today): a block per resource."""
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff, BOOKINGS_PERMISSION)
    store = next((s for s in stores if s.public_id == request.GET.get("store")), stores[0] if stores else None)
    day = _day(request.GET.get("date", ""))
    columns: list[dict[str, Any]] = []
    if store is not None:
        rows = list(
            selectors.booking_list(merchant=merchant, store=store, day=day).exclude(
                status__in=[BookingStatus.CANCELLED, BookingStatus.EXPIRED]
            )
        )
        for resource in selectors.resource_list(merchant=merchant, store=store):
            mine = [b for b in rows if b.resource_id == resource.pk]
            if mine or resource.is_active:
                columns.append({"resource": resource, "bookings": mine})
    context = {
        "stores": stores,
        "store": store,
        "day": day,
        "today": timezone.localdate(clock.now()),
        "prev": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "columns": columns,
        "now": clock.now(),
    }
    return _page(request, "clerk/bookings.html", context)


_ACTIONS = {
    "check_in": services.booking_check_in,
    "complete": services.booking_complete,
    "no_show": services.booking_no_show,
}


def _booking_message(error: WeloopError, booking: Booking) -> str:
    if isinstance(error, InvalidTransition):
        return gettext("This booking is %(status)s: that cannot be done now. Nothing changed.") % {
            "status": booking.get_status_display()
        }
    return gettext(error.detail)


@require_POST
@staff_view(BOOKINGS_PERMISSION)
def booking_action(request: HttpRequest, booking_id: str) -> HttpResponse:
    """Check in, complete or mark a no-show; back to the booking's day."""
    merchant = request.merchant  # type: ignore[attr-defined]
    booking = _own_booking(request, booking_id)
    action = _ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    try:
        done = action(merchant=merchant, booking=booking, actor=_actor(request))
    except WeloopError as error:
        messages.error(request, _booking_message(error, booking))
    else:
        messages.success(
            request,
            gettext("%(service)s at %(time)s: %(status)s.")
            % {
                "service": done.service.name,
                "time": f"{timezone.localtime(done.starts_at):%H:%M}",
                "status": done.get_status_display(),
            },
        )
    local = timezone.localtime(booking.starts_at)
    return redirect(f"{reverse('clerk:bookings')}?store={booking.store.public_id}&date={local:%Y-%m-%d}")


# --- reservations: take the money, hand the goods over -----------------------------------------------


def _own_reservation(request: HttpRequest, reservation_id: str) -> Reservation:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    reservation = selectors.reservation_get(merchant=merchant, public_id=reservation_id)
    if not has_permission(staff, COUNTER_PERMISSION, store_id=reservation.store_id):
        raise NotFound("No such reservation.", extra={"what": "reservation"})
    return reservation


def _order(merchant: Any, reservation: Reservation) -> Order:
    return Order.objects.for_merchant(merchant).get(order_no=reservation.order_no)


@require_safe
@staff_view(COUNTER_PERMISSION)
def reservations(request: HttpRequest) -> HttpResponse:
    """Reservations waiting at this person's stores (to pay, or paid and to hand over); ``?q=`` finds
    one by its order number or reservation id."""
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff, COUNTER_PERMISSION)
    query = (request.GET.get("q") or "").strip()[:40]
    if query:
        found = (
            selectors.reservation_list(merchant=merchant, store_ids=[s.pk for s in stores] or [0])
            .filter(order_no=query)
            .first()
        ) or (
            selectors.reservation_list(merchant=merchant, store_ids=[s.pk for s in stores] or [0])
            .filter(public_id=query)
            .first()
        )
        if found is not None:
            return redirect("clerk:reservation", reservation_id=found.public_id)
        messages.error(request, gettext("No reservation with this number in your stores."))
    rows = list(
        selectors.reservation_list(merchant=merchant, store_ids=[s.pk for s in stores] or [0])
        .filter(status__in=[ReservationStatus.RESERVED, ReservationStatus.PAID], deadline__gt=clock.now())
        .order_by("deadline")[:100]
    ) + list(
        selectors.reservation_list(merchant=merchant, store_ids=[s.pk for s in stores] or [0], status="paid")
        .filter(deadline__lte=clock.now())
        .order_by("deadline")[:100]
    )
    return _page(request, "clerk/reservations.html", {"reservations": rows, "q": query})


def _reservation_page(
    request: HttpRequest, reservation: Reservation, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    order = _order(merchant, reservation)
    context = {
        "reservation": reservation,
        "order": order,
        "lines": list(order.lines.all()),
        "payable": order.status == OrderStatus.PENDING_PAYMENT and order.expires_at > clock.now(),
        "can_hand_over": reservation.status == ReservationStatus.PAID
        or (reservation.status == ReservationStatus.RESERVED and order.status == OrderStatus.PAID),
        **(extra or {}),
    }
    return _page(request, "clerk/reservation.html", context, status=status)


@require_safe
@staff_view(COUNTER_PERMISSION)
def reservation(request: HttpRequest, reservation_id: str) -> HttpResponse:
    return _reservation_page(request, _own_reservation(request, reservation_id))


def _reservation_message(error: WeloopError) -> str:
    if error.code == "orders.not_payable":
        return gettext("This reservation is not waiting for payment (paid already, or past its deadline).")
    return gettext(error.detail)


@require_POST
@staff_view(COUNTER_PERMISSION)
def reservation_pay(request: HttpRequest, reservation_id: str) -> HttpResponse:
    """Cash or card taken at the counter: the order is paid, the reservation ready to hand over."""
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    found = _own_reservation(request, reservation_id)
    method = request.POST.get("method", "")
    if method not in (PaymentMethod.OFFLINE_CASH, PaymentMethod.OFFLINE_CARD):
        return _reservation_page(request, found, {"error": gettext("Choose cash or card.")}, status=400)
    try:
        services.reservation_take_payment(merchant=merchant, reservation=found, method=method, staff=staff)
    except WeloopError as error:
        return _reservation_page(request, found, {"error": _reservation_message(error)}, status=error.status)
    messages.success(request, gettext("Payment recorded: hand the goods over."))
    return redirect("clerk:reservation", reservation_id=found.public_id)


@require_POST
@staff_view(COUNTER_PERMISSION)
def reservation_native(request: HttpRequest, reservation_id: str) -> HttpResponse:
    """Show a WeChat Pay Native QR of the order's total for the customer to scan."""
    merchant = request.merchant  # type: ignore[attr-defined]
    found = _own_reservation(request, reservation_id)
    try:
        payment = orders.order_start_payment(
            merchant=merchant, order=_order(merchant, found), method=PaymentMethod.WECHAT_NATIVE
        )
        native = payment_native_params(merchant=merchant, payment=payment)
    except WeloopError as error:
        return _reservation_page(request, found, {"error": _reservation_message(error)}, status=error.status)
    extra = {
        "native": native,
        "native_amount_fen": payment.amount_fen,
        "native_qr": mark_safe(qr_svg_inline(native.code_url)),  # an <svg> drawn here
    }
    return _reservation_page(request, found, extra)


@require_POST
@staff_view(COUNTER_PERMISSION)
def reservation_hand_over(request: HttpRequest, reservation_id: str) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    found = _own_reservation(request, reservation_id)
    try:
        services.reservation_hand_over(merchant=merchant, reservation=found, staff=staff)
    except WeloopError as error:
        text = (
            gettext("Take the payment first: nothing was handed over.")
            if found.status == ReservationStatus.RESERVED
            else gettext("This reservation is %(status)s: nothing was handed over.")
            % {"status": found.get_status_display()}
        )
        return _reservation_page(request, found, {"error": text, "error_code": error.code}, status=error.status)
    messages.success(request, gettext("Handed over: the order is completed."))
    return redirect("clerk:reservation", reservation_id=found.public_id)
