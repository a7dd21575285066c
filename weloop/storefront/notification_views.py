"""The member's notification preferences in the H5 ("Me" → notifications): mute everything, or opt
out of some kinds. The sender honours them (a skipped row in the console's log says why)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from weloop.messaging.enums import NotificationKind
from weloop.messaging.notifications import preference_of, preference_set
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page


@never_cache
@consumer_view
@identity.member_required()
def my_notifications(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        preference_set(
            merchant=merchant,
            member=member,
            muted=request.POST.get("muted") == "on",
            opted_out=[kind for kind in NotificationKind.values if request.POST.get(f"kind_{kind}") != "on"],
        )
        messages.success(request, gettext("Your notification choices are saved."))
        return redirect("storefront:my_notifications", merchant_slug=merchant.slug)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    preference = preference_of(merchant=merchant, member=member)
    kinds = [(value, label, value not in preference.opted_out) for value, label in NotificationKind.choices]
    context = {"preference": preference, "kinds": kinds}
    return render_page(request, "storefront/my_notifications.html", context, tab="me")
