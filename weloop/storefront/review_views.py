"""Nearby stores and reviews in the H5.

- ``/m/<slug>/nearby/``: the visitor's location (the WeChat JS-SDK inside WeChat, else the browser's
  geolocation, else typed coordinates) and the stores within a radius, nearest first, with their open
  state, rating and active deals (``discovery.selectors.stores_near``).
- ``/m/<slug>/reviews/``: what the member may review (verified consumption) and their reviews, hidden
  ones with the merchant's reason; ``/m/<slug>/reviews/write/<eligibility_id>/``: the review form
  (rating 1–5, optional product rating, text, up to 6 photos).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from weloop.core.errors import NotFound, WeloopError
from weloop.discovery import selectors as discovery
from weloop.messaging.replies import distance_label
from weloop.reviews import selectors as reviews
from weloop.reviews.models import Eligibility
from weloop.reviews.services import MAX_PHOTOS, MAX_TEXT, review_create
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page

RADII_M = (1000, 3000, 5000, 10000, 20000)
RATINGS = (5, 4, 3, 2, 1)


@require_safe
@consumer_view
def nearby(request: HttpRequest) -> HttpResponse:
    """The page locates the visitor in the browser, then reloads itself with ``?lat=&lng=``."""
    merchant = request.merchant  # type: ignore[attr-defined]
    lat, lng = request.GET.get("lat", "").strip(), request.GET.get("lng", "").strip()
    radius = request.GET.get("radius_m", "").strip() or str(discovery.DEFAULT_RADIUS_M)
    radii = [(str(r), gettext("%(km)d km") % {"km": r // 1000}) for r in RADII_M]
    context: dict[str, Any] = {"lat": lat, "lng": lng, "radius_m": radius, "radii": radii, "located": False}
    if lat or lng:
        try:
            found = discovery.stores_near(merchant=merchant, latitude=lat, longitude=lng, radius_m=radius, limit=20)
        except WeloopError as error:
            context["error"] = gettext(error.detail)
        else:
            for item in found:
                item.distance_label = distance_label(item.distance_m)  # type: ignore[attr-defined]
            context.update(located=True, results=found)
    return render_page(request, "storefront/nearby.html", context, tab="stores")


def _eligibility_known(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 for an item this merchant does not have, before asking anyone to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        merchant = request.merchant  # type: ignore[attr-defined]
        if not Eligibility.objects.for_merchant(merchant).filter(public_id=kwargs["eligibility_id"]).exists():
            raise NotFound(extra={"what": "eligibility"})
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_reviews(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    context = {
        "to_review": list(reviews.eligibilities_to_review(merchant=merchant, member_ref=member.public_id)[:50]),
        "mine": list(reviews.reviews_of_member(merchant=merchant, member_ref=member.public_id)[:50]),
    }
    return render_page(request, "storefront/my_reviews.html", context, tab="me")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@_eligibility_known
@identity.member_required()
def review_write(request: HttpRequest, eligibility_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    # another member's item is "not found" for this one (reviews.not_eligible, 404)
    item = reviews.eligibility_get(merchant=merchant, member_ref=member.public_id, eligibility_id=eligibility_id)
    already = reviews.reviews_of_member(merchant=merchant, member_ref=member.public_id).filter(eligibility=item)
    if already.exists():
        messages.info(request, gettext("You have already reviewed this."))
        return redirect("storefront:my_reviews", merchant_slug=merchant.slug)
    form = {"rating": "", "product_id": "", "product_rating": "", "text": ""}
    error = ""
    if request.method == "POST":
        form = {key: str(request.POST.get(key, "")).strip() for key in form}
        try:
            review_create(
                merchant=merchant,
                member_ref=member.public_id,
                eligibility_id=eligibility_id,
                rating=form["rating"] or None,
                text=form["text"],
                product_id=form["product_id"],
                product_rating=(form["product_rating"] or None) if form["product_id"] else None,
                photos=request.FILES.getlist("photos"),
                author_name=member.nickname or "",
            )
        except WeloopError as failure:
            error = gettext(failure.detail)
        else:
            messages.success(request, gettext("Thank you! Your review is published."))
            return redirect("storefront:my_reviews", merchant_slug=merchant.slug)
    context = {
        "item": item,
        "form": form,
        "error": error,
        "ratings": RATINGS,
        "max_photos": MAX_PHOTOS,
        "max_text": MAX_TEXT,
    }
    response = render_page(request, "storefront/review_write.html", context, tab="me")
    response.status_code = 400 if error else 200
    return response
