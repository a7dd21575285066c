"""Bookings (预约) in the console: services, resources and their schedules, a day per store,
bookings with their actions, the leads pipeline and goods reservations.

Managers define services and resources (``bookings.manage``); store managers run the day
(``bookings.view`` to read, ``bookings.run`` to check in, complete, cancel, move), limited to
their stores when they are assigned to some. Every write goes through ``weloop.bookings.services``;
a refused action shows its reason and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from weloop.bookings import selectors, services
from weloop.bookings.enums import BookingStatus, LeadStatus, PaymentMode, ReservationStatus, ResourceKind
from weloop.bookings.models import Booking, Lead, Resource, Service
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_text, yuan_to_fen
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.stores.models import Store
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.permissions import assigned_store_ids

WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _stores(request: HttpRequest) -> list[Store]:
    stores = list(store_list(merchant=request.merchant))  # type: ignore[attr-defined]
    scope = assigned_store_ids(request.staff)  # type: ignore[attr-defined]
    return [s for s in stores if not scope or s.pk in scope]


def _booking(request: HttpRequest, booking_id: str) -> Booking:
    booking = selectors.booking_get(merchant=request.merchant, public_id=booking_id)  # type: ignore[attr-defined]
    scope = assigned_store_ids(request.staff)  # type: ignore[attr-defined]
    if scope and booking.store_id not in scope:
        raise Http404
    return booking


def _yuan(value: str) -> int:
    return yuan_to_fen(value or "0")


# --- services ----------------------------------------------------------------------------------------


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), max_length=500, required=False, widget=forms.Textarea)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=1440, initial=60)
    price = forms.CharField(label=_("Price (yuan)"), max_length=20, initial="0")
    payment_mode = forms.ChoiceField(label=_("Payment"), choices=PaymentMode.choices)
    deposit = forms.CharField(label=_("Deposit (yuan)"), max_length=20, required=False, initial="0")
    resource_kind = forms.ChoiceField(label=_("Needs a"), choices=ResourceKind.choices)
    free_cancel_hours = forms.IntegerField(label=_("Free cancellation until (hours before)"), min_value=0, initial=24)
    late_cancel_fee = forms.CharField(
        label=_("Late cancellation fee (yuan)"), max_length=20, required=False, initial="0"
    )
    is_consultation = forms.BooleanField(label=_("Consultation or visit (opens a lead)"), required=False)
    is_active = forms.BooleanField(label=_("Bookable"), required=False, initial=True)
    stores = forms.MultipleChoiceField(label=_("Stores"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = [(s.public_id, s.name) for s in stores]  # type: ignore[attr-defined]


def _service_input(form: ServiceForm) -> services.ServiceInput:
    d = form.cleaned_data
    return services.ServiceInput(
        name=d["name"],
        description=d["description"],
        duration_minutes=d["duration_minutes"],
        price_fen=_yuan(d["price"]),
        payment_mode=d["payment_mode"],
        deposit_fen=_yuan(d["deposit"]),
        resource_kind=d["resource_kind"],
        free_cancel_hours=d["free_cancel_hours"],
        late_cancel_fee_fen=_yuan(d["late_cancel_fee"]),
        is_consultation=d["is_consultation"],
        is_active=d["is_active"],
    )


@require_safe
@staff_view("bookings.manage")
def service_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.service_list(merchant=request.merchant)  # type: ignore[attr-defined]
    return render_page(request, "dashboard/bookings/services.html", {"services": rows})


def _service_form_page(request: HttpRequest, service: Service | None) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = list(store_list(merchant=merchant))
    initial: dict[str, Any] = {}
    if service is not None:
        ids = selectors.service_store_ids(service)
        initial = {
            "name": service.name,
            "description": service.description,
            "duration_minutes": service.duration_minutes,
            "price": yuan_text(service.price_fen),
            "payment_mode": service.payment_mode,
            "deposit": yuan_text(service.deposit_fen),
            "resource_kind": service.resource_kind,
            "free_cancel_hours": service.free_cancel_hours,
            "late_cancel_fee": yuan_text(service.late_cancel_fee_fen),
            "is_consultation": service.is_consultation,
            "is_active": service.is_active,
            "stores": [s.public_id for s in stores if s.pk in ids],
        }
    error: WeloopError | None = None
    if request.method == "POST":
        form = ServiceForm(request.POST, stores=stores)
        if form.is_valid():
            chosen = [s for s in stores if s.public_id in form.cleaned_data["stores"]]
            try:
                data = _service_input(form)
                if service is None:
                    service = services.service_create(
                        merchant=merchant, data=data, stores=chosen, actor=actor_of(request)
                    )
                else:
                    service = services.service_update(
                        merchant=merchant, service=service, data=data, stores=chosen, actor=actor_of(request)
                    )
                messages.success(request, gettext("Service saved."))
                return redirect("dashboard:booking_service_list")
            except WeloopError as exc:
                error = exc
                attach_error(form, exc)
    else:
        form = ServiceForm(initial=initial, stores=stores)
    status = 400 if error or form.errors else 200
    return render_page(
        request,
        "dashboard/bookings/service_form.html",
        {"form": form, "service": service, **error_context(error)},
        status=status,
    )


@staff_view("bookings.manage")
def service_create(request: HttpRequest) -> HttpResponse:
    return _service_form_page(request, None)


@staff_view("bookings.manage")
def service_edit(request: HttpRequest, service_id: str) -> HttpResponse:
    service = selectors.service_get(merchant=request.merchant, public_id=service_id)  # type: ignore[attr-defined]
    return _service_form_page(request, service)


# --- resources and schedules -----------------------------------------------------------------------


class ResourceForm(forms.Form):
    store = forms.ChoiceField(label=_("Store"))
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    name = forms.CharField(label=_("Name"), max_length=80)
    capacity = forms.IntegerField(label=_("Bookings at once"), min_value=1, max_value=1000, initial=1)
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, max_value=240, initial=30)
    schedule = forms.CharField(
        label=_("Weekly schedule"),
        widget=forms.Textarea(attrs={"rows": 7}),
        required=False,
        help_text=_("One shift a line: weekday (0 = Monday … 6 = Sunday), start, end, e.g. 0 10:00 18:00."),
    )

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [(s.public_id, s.name) for s in stores]  # type: ignore[attr-defined]


def _parse_schedule(text: str) -> list[tuple[int, str, str]]:
    rows = []
    for i, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = line.replace("-", " ").split()
        if len(parts) != 3 or not parts[0].isdigit():
            from weloop.bookings.errors import InvalidSchedule

            raise InvalidSchedule(extra={"field": "schedule", "line": i + 1})
        rows.append((int(parts[0]), parts[1], parts[2]))
    return rows


@require_safe
@staff_view("bookings.manage")
def resource_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.resource_list(merchant=request.merchant)  # type: ignore[attr-defined]
    return render_page(request, "dashboard/bookings/resources.html", {"resources": rows, "weekdays": WEEKDAYS})


def _resource_form_page(request: HttpRequest, resource: Resource | None) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = list(store_list(merchant=merchant))
    error: WeloopError | None = None
    if request.method == "POST":
        form = ResourceForm(request.POST, stores=stores)
        if form.is_valid():
            d = form.cleaned_data
            store = next(s for s in stores if s.public_id == d["store"])
            data = services.ResourceInput(
                store=store, kind=d["kind"], name=d["name"], capacity=d["capacity"], slot_minutes=d["slot_minutes"]
            )
            try:
                shifts = services.shifts_from(_parse_schedule(d["schedule"]))
                from django.db import transaction

                with transaction.atomic():
                    if resource is None:
                        resource = services.resource_create(merchant=merchant, data=data, actor=actor_of(request))
                    else:
                        resource = services.resource_update(
                            merchant=merchant, resource=resource, data=data, actor=actor_of(request)
                        )
                    services.resource_set_schedule(merchant=merchant, resource=resource, shifts=shifts)
                messages.success(request, gettext("Resource saved."))
                return redirect("dashboard:booking_resource_detail", resource_id=resource.public_id)
            except WeloopError as exc:
                error = exc
                attach_error(
                    form,
                    exc,
                    field_by_code={
                        "bookings.schedule_overlap": ("schedule",),
                        "bookings.invalid_schedule": ("schedule",),
                    },
                )
    else:
        initial: dict[str, Any] = {}
        if resource is not None:
            initial = {
                "store": resource.store.public_id,
                "kind": resource.kind,
                "name": resource.name,
                "capacity": resource.capacity,
                "slot_minutes": resource.slot_minutes,
                "schedule": "\n".join(f"{r.weekday} {r.starts:%H:%M} {r.ends:%H:%M}" for r in resource.schedule.all()),
            }
        form = ResourceForm(initial=initial, stores=stores)
    context = {
        "form": form,
        "resource": resource,
        "weekdays": WEEKDAYS,
        "exceptions": list(selectors.resource_exceptions(resource)) if resource else [],
        **error_context(error),
    }
    return render_page(
        request, "dashboard/bookings/resource_form.html", context, status=400 if error or form.errors else 200
    )


@staff_view("bookings.manage")
def resource_create(request: HttpRequest) -> HttpResponse:
    return _resource_form_page(request, None)


@staff_view("bookings.manage")
def resource_detail(request: HttpRequest, resource_id: str) -> HttpResponse:
    resource = selectors.resource_get(merchant=request.merchant, public_id=resource_id)  # type: ignore[attr-defined]
    return _resource_form_page(request, resource)


@require_POST
@staff_view("bookings.manage")
def resource_exception(request: HttpRequest, resource_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    resource = selectors.resource_get(merchant=merchant, public_id=resource_id)
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, gettext("Choose a date."))
        return redirect("dashboard:booking_resource_detail", resource_id=resource_id)
    try:
        if request.POST.get("clear"):
            services.resource_clear_exception(merchant=merchant, resource=resource, day=day)
        else:
            off = not request.POST.get("starts")
            services.resource_set_exception(
                merchant=merchant,
                resource=resource,
                day=day,
                is_off=off,
                starts=request.POST.get("starts") or None,
                ends=request.POST.get("ends") or None,
                note=request.POST.get("note", ""),
            )
        messages.success(request, gettext("Exception saved."))
    except WeloopError as exc:
        messages.error(request, gettext(exc.detail))
    return redirect("dashboard:booking_resource_detail", resource_id=resource_id)


# --- the day, bookings --------------------------------------------------------------------------------


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


@require_safe
@staff_view("bookings.view")
def booking_day(request: HttpRequest) -> HttpResponse:
    """One store's day: a column per resource, its bookings in start order."""
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = _stores(request)
    store_id = request.GET.get("store") or (stores[0].public_id if stores else "")
    store = next((s for s in stores if s.public_id == store_id), None)
    day = _day(request)
    columns = []
    if store is not None:
        bookings = list(
            selectors.booking_list(merchant=merchant, store=store, day=day).exclude(
                status__in=[BookingStatus.CANCELLED, BookingStatus.EXPIRED]
            )
        )
        for resource in selectors.resource_list(merchant=merchant, store=store):
            columns.append({"resource": resource, "bookings": [b for b in bookings if b.resource_id == resource.pk]})
    context = {
        "stores": stores,
        "store": store,
        "day": day,
        "columns": columns,
        "prev": day - timedelta(days=1),
        "next": day + timedelta(days=1),
    }
    return render_page(request, "dashboard/bookings/day.html", context)


