"""/deals and /vouchers: group-buy deals, the vouchers buying them issues, redemption and settlement.

Redeeming through the API is what a till or a partner's scanner does: the code as scanned, the
store, how many uses. Exactly once: two scanners sending the same code at the same moment get one
redemption and one 409 `vouchers.already_used`.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.vouchers import (
    DealFilters,
    DealIn,
    DealOut,
    DealPage,
    DealStatusIn,
    RedeemIn,
    RedemptionOut,
    SettlementFilters,
    SettlementOut,
    VoucherFilters,
    VoucherOut,
    VoucherPage,
    deal_out,
    redemption_out,
    settlement_out,
    voucher_out,
)
from weloop.core.db import get_or_not_found
from weloop.orders import deals
from weloop.stores.selectors import store_get
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import staff_list
from weloop.vouchers import selectors, services

deals_router = Router(tags=["Deals and vouchers"])
vouchers_router = Router(tags=["Deals and vouchers"])

DealId = Annotated[str, Path(description="The deal's public id (`dl_…`).", example="dl_4K9QX2M7PA")]
VoucherId = Annotated[str, Path(description="The voucher's public id (`vc_…`).", example="vc_4K9QX2M7PA")]
RedemptionId = Annotated[str, Path(description="The redemption's public id (`rd_…`).", example="rd_4K9QX2M7PA")]


def _stores(merchant: Merchant, store_ids: list[str]) -> list[Any]:
    return [store_get(merchant=merchant, public_id=store_id) for store_id in dict.fromkeys(store_ids)]


# --- deals ----------------------------------------------------------------------------------------


@deals_router.get("", response=DealPage, summary="List deals")
def list_deals(request: HttpRequest, filters: Query[DealFilters], page: Query[PageIn]) -> dict:
    """Your deals, newest first, optionally only those with a status."""
    result = paginate(selectors.deal_list(merchant=merchant_of(request), status=filters.status), page)
    return {"count": result["count"], "items": [deal_out(d) for d in result["items"]]}


@deals_router.get("/{deal_id}", response=DealOut, summary="Get a deal")
def get_deal(request: HttpRequest, deal_id: DealId) -> dict:
    """One deal: prices, validity, stores, rules, quota, commissions and refund policy."""
    return deal_out(selectors.deal_get(merchant=merchant_of(request), deal_id=deal_id))


@deals_router.post("", response={201: DealOut}, summary="Create a deal")
def create_deal(request: HttpRequest, payload: DealIn) -> dict:
    """Create a draft deal with its catalog product and SKU, its quota and its per-member limit.

    Put it on sale with the status operation. Refused with 400 `vouchers.invalid_deal`,
    `money.invalid_amount` or `catalog.product_name_taken`; 404 for a store that is not yours.
    Nothing is written then.
    """
    merchant = merchant_of(request)
    deal = deals.deal_launch(
        merchant=merchant,
        data=payload.for_service(),
        stores=_stores(merchant, payload.store_ids),
        description=payload.description,
        actor=actor_of(request),
    )
    return deal_out(selectors.deal_get(merchant=merchant, deal_id=deal.public_id))


@deals_router.put("/{deal_id}", response=DealOut, summary="Change a deal")
def update_deal(request: HttpRequest, deal_id: DealId, payload: DealIn) -> dict:
    """Replace a deal's fields; vouchers already issued keep theirs. The quota cannot go below what is
    held or sold (409 `inventory.below_committed`)."""
    merchant = merchant_of(request)
    deals.deal_revise(
        merchant=merchant,
        deal_id=deal_id,
        data=payload.for_service(),
        stores=_stores(merchant, payload.store_ids),
        actor=actor_of(request),
    )
    return deal_out(selectors.deal_get(merchant=merchant, deal_id=deal_id))


@deals_router.post("/{deal_id}/status", response=DealOut, summary="Put a deal on sale or end it")
def set_deal_status(request: HttpRequest, deal_id: DealId, payload: DealStatusIn) -> dict:
    """`active` puts it (and its product) on sale; `ended` stops selling it, vouchers stay valid.
    A move the deal machine forbids is 409 `state.invalid_transition`."""
    merchant = merchant_of(request)
    deals.deal_change_status(merchant=merchant, deal_id=deal_id, status=payload.status, actor=actor_of(request))
    return deal_out(selectors.deal_get(merchant=merchant, deal_id=deal_id))


# --- vouchers -------------------------------------------------------------------------------------


@vouchers_router.get("", response=VoucherPage, summary="List vouchers")
def list_vouchers(request: HttpRequest, filters: Query[VoucherFilters], page: Query[PageIn]) -> dict:
    """Vouchers, newest first: a member's (`member_id`), a deal's, or by status. Codes are never returned."""
    vouchers = selectors.voucher_list(
        merchant=merchant_of(request), member_id=filters.member_id, status=filters.status, deal_id=filters.deal_id
    )
    result = paginate(vouchers, page)
    return {"count": result["count"], "items": [voucher_out(v) for v in result["items"]]}


@vouchers_router.get("/settlement", response=SettlementOut, summary="Settlement per store")
def settlement(request: HttpRequest, filters: Query[SettlementFilters]) -> dict:
    """What each store redeemed between two days (inclusive, local time): uses, list value, price paid,
    platform and merchant commission and the store's net, exact in fen. Undone redemptions are excluded."""
    merchant = merchant_of(request)
    start, end = selectors.period_of_days(filters.start, filters.end)
    store_ids = [store_get(merchant=merchant, public_id=filters.store_id).public_id] if filters.store_id else None
    return settlement_out(selectors.settlement_report(merchant=merchant, start=start, end=end, store_ids=store_ids))


