"""/flash-sales: create, list, read and cancel flash sales, and claim a unit for a member.

A claim is the crowd's path (see weloop/flashsales/services.py): refused at once when the sale
is sold out, otherwise admitted by the combining writer in a batch, and answered with the member's
``pending_payment`` order, which is paid like any order (POST /orders/{order_no}/payments).
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.flashsales import (
    CancelIn,
    ClaimIn,
    ClaimOut,
    FlashSaleFilters,
    FlashSaleIn,
    FlashSaleOut,
    FlashSalePage,
    claim_out,
    sale_out,
)
from weloop.catalog.models import Sku
from weloop.core.db import get_or_not_found
from weloop.core.rendering import render_error
from weloop.flashsales import selectors, services
from weloop.flashsales.errors import SoldOut
from weloop.members.selectors import member_by_openid
from weloop.orders.services import Address
from weloop.stores.selectors import store_get

router = Router(tags=["Flash sales"])

SaleId = Annotated[str, Path(description="The flash sale's public id (`fs_…`).", example="fs_8ZK2M4Q7PX")]


@router.get("", response=FlashSalePage, summary="List flash sales")
def list_flash_sales(request: HttpRequest, filters: Query[FlashSaleFilters], page: Query[PageIn]) -> dict:
    """Your flash sales, latest start first, with units sold, paid and left."""
    result = paginate(selectors.flash_sale_list(merchant=merchant_of(request), status=filters.status), page)
    result["items"] = [sale_out(sale) for sale in result["items"]]
    return result


@router.get("/{sale_id}", response=FlashSaleOut, summary="Get a flash sale")
def get_flash_sale(request: HttpRequest, sale_id: SaleId) -> dict:
    """One flash sale, with its live counts (sold never exceeds the quota)."""
    return sale_out(selectors.flash_sale_get(merchant=merchant_of(request), public_id=sale_id))


@router.post("", response={201: FlashSaleOut}, summary="Create a flash sale")
def create_flash_sale(request: HttpRequest, payload: FlashSaleIn) -> tuple[int, dict]:
    """Put `quota` units of a SKU on sale at `price_fen` between `starts_at` and `ends_at`.

    Refused with 400 `flashsales.invalid` (`extra.field` says which) and 404 for an unknown SKU or
    store; nothing is written then.
    """
    merchant = merchant_of(request)
    sku = get_or_not_found(
        Sku.objects.for_merchant(merchant).select_related("product"), what="sku", public_id=payload.sku_id
    )
    sale = services.flash_sale_create(
        merchant=merchant,
        sku=sku,
        title=payload.title,
        price_fen=payload.price_fen,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        quota=payload.quota,
        per_member_limit=payload.per_member_limit,
        store=store_get(merchant=merchant, public_id=payload.store_id) if payload.store_id else None,
        actor=actor_of(request),
    )
    return 201, sale_out(sale)


@router.post("/{sale_id}/cancel", response=FlashSaleOut, summary="Cancel a flash sale")
def cancel_flash_sale(request: HttpRequest, sale_id: SaleId, payload: CancelIn) -> dict:
    """Stop taking claims. Orders already won stay payable until their payment window closes.
    An ended or cancelled sale is 409 `state.invalid_transition`."""
    merchant = merchant_of(request)
    sale = selectors.flash_sale_get(merchant=merchant, public_id=sale_id)
    services.flash_sale_cancel(merchant=merchant, sale=sale, actor=actor_of(request), reason=payload.reason)
    return sale_out(selectors.flash_sale_get(merchant=merchant, public_id=sale_id))


@router.post("/{sale_id}/claims", response={201: ClaimOut}, summary="Claim a flash-sale unit for a member")
def claim_flash_sale(request: HttpRequest, sale_id: SaleId, payload: ClaimIn) -> tuple[int, dict] | HttpResponse:
    """Claim units for the member with `openid`: 201 with their `pending_payment` order.

    Refused with 409 `flashsales.sold_out` (at once, without touching the database, once the quota
    is taken), `flashsales.already_claimed` (`extra.order_no`: the member's order),
    `flashsales.not_started`, `flashsales.ended`, `flashsales.cancelled`; 400 `flashsales.member_limit`;
    404 for an unknown member (once the sale is sold out, `flashsales.sold_out` comes first: that
    answer is given before the member is looked up); 503 `flashsales.busy` (try again).
    """
    merchant = merchant_of(request)
    sale = selectors.flash_sale_for_claim(merchant=merchant, public_id=sale_id)
    try:
        # Sold out, not started, ended: answered before the member is looked up (no query at all).
        services.flash_sale_claim_precheck(merchant=merchant, sale=sale, quantity=payload.quantity)
        member = member_by_openid(merchant=merchant, openid=payload.openid)
        claim = services.flash_sale_claim(
            merchant=merchant,
            sale=sale,
            member=member,
            quantity=payload.quantity,
            address=Address(**payload.address.model_dump()) if payload.address else None,
            actor=actor_of(request),
        )
    except SoldOut as exc:
        # The expected answer to most of a crowd: not worth a warning line per buyer in the log.
        response = render_error(request, exc)
        response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log.log_response
        return response
    return 201, claim_out(claim)
