"""Reviews in the console: the list (filters: store, rating, hidden, reported), a review with its audit
trail, and the merchant's actions: reply, hide with a reason, show again, report to the platform.
Also each store's rating (average and count of visible reviews).

Every action goes through ``reviews.services`` (state machine, audit row, exact aggregates).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.dashboard.web import actor_of, render_page
from weloop.reviews import selectors, services
from weloop.reviews.enums import ReviewStatus
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view

PAGE_SIZE = 100


@staff_view("reviews.manage")
def review_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = list(store_list(merchant=merchant))
    filters = {key: request.GET.get(key, "").strip() for key in ("store", "rating", "status", "reported")}
    reviews = selectors.review_list(
        merchant=merchant,
        status=filters["status"] if filters["status"] in ReviewStatus.values else None,
        store_ref=filters["store"] or None,
    )
    if filters["rating"] in {"1", "2", "3", "4", "5"}:
        reviews = reviews.filter(rating=int(filters["rating"]))
    if filters["reported"] == "yes":
        reviews = reviews.filter(reported_at__isnull=False)
    ratings = selectors.store_ratings(merchant=merchant, store_refs=[s.public_id for s in stores])
    names = {s.public_id: s.name for s in stores}
    context = {
        "reviews": list(reviews[:PAGE_SIZE]),
        "filters": filters,
        "stores": stores,
        "store_names": names,
        "statuses": ReviewStatus.choices,
        "summary": [(store, ratings.get(store.public_id)) for store in stores],
    }
    return render_page(request, "dashboard/reviews/list.html", context)


@staff_view("reviews.manage")
def review_detail(request: HttpRequest, review_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    review = selectors.review_get(merchant=merchant, review_id=review_id)
    store = store_list(merchant=merchant).filter(public_id=review.store_ref).first() if review.store_ref else None
    context = {"review": review, "store": store, "audit": list(selectors.review_audit(review))}
    return render_page(request, "dashboard/reviews/detail.html", context)


_ACTIONS = {
    "reply": lambda m, rid, text, actor: services.review_reply(merchant=m, review_id=rid, text=text, actor=actor),
    "hide": lambda m, rid, text, actor: services.review_hide(merchant=m, review_id=rid, reason=text, actor=actor),
    "show": lambda m, rid, text, actor: services.review_show(merchant=m, review_id=rid, reason=text, actor=actor),
    "report": lambda m, rid, text, actor: services.review_report(merchant=m, review_id=rid, reason=text, actor=actor),
}
_DONE = {
    "reply": _("Reply saved."),
    "hide": _("Review hidden."),
    "show": _("Review shown again."),
    "report": _("Review reported to the platform."),
}


@require_POST
@staff_view("reviews.manage")
def review_act(request: HttpRequest, review_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    review = selectors.review_get(merchant=merchant, review_id=review_id)  # 404 before anything else
    action = request.POST.get("action", "")
    if action not in _ACTIONS:
        messages.error(request, gettext("Unknown action."))
    else:
        try:
            _ACTIONS[action](merchant, review.public_id, request.POST.get("text", ""), actor_of(request))
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
        else:
            messages.success(request, _DONE[action])
    return redirect("dashboard:review_detail", review_id=review.public_id)
