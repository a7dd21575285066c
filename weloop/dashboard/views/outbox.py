"""Events and deliveries (owners and admins): what happened, what is pending, dead letters to retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core.events import delivery_requeue
from weloop.dashboard.selectors import console_overview, dead_letters, delivery_get, recent_events
from weloop.dashboard.web import render_page
from weloop.tenants.access import staff_view


@staff_view("outbox.view")
def outbox(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "overview": console_overview(merchant=merchant),
        "events": recent_events(merchant=merchant),
        "dead": dead_letters(merchant=merchant),
    }
    return render_page(request, "dashboard/outbox/list.html", context)


@staff_view("outbox.view")
def outbox_delivery(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = delivery_get(merchant=request.merchant, delivery_id=delivery_id)  # type: ignore[attr-defined]
    return render_page(request, "dashboard/outbox/delivery.html", {"delivery": delivery})


@require_POST
@staff_view("outbox.view")
def outbox_delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = delivery_requeue(merchant=request.merchant, delivery_id=delivery_id)  # type: ignore[attr-defined]
    messages.success(
        request,
        gettext("Delivery #%(id)s to %(handler)s queued again.") % {"id": delivery.pk, "handler": delivery.handler},
    )
    return redirect("dashboard:outbox")
