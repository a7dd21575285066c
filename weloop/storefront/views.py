"""Consumer H5 pages under /m/<merchant_slug>/: thin views over the storefront presenters."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from weloop.core import clock
from weloop.reviews.selectors import reviews_public, store_ratings
from weloop.storefront.identity import identify_in_wechat
from weloop.storefront.presenters import store_cards, store_page
from weloop.storefront.shell import consumer_view, render_page

RECENT_REVIEWS = 5  # on the store page


@require_safe
@consumer_view
@identify_in_wechat
def home(request: HttpRequest) -> HttpResponse:
    cards = store_cards(merchant=request.merchant, moment=clock.now())  # type: ignore[attr-defined]
    return render_page(request, "storefront/home.html", {"stores": cards}, tab="home")


@require_safe
@consumer_view
def store_list(request: HttpRequest) -> HttpResponse:
    cards = store_cards(merchant=request.merchant, moment=clock.now())  # type: ignore[attr-defined]
    by_city = sorted(cards, key=lambda card: card.city)  # stable: keeps the merchant's order in a city
    return render_page(request, "storefront/store_list.html", {"stores": by_city}, tab="stores")


@require_safe
@consumer_view
def store_detail(request: HttpRequest, store_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    page = store_page(merchant=merchant, store_id=store_id, moment=clock.now())
    context = {
        "page": page,
        "store": page.card,
        "rating": store_ratings(merchant=merchant, store_refs=[store_id]).get(store_id),
        "reviews": list(reviews_public(merchant=merchant, store_ref=store_id)[:RECENT_REVIEWS]),
    }
    return render_page(request, "storefront/store_detail.html", context, tab="stores")