@require_safe
@staff_view("bookings.view")
def booking_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    scope = assigned_store_ids(request.staff)  # type: ignore[attr-defined]
    rows = selectors.booking_list(
        merchant=merchant, status=status if status in BookingStatus.values else "", store_ids=scope or None
    ).order_by("-starts_at")[:200]
    return render_page(
        request, "dashboard/bookings/list.html", {"bookings": rows, "statuses": BookingStatus.choices, "status": status}
    )


@require_safe
@staff_view("bookings.view")
def booking_detail(request: HttpRequest, booking_id: str) -> HttpResponse:
    booking = _booking(request, booking_id)
    merchant = request.merchant  # type: ignore[attr-defined]
    quote = None
    if booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        quote = services.booking_cancel_quote(merchant=merchant, booking=booking)
    from weloop.core.models import StateTransition

    history = StateTransition.objects.filter(merchant=merchant, machine="booking", object_pk=str(booking.pk)).order_by(
        "id"
    )
    context = {
        "booking": booking,
        "quote": quote,
        "history": history,
        "changes": booking.changes.all(),
        "resources": selectors.resource_list(merchant=merchant, store=booking.store).filter(kind=booking.resource.kind),
        "local_start": timezone.localtime(booking.starts_at),
    }
    return render_page(request, "dashboard/bookings/detail.html", context)


