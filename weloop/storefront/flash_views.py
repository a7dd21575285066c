"""The flash-sale page of the H5 (/m/<slug>/flash/<sale_id>/): countdown, status, units left, the
claim button (POST …/claim, signed-in members only). The claim itself is flashsales' crowd path."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST, require_safe

from weloop.core.errors import WeloopError
from weloop.flashsales import selectors, services
from weloop.flashsales.models import FlashSale
from weloop.storefront.identity import current_member, member_required
from weloop.storefront.shell import consumer_view, render_page


def _context(request: HttpRequest, sale_id: str) -> dict:
    merchant = request.merchant  # type: ignore[attr-defined]
    sale = selectors.flash_sale_get(merchant=merchant, public_id=sale_id)
    member = current_member(request)
    return {
        "sale": sale,
        "phase": services.phase_of(sale),
        "counts": selectors.sale_counts(sale),
        "claim": selectors.member_claim(merchant=merchant, sale=sale, member=member) if member else None,
    }


@require_safe
@consumer_view
def flash_sale_page(request: HttpRequest, sale_id: str) -> HttpResponse:
    return render_page(request, "storefront/flash_sale.html", _context(request, sale_id))


@require_POST
@consumer_view
def flash_sale_claim(request: HttpRequest, sale_id: str) -> HttpResponse:
    # An unknown sale is a 404 before any sign-in: another merchant's ids lead nowhere.
    sale = selectors.flash_sale_for_claim(merchant=request.merchant, public_id=sale_id)  # type: ignore[attr-defined]
    return _claim_as_member(request, sale_id, sale)


@member_required()
def _claim_as_member(request: HttpRequest, sale_id: str, sale: FlashSale) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    error = None
    try:
        member = request.member  # type: ignore[attr-defined]
        services.flash_sale_claim(merchant=merchant, sale=sale, member=member, actor=f"member:{member.public_id}")
    except WeloopError as exc:
        error = exc
    context = {**_context(request, sale_id), "error": error}
    response = render_page(request, "storefront/flash_sale.html", context)
    if error is not None:
        response.status_code = error.status
    return response
