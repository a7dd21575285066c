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

from weloop.tenants.selectors import merchant_for_slug

View = Callable[..., HttpResponse]


def consumer_view(view: View) -> View:
    """Resolve the merchant from the URL's ``merchant_slug`` and put it on ``request.merchant``."""

    @wraps(view)
    def wrapper(request: HttpRequest, merchant_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        request.merchant = merchant_for_slug(merchant_slug)  # type: ignore[attr-defined]
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
    Tab("me", _("Me"), "storefront:me"),  # signs the visitor in through WeChat (identity.member_required)
)


@dataclass(frozen=True)
class TabLink:
    key: str
    label: str | Promise
    url: str
    active: bool


def tab_links(merchant_slug: str, *, active: str) -> list[TabLink]:
    return [
        TabLink(tab.key, tab.label, reverse(tab.url_name, kwargs={"merchant_slug": merchant_slug}), tab.key == active)
        for tab in TABS
        if tab.url_name
    ]


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, tab: str = "") -> HttpResponse:
    """Render a storefront page with the merchant and the tab bar (``tab`` is the highlighted one)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    shell = {"merchant": merchant, "tabs": tab_links(merchant.slug, active=tab)}
    return render(request, template, {**shell, **context})