@require_POST
@staff_view("bookings.run")
def booking_action(request: HttpRequest, booking_id: str) -> HttpResponse:
    booking = _booking(request, booking_id)
    merchant = request.merchant  # type: ignore[attr-defined]
    actor = actor_of(request)
    action = request.POST.get("action", "")
    try:
        if action == "check_in":
            services.booking_check_in(merchant=merchant, booking=booking, actor=actor)
        elif action == "complete":
            services.booking_complete(merchant=merchant, booking=booking, actor=actor)
        elif action == "no_show":
            services.booking_no_show(merchant=merchant, booking=booking, actor=actor)
        elif action == "cancel":
            services.booking_cancel(
                merchant=merchant, booking=booking, actor=actor, waive_fee=bool(request.POST.get("waive_fee"))
            )
        elif action == "reschedule":
            starts = timezone.make_aware(datetime.fromisoformat(request.POST.get("starts_at", "")))
            resource = selectors.resource_get(
                merchant=merchant, public_id=request.POST.get("resource_id") or booking.resource.public_id
            )
            services.booking_reschedule(
                merchant=merchant, booking=booking, starts_at=starts, actor=actor, resource=resource
            )
        else:
            raise Http404
        messages.success(request, gettext("Done."))
    except ValueError:
        messages.error(request, gettext("Give a date and time."))
    except WeloopError as exc:
        messages.error(request, gettext(exc.detail))
    return redirect("dashboard:booking_detail", booking_id=booking.public_id)


