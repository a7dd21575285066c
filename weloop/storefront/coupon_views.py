"""The member's card pack (卡包): my coupons, a coupon with its QR and code for the counter, and the
claim page a template's public link or QR opens."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.coupons import selectors, services
from weloop.coupons.enums import CouponStatus
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_coupons(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    pack = selectors.member_card_pack(merchant=merchant, member=member)
    tab = request.GET.get("tab", "available")
    shown = {"used": pack.used, "expired": pack.expired}.get(tab, pack.available)
    context = {
        "pack": pack,
        "tab": tab if tab in ("used", "expired") else "available",
        "coupons": shown,
        "claimable": list(selectors.claimable_templates(merchant=merchant)[:10]),
    }
    return render_page(request, "storefront/my_coupons.html", context, tab="me")


def _sign_in_first(request: HttpRequest) -> HttpResponse | None:
    """The sign-in redirect when nobody is signed in, else None (and ``request.member`` is set).

    Views that name a coupon or a claim link look it up before this, so another shop's id is a 404
    and never starts a sign-in here.
    """
    member = identity.current_member(request)
    if member is None:
        return identity.oauth_redirect(request, scope=identity.BASE, next_path=request.get_full_path())
    request.member = member  # type: ignore[attr-defined]
    return None


@never_cache
@require_safe
@consumer_view
def coupon_detail(request: HttpRequest, coupon_id: str) -> HttpResponse:
    selectors.coupon_get(merchant=request.merchant, coupon_id=coupon_id)  # type: ignore[attr-defined]
    if (sign_in := _sign_in_first(request)) is not None:
        return sign_in
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    coupon = selectors.member_coupon_get(merchant=merchant, member=member, coupon_id=coupon_id)
    usable = coupon.status == CouponStatus.AVAILABLE and coupon.valid_until > clock.now()
    context = {
        "coupon": coupon,
        "template": coupon.template,
        "usable": usable,
        "qr_svg": mark_safe(qr_svg_inline(coupon.code)) if usable else "",
    }
    return render_page(request, "storefront/coupon_detail.html", context, tab="me")


@never_cache
@require_http_methods(["GET", "POST"])
@consumer_view
def coupon_claim(request: HttpRequest, claim_token: str) -> HttpResponse:
    """GET: what the coupon is. POST: claim it (twice gives the one coupon back, with a message)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    template = selectors.template_by_claim_token(merchant=merchant, claim_token=claim_token)
    if (sign_in := _sign_in_first(request)) is not None:
        return sign_in
    member = request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            result = services.coupon_claim(
                merchant=merchant, member=member, claim_token=claim_token, channel=request.POST.get("via") or "claim"
            )
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
            return redirect("storefront:coupon_claim", merchant_slug=merchant.slug, claim_token=claim_token)
        if result.already_claimed:
            messages.info(request, gettext("You already claimed this coupon: here it is."))
        else:
            messages.success(request, gettext("Coupon claimed: it is in your card pack."))
        return redirect("storefront:coupon_detail", merchant_slug=merchant.slug, coupon_id=result.coupon.public_id)
    context = {"template": template, "claim_token": claim_token}
    return render_page(request, "storefront/coupon_claim.html", context, tab="me")
