"""/presales: C2B pre-sales (以销定产): create, list, read, cancel, participants, and join for a member.

A presale is decided at its deadline by the periodic job (target met: `succeeded`, production is
triggered; missed: `failed`, every paid order is refunded automatically). Joining answers with the
member's `pending_payment` order, paid like any order (POST /orders/{order_no}/payments); only
paid orders count toward the target.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.presales import (
    CancelIn,
    JoinIn,
    ParticipantOut,
    ParticipantPage,
    PresaleFilters,
    PresaleIn,
    PresaleOut,
    PresalePage,
    participant_out,
    presale_out,
)
from weloop.catalog.models import Sku
from weloop.core.db import get_or_not_found
from weloop.members.selectors import member_by_openid
from weloop.orders.services import Address
from weloop.presales import selectors, services
from weloop.presales.services import PresaleInput
from weloop.stores.selectors import store_get

router = Router(tags=["Presales"])

PresaleId = Annotated[str, Path(description="The presale's public id (`ps_…`).", example="ps_8ZK2M4Q7PX")]


@router.get("", response=PresalePage, summary="List presales")
def list_presales(request: HttpRequest, filters: Query[PresaleFilters], page: Query[PageIn]) -> dict:
    """Your presales, newest first, each with its progress (paid units over the target)."""
    result = paginate(selectors.presale_list(merchant=merchant_of(request), status=filters.status or ""), page)
    result["items"] = [presale_out(p) for p in result["items"]]
    return result


@router.get("/{presale_id}", response=PresaleOut, summary="Get a presale")
def get_presale(request: HttpRequest, presale_id: PresaleId) -> dict:
    """One presale with its progress (paid and pending units against the target); 404 for an unknown id."""
    return presale_out(selectors.presale_get(merchant=merchant_of(request), public_id=presale_id))


@router.post("", response={201: PresaleOut}, summary="Create a presale")
def create_presale(request: HttpRequest, payload: PresaleIn) -> tuple[int, dict]:
    """Create a presale (open at once unless `open` is false). Refused with 400 `presales.invalid`
    (`extra.field`: e.g. a deadline in the past, a target of 0, a deposit not below the price) and
    404 for an unknown SKU or store; nothing is written then."""
    merchant = merchant_of(request)
    sku = get_or_not_found(
        Sku.objects.for_merchant(merchant).select_related("product"), what="sku", public_id=payload.sku_id
    )
    presale = services.presale_create(
        merchant=merchant,
        data=PresaleInput(
            sku=sku,
            mode=payload.mode,
            price_fen=payload.price_fen,
            deposit_fen=payload.deposit_fen,
            target_quantity=payload.target_quantity,
            max_quantity=payload.max_quantity,
            per_member_limit=payload.per_member_limit,
            deadline=payload.deadline,
            balance_window_hours=payload.balance_window_hours,
            lead_time_text=payload.lead_time_text,
            title=payload.title,
            description=payload.description,
            store=store_get(merchant=merchant, public_id=payload.store_id) if payload.store_id else None,
        ),
        actor=actor_of(request),
        open_now=payload.open,
    )
    return 201, presale_out(presale)


@router.post("/{presale_id}/cancel", response=PresaleOut, summary="Cancel a presale")
def cancel_presale(request: HttpRequest, presale_id: PresaleId, payload: CancelIn) -> dict:
    """Call a draft or open presale off: unpaid orders are cancelled, paid ones refunded (retried
    until done). A presale that already ended is 409 `state.invalid_transition`."""
    merchant = merchant_of(request)
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    services.presale_cancel(merchant=merchant, presale=presale, actor=actor_of(request), reason=payload.reason)
    return presale_out(selectors.presale_get(merchant=merchant, public_id=presale_id))


@router.get("/{presale_id}/participants", response=ParticipantPage, summary="List a presale's participants")
def list_participants(request: HttpRequest, presale_id: PresaleId, page: Query[PageIn]) -> dict:
    """Each participant's order, status, refund (with the last error, if any) and balance."""
    merchant = merchant_of(request)
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    result = paginate(selectors.presale_participants(merchant=merchant, presale=presale), page)
    result["items"] = [participant_out(e) for e in result["items"]]
    return result


@router.post("/{presale_id}/participants", response={201: ParticipantOut}, summary="Join a presale for a member")
def join_presale(request: HttpRequest, presale_id: PresaleId, payload: JoinIn) -> tuple[int, dict]:
    """Join for the member with `openid`: 201 with their `pending_payment` order. Refused with 409
    `presales.not_open`, `presales.closed`, `presales.full`; 400 `presales.member_limit`, `presales.invalid`."""
    merchant = merchant_of(request)
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    member = member_by_openid(merchant=merchant, openid=payload.openid)
    entry = services.presale_join(
        merchant=merchant,
        presale=presale,
        member=member,
        quantity=payload.quantity,
        address=Address(**payload.address.model_dump()) if payload.address else None,
        actor=actor_of(request),
    )
    entry = selectors.presale_participants(merchant=merchant, presale=presale).get(pk=entry.pk)
    return 201, participant_out(entry)
