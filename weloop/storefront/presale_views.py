"""The presale pages of the H5 (/m/<slug>/presales/…): the list of open presales, a presale with its
progress bar and deadline countdown, joining (→ the order page to pay), my presales with their
status and, in deposit mode, paying the balance. Everything goes through weloop.presales."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from weloop.core.errors import WeloopError
from weloop.orders.services import Address
from weloop.presales import selectors, services
from weloop.storefront.identity import current_member, member_required
from weloop.storefront.shell import consumer_view, render_page


def _context(request: HttpRequest, presale_id: str) -> dict:
    merchant = request.merchant  # type: ignore[attr-defined]
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    member = current_member(request)
    mine = list(selectors.member_entries(merchant=merchant, member=member).filter(presale=presale)) if member else []
    return {"presale": presale, "progress": selectors.presale_progress(presale=presale), "mine": mine}


@require_safe
@consumer_view
def presale_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    presales = [(p, selectors.presale_progress(presale=p)) for p in selectors.presales_open(merchant=merchant)[:50]]
    return render_page(request, "storefront/presales.html", {"presales": presales})


@require_safe
@consumer_view
def presale_page(request: HttpRequest, presale_id: str) -> HttpResponse:
    return render_page(request, "storefront/presale.html", _context(request, presale_id))


def _address(request: HttpRequest) -> Address | None:
    name = request.POST.get("name", "")
    if not name:
        return None
    return Address(
        name=name,
        phone=request.POST.get("phone", ""),
        city=request.POST.get("city", ""),
        detail=request.POST.get("detail", ""),
    )


@require_POST
@consumer_view
def presale_join(request: HttpRequest, presale_id: str) -> HttpResponse:
    # An unknown presale is a 404 before any sign-in: another merchant's ids lead nowhere.
    selectors.presale_get(merchant=request.merchant, public_id=presale_id)  # type: ignore[attr-defined]
    return _join_as_member(request, presale_id)


@member_required()
def _join_as_member(request: HttpRequest, presale_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = request.member  # type: ignore[attr-defined]
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    try:
        quantity = int(request.POST.get("quantity", "1") or "1")
    except ValueError:
        quantity = 0
    try:
        entry = services.presale_join(
            merchant=merchant,
            presale=presale,
            member=member,
            quantity=quantity,
            address=_address(request),
            actor=f"member:{member.public_id}",
        )
    except WeloopError as error:
        response = render_page(request, "storefront/presale.html", {**_context(request, presale_id), "error": error})
        response.status_code = error.status
        return response
    return redirect("storefront:order_detail", merchant_slug=merchant.slug, order_no=entry.order.order_no)


@require_safe
@consumer_view
@member_required()
def my_presales(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    entries = list(selectors.member_entries(merchant=merchant, member=request.member)[:100])  # type: ignore[attr-defined]
    return render_page(request, "storefront/my_presales.html", {"entries": entries})


@require_POST
@consumer_view
def presale_balance_pay(request: HttpRequest, entry_id: str) -> HttpResponse:
    """Start (or resume) paying the balance of a succeeded deposit presale: → the balance order."""
    # An unknown entry is a 404 before any sign-in: another merchant's ids lead nowhere.
    if not selectors.entry_exists(merchant=request.merchant, public_id=entry_id):  # type: ignore[attr-defined]
        raise Http404
    return _balance_as_member(request, entry_id)


@member_required()
def _balance_as_member(request: HttpRequest, entry_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    member = request.member  # type: ignore[attr-defined]
    entry = selectors.member_entry_get(merchant=merchant, member=member, public_id=entry_id)
    try:
        order = services.presale_balance_order(
            merchant=merchant, entry=entry, member=member, address=_address(request), actor=f"member:{member.public_id}"
        )
    except WeloopError as error:
        entries = list(selectors.member_entries(merchant=merchant, member=member)[:100])
        response = render_page(request, "storefront/my_presales.html", {"entries": entries, "error": error})
        response.status_code = error.status
        return response
    return redirect("storefront:order_detail", merchant_slug=merchant.slug, order_no=order.order_no)
