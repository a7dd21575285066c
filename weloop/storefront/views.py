"""Consumer H5 pages under /m/<merchant_slug>/: thin views over the storefront presenters."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from weloop.core import clock
from weloop.storefront.identity import identify_in_wechat
from weloop.storefront.presenters import store_cards, store_page
from weloop.storefront.shell import consumer_view, render_page


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
    page = store_page(merchant=request.merchant, store_id=store_id, moment=clock.now())  # type: ignore[attr-defined]
    return render_page(request, "storefront/store_detail.html", {"page": page, "store": page.card}, tab="stores")