@vouchers_router.post("/redeem", response={201: RedemptionOut}, summary="Redeem a voucher")
def redeem(request: HttpRequest, payload: RedeemIn) -> dict:
    """Take `count` uses of the voucher with `code` at `store_id`.

    400 `vouchers.malformed_code` (a typo: refused without a lookup) or `vouchers.invalid_count`;
    404 `vouchers.unknown_code`; 403 `vouchers.wrong_store`; 409 `vouchers.expired`,
    `vouchers.not_yet_valid`, `vouchers.already_used`, `vouchers.not_enough_uses`, `vouchers.closed`.
    """
    merchant = merchant_of(request)
    staff = (
        get_or_not_found(staff_list(merchant=merchant), what="staff", public_id=payload.staff_id)
        if payload.staff_id
        else None
    )
    redemption = services.voucher_redeem(
        merchant=merchant,
        code=payload.code,
        store=store_get(merchant=merchant, public_id=payload.store_id),
        count=payload.count,
        staff=staff,
        actor=actor_of(request),
    )
    return redemption_out(redemption)


@vouchers_router.post("/redemptions/{redemption_id}/undo", response=RedemptionOut, summary="Undo a redemption")
def undo(request: HttpRequest, redemption_id: RedemptionId) -> dict:
    """Give the uses back, within the undo window (WELOOP_VOUCHER_UNDO_MINUTES, default 10). The ledger
    row stays, stamped `undone_at`. 409 `vouchers.undo_window_passed`, `vouchers.already_undone`,
    `vouchers.closed`."""
    merchant = merchant_of(request)
    services.redemption_undo(merchant=merchant, redemption_id=redemption_id, actor=actor_of(request))
    return redemption_out(selectors.redemption_get(merchant=merchant, redemption_id=redemption_id))


@vouchers_router.get("/{voucher_id}", response=VoucherOut, summary="Get a voucher")
def get_voucher(request: HttpRequest, voucher_id: VoucherId) -> dict:
    """One voucher: its deal, owner, uses and validity (never its code)."""
    return voucher_out(selectors.voucher_get(merchant=merchant_of(request), voucher_id=voucher_id))
