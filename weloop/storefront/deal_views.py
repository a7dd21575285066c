"""Deals (团购) in the H5: deals on sale, a deal's page with a buy button, "my vouchers" with each
voucher's QR code and text code, the refund of unused vouchers (随时退), and after redemption the
prompts to follow the service account and to review.

Buying places an order of the deal (``orders.deals.deal_buy``) and goes to the order's pay page;
the vouchers appear once it is paid.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.members.models import QrCode
from weloop.orders import deals
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page
from weloop.vouchers import selectors, services
from weloop.vouchers.models import Voucher

MAX_QUANTITY = 20


def _known(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 for a deal or voucher this merchant does not have, before asking anyone to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        merchant = request.merchant  # type: ignore[attr-defined]
        if "deal_id" in kwargs:
            selectors.deal_get(merchant=merchant, deal_id=kwargs["deal_id"])
        if "voucher_id" in kwargs:
            selectors.voucher_get(merchant=merchant, voucher_id=kwargs["voucher_id"])
        return view(request, *args, **kwargs)

    return wrapper


def _qr_svg(content: str) -> str:
    return qr_svg_inline(content)  # an <svg> element, inlined in HTML


@require_safe
@consumer_view
def deal_list(request: HttpRequest) -> HttpResponse:
    deals_on_sale = list(selectors.deals_on_sale(merchant=request.merchant))  # type: ignore[attr-defined]
    return render_page(request, "storefront/deals.html", {"deals": deals_on_sale}, tab="home")


@require_safe
@consumer_view
def deal_detail(request: HttpRequest, deal_id: str) -> HttpResponse:
    deal = selectors.deal_get(merchant=request.merchant, deal_id=deal_id)  # type: ignore[attr-defined]
    context = {"deal": deal, "stores": selectors.deal_stores(deal), "on_sale": deal.status == "active"}
    return render_page(request, "storefront/deal_detail.html", context, tab="home")


def _pay_url(merchant_slug: str, order_no: str) -> str:
    try:
        return reverse("storefront:order_pay", kwargs={"merchant_slug": merchant_slug, "order_no": order_no})
    except NoReverseMatch:  # the shop's pages are not there: the vouchers page says what to do
        return reverse("storefront:my_vouchers", kwargs={"merchant_slug": merchant_slug})


@never_cache
@require_POST
@consumer_view
@_known
@identity.member_required()
def deal_buy(request: HttpRequest, deal_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    try:
        quantity = max(1, min(MAX_QUANTITY, int(request.POST.get("quantity", "1"))))
    except ValueError:
        quantity = 1
    try:
        order = deals.deal_buy(
            merchant=merchant,
            member=member,
            deal_id=deal_id,
            quantity=quantity,
            actor=f"member:{member.public_id}",
            idempotency_key=str(request.POST.get("idempotency_key", ""))[:100],
            channel="h5_deal",
        )
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
        return redirect("storefront:deal_detail", merchant_slug=merchant.slug, deal_id=deal_id)
    return redirect(_pay_url(merchant.slug, order.order_no))


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_vouchers(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    vouchers = list(selectors.vouchers_of_member(merchant=merchant, member=member))
    return render_page(request, "storefront/my_vouchers.html", {"vouchers": vouchers}, tab="me")


def _follow_qr(merchant: object, voucher: Voucher, member: object) -> str:
    """A QR to follow the service account, credited to the store the voucher was bought for, if any."""
    if getattr(member, "is_following", True):
        return ""
    store_ids = [ds.store_id for ds in voucher.deal.deal_stores.all()]
    qr = (
        QrCode.objects.for_merchant(merchant).filter(store_id__in=store_ids, permanent=True).exclude(url="").first()
        or QrCode.objects.for_merchant(merchant).filter(permanent=True).exclude(url="").first()
    )
    return _qr_svg(qr.url) if qr else ""


@never_cache
@require_safe
@consumer_view
@_known
@identity.member_required()
def voucher_detail(request: HttpRequest, voucher_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    voucher = selectors.voucher_get(merchant=merchant, voucher_id=voucher_id)
    code = selectors.voucher_code_for(merchant=merchant, member=member, voucher=voucher)  # 404 for another's
    usable = selectors.voucher_is_usable(voucher)
    context = {
        "voucher": voucher,
        "code": code,
        "qr_svg": mark_safe(_qr_svg(code.replace("-", ""))) if usable else "",
        "usable": usable,
        "redeemed": voucher.uses_remaining < voucher.uses_total,
        "can_refund": usable and voucher.deal.refund_anytime,
        "follow_qr": mark_safe(_follow_qr(merchant, voucher, member)),
        "following": member.is_following,
        "stores": selectors.deal_stores(voucher.deal),
    }
    return render_page(request, "storefront/voucher_detail.html", context, tab="me")


@never_cache
@require_POST
@consumer_view
@_known
@identity.member_required()
def voucher_refund(request: HttpRequest, voucher_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    try:
        services.voucher_refund_request(
            merchant=merchant, voucher_id=voucher_id, member=member, actor=f"member:{member.public_id}"
        )
        messages.success(request, gettext("Refund requested: the money goes back to where you paid from."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("storefront:voucher_detail", merchant_slug=merchant.slug, voucher_id=voucher_id)
