"""The phone-sized staff page: the stores this person works in, today's hours, pause and resume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.clerk.nav import clerk_actions_for
from weloop.core import clock
from weloop.core.errors import InvalidTransition, WeloopError
from weloop.stores import selectors
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.services import store_set_status
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission, require_permission

# The clerk page only pauses and resumes; closing a store for good happens in the console.
TOGGLE: dict[str, str] = {StoreStatus.ACTIVE: StoreStatus.PAUSED, StoreStatus.PAUSED: StoreStatus.ACTIVE}


@dataclass(frozen=True)
class StoreCard:
    store: Store
    today_hours: list[tuple[time, time]]
    is_open: bool
    toggle_to: str | None  # the status the button sets, None when this person may not toggle


def store_card(staff: StaffMember, store: Store) -> StoreCard:
    today = timezone.localdate(clock.now())
    may_toggle = has_permission(staff, "stores.edit", store_id=store.pk)
    return StoreCard(
        store=store,
        today_hours=selectors.store_hours_on(store, today),
        is_open=selectors.store_is_open(store),
        toggle_to=TOGGLE.get(store.status) if may_toggle else None,
    )


def _frame(request: HttpRequest) -> dict[str, object]:
    staff = request.staff  # type: ignore[attr-defined]
    return {"staff": staff, "merchant": request.merchant, "clerk_actions": clerk_actions_for(staff)}  # type: ignore[attr-defined]


@staff_view("clerk.use")
def home(request: HttpRequest) -> HttpResponse:
    staff = request.staff  # type: ignore[attr-defined]
    stores = selectors.stores_editable_by(staff=staff).exclude(status=StoreStatus.CLOSED)
    cards = [store_card(staff, store) for store in stores]
    return render(request, "clerk/home.html", {**_frame(request), "cards": cards})


@require_POST
@staff_view("clerk.use")
def store_toggle(request: HttpRequest, store_id: str) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    store = selectors.store_get(merchant=merchant, public_id=store_id)
    require_permission(staff, "clerk.use", store_id=store.pk)
    require_permission(staff, "stores.edit", store_id=store.pk)
    target = request.POST.get("status", "")
    error: WeloopError | None = None
    try:
        if TOGGLE.get(store.status) != target:
            raise InvalidTransition(extra={"from": store.status, "to": target})
        store = store_set_status(
            merchant=merchant, public_id=store.public_id, status=target, actor=f"clerk:{request.user.get_username()}"
        )
    except WeloopError as exc:
        error = exc
        store.refresh_from_db()
    if request.headers.get("HX-Request") == "true":
        context = {"card": store_card(staff, store), "error": error and gettext(error.detail)}
        response = render(request, "clerk/_store_card.html", context, status=error.status if error else 200)
        patch_vary_headers(response, ["HX-Request"])
        return response
    if error is not None:
        messages.error(request, gettext(error.detail))
    return redirect("clerk:home")
