"""Invite friends (联盟营销): the member's share link and poster QR, and who they brought and earned."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.referrals import selectors, services
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable

logger = logging.getLogger(__name__)


def share_url(merchant_slug: str, code: str, *, via: str = "link") -> str:
    """The home page on PUBLIC_URL with the member's code; any H5 page takes ``?ref=`` the same way."""
    query = {"ref": code} if via == "link" else {"ref": code, "via": via}
    home = reverse("storefront:home", kwargs={"merchant_slug": merchant_slug})
    return f"{settings.PUBLIC_URL}{home}?{urlencode(query)}"


def _wechat_qr(merchant: Any, referrer: Any) -> str:
    """The referrer's follow-the-account QR as inline SVG, or "" when WeChat cannot make one now."""
    try:
        qr = services.referrer_wechat_qr(merchant=merchant, referrer=referrer)
    except (WeloopError, WeChatApiError, WeChatUnavailable) as error:
        logger.info("no WeChat referral QR for %s: %s", referrer.code, error)
        return ""
    return qr_svg_inline(qr.url) if qr.url else ""


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def invite(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    programme = selectors.settings_of(merchant=merchant)
    context: dict = {"programme": programme}
    if programme.enabled:
        referrer = services.referrer_for_member(merchant=merchant, member=member)
        poster_url = share_url(merchant.slug, referrer.code, via="poster")
        context["wechat_qr"] = _wechat_qr(merchant, referrer)
        context.update(
            referrer=referrer,
            link=share_url(merchant.slug, referrer.code),
            poster_url=poster_url,
            poster_qr=qr_svg_inline(poster_url),
            level1_percent=programme.level1_bps / 100,
            attribution_days=programme.attribution_days,
        )
    return render_page(request, "storefront/referral_invite.html", context, tab="me")


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_referrals(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    referrer = selectors.referrer_of_member(merchant=merchant, member=member)
    context = {
        "referrer": referrer,
        "balances": selectors.balances_of(merchant=merchant, referrer=referrer),
        "friends": selectors.bindings_of_referrer(merchant=merchant, referrer=referrer),
        "entries": selectors.entries_of_referrer(merchant=merchant, referrer=referrer),
        "my_binding": selectors.active_binding(merchant=merchant, member=member),
        "now": clock.now(),
    }
    return render_page(request, "storefront/my_referrals.html", context, tab="me")
