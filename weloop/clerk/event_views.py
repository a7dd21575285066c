"""Check members in at an event's venue: choose the event, scan the member's QR (or type the
10-digit code). A code is checked in exactly once; scanning it again says so and changes nothing.

Staff with ``engagement.checkin`` see the published events held at the stores they work for, plus
events at other addresses.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weloop.clerk.views import _frame
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.engagement import selectors, services
from weloop.engagement.enums import EventStatus
from weloop.engagement.models import Event
from weloop.stores import selectors as store_selectors
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant, StaffMember

_MESSAGES = {
    "engagement.invalid_checkin_code": _("No sign-up of this event has this code (a typo, or another event?)."),
    "engagement.checkin_not_open": _("Check-in opens two hours before the event starts and closes when it ends."),
    "engagement.not_signed_up": _("This sign-up was cancelled."),
}


def _events(staff: StaffMember, merchant: Merchant) -> list[Event]:
    now = clock.now()
    store_ids = set(store_selectors.stores_editable_by(staff=staff).values_list("pk", flat=True))
    events = selectors.event_list(merchant=merchant, status=EventStatus.PUBLISHED).filter(
        ends_at__gte=now - timedelta(hours=12), starts_at__lte=now + timedelta(days=1)
    )
    return [e for e in events.order_by("starts_at") if e.store_id is None or e.store_id in store_ids]


class CheckinForm(forms.Form):
    code = forms.CharField(
        label=_("Member's check-in code"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "inputmode": "numeric"}),
        help_text=_("Scan the QR on the member's phone, or type the 10 digits under it."),
    )

    def __init__(self, *args: object, events: list[Event], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["event"] = forms.ChoiceField(label=_("Event"), choices=[(e.public_id, e.title) for e in events])
        self.order_fields(["event", "code"])


@staff_view("engagement.checkin")
def checkin(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    events = _events(staff, merchant)
    context: dict[str, object] = {**_frame(request)}
    if request.method != "POST":
        initial = {"event": request.GET.get("event", "")}
        return render(
            request, "clerk/event_checkin.html", {**context, "form": CheckinForm(events=events, initial=initial)}
        )
    form = CheckinForm(request.POST, events=events)
    if not form.is_valid():
        return render(request, "clerk/event_checkin.html", {**context, "form": form}, status=400)
    event = next(e for e in events if e.public_id == form.cleaned_data["event"])
    try:
        result = services.event_checkin_by_code(
            merchant=merchant,
            code=form.cleaned_data["code"],
            event=event,
            actor=f"clerk:{request.user.get_username()}",
        )
    except WeloopError as error:
        message = _MESSAGES.get(error.code) or gettext(error.detail)
        context.update({"error": message, "error_code": error.code})
        return render(request, "clerk/event_checkin.html", {**context, "form": form}, status=error.status)
    event.refresh_from_db(fields=["checked_in_count", "signed_up_count"])
    fresh = CheckinForm(events=events, initial={"event": event.public_id})
    context.update({"result": result, "event": event, "form": fresh})
    return render(request, "clerk/event_checkin.html", context)
