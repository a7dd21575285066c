"""The member card (会员卡): level, points with history, stored-value balance, growth to the next
level, the daily sign-in, and a short-lived QR that identifies the member at the counter."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.loyalty import selectors, services
from weloop.loyalty.cards import CARD_CODE_SECONDS, card_code
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def member_card(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    account = selectors.account_of(merchant=merchant, member=member)
    upcoming = selectors.next_level(merchant=merchant, growth=account.growth)
    code = card_code(merchant=merchant, member=member)
    context = {
        "account": account,
        "level": account.level,
        "next_level": upcoming,
        "growth_to_next": (upcoming.growth_threshold - account.growth) if upcoming else 0,
        "points": list(selectors.points_history(merchant=merchant, member=member)[:20]),
        "values": list(selectors.value_history(merchant=merchant, member=member)[:10]),
        "signed_in": selectors.signed_in_today(merchant=merchant, member=member, today=clock.today_local().date()),
        "signin_points": selectors.settings_or_default(merchant=merchant).points_daily_signin,
        "card_code": code,
        "qr_svg": mark_safe(qr_svg_inline(code)),
        "refresh_ms": (CARD_CODE_SECONDS - 60) * 1000,
    }
    return render_page(request, "storefront/member_card.html", context, tab="me")


@never_cache
@require_POST
@consumer_view
@identity.member_required()
def member_signin(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    try:
        entry = services.points_signin(merchant=merchant, member=member)
    except WeloopError as error:
        messages.info(request, gettext(error.detail))
    else:
        messages.success(request, gettext("Signed in: +%(points)d points.") % {"points": entry.delta})
    return redirect("storefront:member_card", merchant_slug=merchant.slug)
