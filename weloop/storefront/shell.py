"""The consumer H5 shell: which merchant a /m/<merchant_slug>/ request is for, and the tab bar.

    @consumer_view
    def store_detail(request, store_id): ...   # request.merchant is set, merchant_slug is consumed

An unknown slug raises UnknownMerchant (404), a suspended or pending merchant MerchantSuspended or
MerchantNotActive (403); WeloopErrorMiddleware renders them with the shared error page. Pages that
need the member add ``identity.member_required`` under ``consumer_view`` (WeChat OAuth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weloop.storefront.identity import current_member
from weloop.storefront.referral_capture import remember_referral
from weloop.storefront.shop_presenters import cart_units
from weloop.tenants.selectors import merchant_for_slug

View = Callable[..., HttpResponse]


def consumer_view(view: View) -> View:
    """Resolve the merchant from the URL's ``merchant_slug`` and put it on ``request.merchant``."""

    @wraps(view)
    def wrapper(request: HttpRequest, merchant_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        request.merchant = merchant_for_slug(merchant_slug)  # type: ignore[attr-defined]
        if "ref" in request.GET:  # a shared referral link: bind now, or when the visitor signs in
            remember_referral(request, current_member(request))
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    url_name: str | None  # None until the capability behind the tab has a page


# The bottom tab bar. A tab without a page is not shown: no link to a page that does not exist.
TABS = (
    Tab("home", _("Home"), "storefront:home"),
    Tab("stores", _("Stores"), "storefront:store_list"),
    Tab("products", _("Products"), "storefront:product_list"),
    Tab("cart", _("Cart"), "storefront:cart"),  # its badge counts the units in the member's cart
    Tab("me", _("Me"), "storefront:me"),  # signs the visitor in through WeChat (identity.member_required)
)


@dataclass(frozen=True)
class TabLink:
    key: str
    label: str | Promise
    url: str
    active: bool
    badge: int = 0


def tab_links(merchant_slug: str, *, active: str, badges: dict[str, int] | None = None) -> list[TabLink]:
    badges = badges or {}
    return [
        TabLink(
            tab.key,
            tab.label,
            reverse(tab.url_name, kwargs={"merchant_slug": merchant_slug}),
            tab.key == active,
            badges.get(tab.key, 0),
        )
        for tab in TABS
        if tab.url_name
    ]


def _badges(request: HttpRequest) -> dict[str, int]:
    """The cart's unit count, for a visitor already signed in (nobody is sent to sign in for a badge)."""
    member = current_member(request)
    if member is None:
        return {}
    return {"cart": cart_units(merchant=request.merchant, member=member)}  # type: ignore[attr-defined]


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, tab: str = "") -> HttpResponse:
    """Render a storefront page with the merchant and the tab bar (``tab`` is the highlighted one)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    shell = {"merchant": merchant, "tabs": tab_links(merchant.slug, active=tab, badges=_badges(request))}
    return render(request, template, {**shell, **context})
