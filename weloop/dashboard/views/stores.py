"""Store pages: list, create, edit with the weekly hours editor, status, dated exceptions, detail.

Every page works as a plain form post; htmx only saves round trips (status buttons, hours rows,
live search). A service error re-renders the form with the message and nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core import clock
from weloop.core.errors import ValidationFailed, WeloopError
from weloop.dashboard.forms import (
    HoursExceptionForm,
    StoreForm,
    hours_days,
    hours_from_periods,
    hours_from_post,
    hours_inputs,
)
from weloop.dashboard.web import (
    actor_of,
    attach_error,
    error_context,
    is_htmx,
    render_page,
    render_partial,
    safe_next,
)
from weloop.stores import selectors
from weloop.stores import services as store_services
from weloop.stores.enums import WEEKDAY_NAMES, StoreStatus
from weloop.stores.models import Store
from weloop.stores.state import STORE
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission, require_permission

PAGE_SIZE = 50
STATUS_ACTION_LABELS: dict[str, str | Promise] = {
    StoreStatus.ACTIVE: _("Open"),
    StoreStatus.PAUSED: _("Pause"),
    StoreStatus.CLOSED: _("Close for good"),
}


def status_permission(current: str, target: str) -> str:
    # Pausing and resuming is a store manager's daily work; closing a store for good, or bringing
    # a closed one back, is the owner's or an admin's decision, like creating a store.
    return "stores.manage" if StoreStatus.CLOSED in (current, target) else "stores.edit"


@dataclass(frozen=True)
class StatusAction:
    status: str
    label: str | Promise
    danger: bool


@dataclass(frozen=True)
class StoreRow:
    """A store with what this staff member may do to it, for lists and the detail page."""

    store: Store
    is_open: bool
    can_edit: bool
    actions: list[StatusAction]


def store_row(staff: StaffMember, store: Store) -> StoreRow:
    allowed = STORE.allowed_from(store.status)
    actions = [
        StatusAction(target, STATUS_ACTION_LABELS[target], danger=target == StoreStatus.CLOSED)
        for target in StoreStatus.values
        if target in allowed and has_permission(staff, status_permission(store.status, target), store_id=store.pk)
    ]
    return StoreRow(
        store=store,
        is_open=selectors.store_is_open(store),
        can_edit=has_permission(staff, "stores.edit", store_id=store.pk),
        actions=actions,
    )


# --- list and detail ----------------------------------------------------------------------------


@staff_view("stores.view")
def store_list(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    search = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    status = status if status in StoreStatus.values else ""
    stores = selectors.store_list(merchant=merchant, status=status or None, search=search or None)
    page = Paginator(stores, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [store_row(staff, store) for store in page],
        "search": search,
        "status": status,
        "statuses": StoreStatus.choices,
        "can_create": has_permission(staff, "stores.manage"),
        "next_url": request.get_full_path(),
    }
    return render_page(request, "dashboard/stores/list.html", context)


@staff_view("stores.view")
def store_detail(request: HttpRequest, store_id: str) -> HttpResponse:
    store = selectors.store_get(merchant=request.merchant, public_id=store_id)  # type: ignore[attr-defined]
    return _detail_page(request, store)


def _detail_page(
    request: HttpRequest,
    store: Store,
    *,
    exception_form: HoursExceptionForm | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate(clock.now())
    weekly = hours_from_periods([(p.weekday, p.opens, p.closes) for p in selectors.store_periods(store)])
    context = {
        "store": store,
        "row": store_row(request.staff, store),  # type: ignore[attr-defined]
        "today_hours": selectors.store_hours_on(store, today),
        "week": [(WEEKDAY_NAMES[day], weekly.get(day, [])) for day in range(7)],
        "exceptions": selectors.store_exceptions(store, from_day=today),
        "exception_form": exception_form or HoursExceptionForm(initial={"date": today}),
        "next_url": reverse("dashboard:store_detail", kwargs={"store_id": store.public_id}),
        **error_context(error),
    }
    return render_page(request, "dashboard/stores/detail.html", context, status=status)


# --- create and edit ----------------------------------------------------------------------------


def _form_page(
    request: HttpRequest,
    *,
    form: StoreForm,
    days: dict[int, list[str]],
    store: Store | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    hours_error = error if error is not None and error.code == "stores.invalid_opening_hours" else None
    error_weekday = hours_error.extra.get("weekday") if hours_error else None
    context = {
        "form": form,
        "store": store,
        "days": hours_days(days, error_weekday=error_weekday),
        "hours_error": error_context(hours_error).get("error"),
        **error_context(error),
    }
    return render_page(request, "dashboard/stores/form.html", context, status=status)


def _with_added_row(data: QueryDict, days: dict[int, list[str]]) -> dict[int, list[str]] | None:
    """The no-JavaScript "add a period" button: one more empty box on that weekday, nothing saved."""
    raw = data.get("add_hours_row")
    if raw is None:
        return None
    if raw.isdigit() and int(raw) in days:
        days[int(raw)].append("")
    return days


@staff_view("stores.manage")
def store_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, form=StoreForm(), days={})
    days = hours_from_post(request.POST)
    if (added := _with_added_row(request.POST, days)) is not None:
        return _form_page(request, form=StoreForm(initial=request.POST.dict()), days=added)
    form = StoreForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form=form, days=days, status=400)
    try:
        data = store_services.StoreInput(**form.cleaned_data, hours=hours_inputs(days))
        store = store_services.store_create(merchant=request.merchant, data=data, actor=actor_of(request))  # type: ignore[attr-defined]
    except WeloopError as error:
        attach_error(form, error, field_by_code=StoreForm.FIELDS_BY_ERROR)
        return _form_page(request, form=form, days=days, error=error, status=error.status)
    messages.success(request, gettext("Store “%(name)s” created.") % {"name": store.name})
    return redirect("dashboard:store_detail", store_id=store.public_id)


@staff_view("stores.edit")
def store_edit(request: HttpRequest, store_id: str) -> HttpResponse:
    store = selectors.store_get(merchant=request.merchant, public_id=store_id)  # type: ignore[attr-defined]
    require_permission(request.staff, "stores.edit", store_id=store.pk)  # type: ignore[attr-defined]
    if request.method != "POST":
        initial = {name: getattr(store, name) for name in StoreForm.base_fields}
        periods = [(p.weekday, p.opens, p.closes) for p in selectors.store_periods(store)]
        return _form_page(request, form=StoreForm(initial=initial), days=hours_from_periods(periods), store=store)
    days = hours_from_post(request.POST)
    if (added := _with_added_row(request.POST, days)) is not None:
        return _form_page(request, form=StoreForm(initial=request.POST.dict()), days=added, store=store)
    form = StoreForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form=form, days=days, store=store, status=400)
    try:
        patch = store_services.StorePatch(**form.cleaned_data, hours=hours_inputs(days))
        store = store_services.store_update(
            merchant=request.merchant,  # type: ignore[attr-defined]
            public_id=store.public_id,
            patch=patch,
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error, field_by_code=StoreForm.FIELDS_BY_ERROR)
        return _form_page(request, form=form, days=days, store=store, error=error, status=error.status)
    messages.success(request, gettext("Store “%(name)s” saved.") % {"name": store.name})
    return redirect("dashboard:store_detail", store_id=store.public_id)


@staff_view("stores.edit")
def store_hours_row(request: HttpRequest) -> HttpResponse:
    """One more empty period box for the hours editor (htmx)."""
    weekday = request.GET.get("weekday", "")
    if not weekday.isdigit() or not 0 <= int(weekday) <= 6:
        raise ValidationFailed("Weekday must be 0 (Monday) to 6 (Sunday).", extra={"field": "weekday"})
    day = int(weekday)
    return render_partial(
        request, "dashboard/stores/_hours_row.html", {"weekday": day, "day_name": WEEKDAY_NAMES[day], "value": ""}
    )


# --- status and exceptions ----------------------------------------------------------------------


@require_POST
@staff_view("stores.edit")
def store_set_status(request: HttpRequest, store_id: str) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    store = selectors.store_get(merchant=merchant, public_id=store_id)
    target = request.POST.get("status", "")
    require_permission(staff, status_permission(store.status, target), store_id=store.pk)
    error: WeloopError | None = None
    try:
        store = store_services.store_set_status(
            merchant=merchant,
            public_id=store.public_id,
            status=target,
            actor=actor_of(request),
            reason=request.POST.get("reason", "")[:500],
        )
    except WeloopError as exc:
        error = exc
        store.refresh_from_db()  # show the status as it is now, whoever changed it
    if is_htmx(request):
        context = {
            "row": store_row(staff, store),
            "next_url": safe_next(request, ""),
            "status_error": error_context(error).get("error"),
        }
        return render_partial(request, "dashboard/stores/_status.html", context, status=error.status if error else 200)
    if error is not None:
        return _detail_page(request, store, error=error, status=error.status)
    messages.success(
        request,
        gettext("“%(name)s” is now: %(status)s.") % {"name": store.name, "status": store.get_status_display()},
    )
    return redirect(safe_next(request, reverse("dashboard:store_detail", kwargs={"store_id": store.public_id})))


@require_POST
@staff_view("stores.edit")
def store_exception_add(request: HttpRequest, store_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    store = selectors.store_get(merchant=merchant, public_id=store_id)
    require_permission(request.staff, "stores.edit", store_id=store.pk)  # type: ignore[attr-defined]
    form = HoursExceptionForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, store, exception_form=form, status=400)
    data = form.cleaned_data
    try:
        store_services.store_set_exception(
            merchant=merchant,
            public_id=store.public_id,
            day=data["date"],
            is_closed=data["kind"] == HoursExceptionForm.CLOSED,
            opens=data["opens"] or None,
            closes=data["closes"] or None,
            note=data["note"],
        )
    except WeloopError as error:
        attach_error(form, error)
        return _detail_page(request, store, exception_form=form, error=error, status=error.status)
    messages.success(request, gettext("Exception for %(date)s saved.") % {"date": data["date"].isoformat()})
    return redirect("dashboard:store_detail", store_id=store.public_id)


@require_POST
@staff_view("stores.edit")
def store_exception_remove(request: HttpRequest, store_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    store = selectors.store_get(merchant=merchant, public_id=store_id)
    require_permission(request.staff, "stores.edit", store_id=store.pk)  # type: ignore[attr-defined]
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError as exc:
        raise ValidationFailed("Give the date as YYYY-MM-DD.", extra={"field": "date"}) from exc
    store_services.store_remove_exception(merchant=merchant, public_id=store.public_id, day=day)
    messages.success(request, gettext("Exception for %(date)s removed.") % {"date": day.isoformat()})
    return redirect("dashboard:store_detail", store_id=store.public_id)