# --- leads and reservations ---------------------------------------------------------------------------


@require_safe
@staff_view("bookings.manage")
def lead_list(request: HttpRequest) -> HttpResponse:
    leads = list(selectors.lead_list(merchant=request.merchant)[:500])  # type: ignore[attr-defined]
    columns = [
        {"status": value, "label": label, "leads": [ld for ld in leads if ld.status == value]}
        for value, label in LeadStatus.choices
    ]
    return render_page(request, "dashboard/bookings/leads.html", {"columns": columns})


@staff_view("bookings.manage")
def lead_detail(request: HttpRequest, lead_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    lead: Lead = selectors.lead_get(merchant=merchant, public_id=lead_id)
    if request.method == "POST":
        try:
            to = request.POST.get("to", "")
            if to:
                services.lead_move(
                    merchant=merchant,
                    lead=lead,
                    to=to,
                    actor=actor_of(request),
                    order_no=request.POST.get("order_no", ""),
                    note=request.POST.get("note", ""),
                )
            elif request.POST.get("order_no"):
                services.lead_link_order(merchant=merchant, lead=lead, order_no=request.POST["order_no"])
            messages.success(request, gettext("Lead updated."))
        except WeloopError as exc:
            messages.error(request, gettext(exc.detail))
        return redirect("dashboard:booking_lead_detail", lead_id=lead_id)
    from weloop.bookings.state import LEAD

    moves = [(v, label) for v, label in LeadStatus.choices if LEAD.can(lead.status, v)]
    return render_page(request, "dashboard/bookings/lead.html", {"lead": lead, "moves": moves})


@require_safe
@staff_view("bookings.view")
def reservation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    scope = assigned_store_ids(request.staff)  # type: ignore[attr-defined]
    rows = selectors.reservation_list(
        merchant=request.merchant,  # type: ignore[attr-defined]
        status=status if status in ReservationStatus.values else "",
        store_ids=scope or None,
    )[:200]
    return render_page(
        request,
        "dashboard/bookings/reservations.html",
        {"reservations": rows, "statuses": ReservationStatus.choices, "status": status},
    )
