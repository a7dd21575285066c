"""/loyalty and /stored-value: a member's points, level and stored-value balance.

Points are earned from paid orders (and reversed in proportion on refunds), reviews and the daily
sign-in; they are spent at checkout and expire after the merchant's number of months (oldest lots
first). Levels follow the growth value (fen paid net of refunds). Stored value is topped up at the
counter (cash or bank card, with the merchant's bonus rules) and spent with a reference; neither
balance ever goes below zero, and every write with a `ref` happens once.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.loyalty import (
    AccountOut,
    BalanceOut,
    LevelIn,
    LevelOut,
    PointsAdjustIn,
    PointsEntryOut,
    PointsPage,
    TopupIn,
    ValueEntryOut,
    ValuePage,
    ValueSpendIn,
    account_out,
    level_out,
    points_entry_out,
    value_entry_out,
)
from weloop.core.errors import NotFound
from weloop.loyalty import selectors, services
from weloop.loyalty.services import LevelInput
from weloop.members.selectors import member_get

router = Router(tags=["Loyalty"])
stored_value_router = Router(tags=["Stored value"])

MemberId = Annotated[str, Path(description="The member's public id (`mb_…`).", example="mb_8ZK2M4Q7PX")]
LevelId = Annotated[str, Path(description="The level's public id (`lvl_…`).", example="lvl_8ZK2M4Q7PX")]


@router.get("/levels", response=list[LevelOut], summary="List levels")
def list_levels(request: HttpRequest) -> list:
    """The levels from the lowest growth threshold up."""
    return [level_out(level) for level in selectors.levels(merchant=merchant_of(request))]


@router.post("/levels", response={201: LevelOut}, summary="Create a level")
def create_level(request: HttpRequest, payload: LevelIn) -> tuple[int, dict | None]:
    """Members are moved to the level of their growth at once. 400 `loyalty.invalid_level` when the
    name or threshold is taken."""
    level = services.level_create(merchant=merchant_of(request), data=_level_input(payload))
    return 201, level_out(level)


@router.put("/levels/{level_id}", response=LevelOut, summary="Replace a level")
def update_level(request: HttpRequest, level_id: LevelId, payload: LevelIn) -> dict | None:
    """Replace a level's name, threshold and benefits; members are re-placed at once."""
    merchant = merchant_of(request)
    level = _level(merchant, level_id)
    return level_out(services.level_update(merchant=merchant, level=level, data=_level_input(payload)))


@router.delete("/levels/{level_id}", response={204: None}, summary="Delete a level")
def delete_level(request: HttpRequest, level_id: LevelId) -> tuple[int, None]:
    """Delete a level; its members move to the level their growth reaches."""
    merchant = merchant_of(request)
    services.level_delete(merchant=merchant, level=_level(merchant, level_id))
    return 204, None


@router.get("/members/{member_id}", response=AccountOut, summary="Get a member's account")
def get_account(request: HttpRequest, member_id: MemberId) -> dict:
    """Level, points, growth value, stored-value balance and the next level up."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    account = selectors.account_of(merchant=merchant, member=member)
    return account_out(account, member.public_id, selectors.next_level(merchant=merchant, growth=account.growth))


@router.get("/members/{member_id}/points", response=PointsPage, summary="A member's points ledger")
def points_ledger(request: HttpRequest, member_id: MemberId, page: Query[PageIn]) -> dict:
    """Every change of the member's points, newest first (earned lots show what remains and when it expires)."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    result = paginate(selectors.points_history(merchant=merchant, member=member), page)
    result["items"] = [points_entry_out(e) for e in result["items"]]
    return result


@router.post(
    "/members/{member_id}/points/adjust", response={201: PointsEntryOut, 200: AccountOut}, summary="Adjust points"
)
def adjust_points(request: HttpRequest, member_id: MemberId, payload: PointsAdjustIn) -> tuple[int, dict]:
    """Add or take points with a reason. 409 `loyalty.insufficient_points` when taking more than the
    balance; with a `ref` seen before, nothing changes and the account is returned (200)."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    entry = services.points_adjust(
        merchant=merchant,
        member=member,
        delta=payload.delta,
        reason=payload.reason,
        actor=actor_of(request),
        ref=payload.ref,
    )
    if entry is None:
        account = selectors.account_of(merchant=merchant, member=member)
        return 200, account_out(
            account, member.public_id, selectors.next_level(merchant=merchant, growth=account.growth)
        )
    return 201, points_entry_out(entry)


@stored_value_router.get("/members/{member_id}", response=BalanceOut, summary="A member's balance")
def get_balance(request: HttpRequest, member_id: MemberId) -> dict:
    """The member's stored-value balance in fen (0 before the first top-up)."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    return {
        "member_id": member.public_id,
        "balance_fen": selectors.account_of(merchant=merchant, member=member).balance_fen,
    }


@stored_value_router.get("/members/{member_id}/ledger", response=ValuePage, summary="A member's balance ledger")
def value_ledger(request: HttpRequest, member_id: MemberId, page: Query[PageIn]) -> dict:
    """Every change of the member's stored-value balance, newest first."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    result = paginate(selectors.value_history(merchant=merchant, member=member), page)
    result["items"] = [value_entry_out(e) for e in result["items"]]
    return result


@stored_value_router.post("/members/{member_id}/topups", response={201: ValueEntryOut}, summary="Top up")
def topup(request: HttpRequest, member_id: MemberId, payload: TopupIn) -> tuple[int, dict]:
    """A top-up paid at the counter (the merchant's bonus is added as its own ledger row). The same
    `ref` tops up once: a retry answers with the first top-up."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    entry = services.value_topup(
        merchant=merchant,
        member=member,
        amount_fen=payload.amount_fen,
        method=payload.method,
        ref=f"api:{payload.ref}",
        actor=actor_of(request),
        with_bonus=payload.bonus,
    )
    return 201, value_entry_out(entry)


@stored_value_router.post(
    "/members/{member_id}/payments", response={201: ValueEntryOut}, summary="Pay from the balance"
)
def spend(request: HttpRequest, member_id: MemberId, payload: ValueSpendIn) -> tuple[int, dict]:
    """Take `amount_fen` from the balance. 409 `loyalty.insufficient_balance` when it is short
    (nothing is taken); the same `ref` pays once."""
    merchant = merchant_of(request)
    member = member_get(merchant=merchant, public_id=member_id)
    entry = services.value_spend(
        merchant=merchant,
        member=member,
        amount_fen=payload.amount_fen,
        ref=f"api:{payload.ref}",
        actor=actor_of(request),
        reason=payload.reason,
    )
    return 201, value_entry_out(entry)


def _level(merchant: object, level_id: str):  # type: ignore[no-untyped-def]
    level = selectors.level_by_public_id(merchant=merchant, level_id=level_id)
    if level is None:
        raise NotFound(extra={"what": "level"})
    return level


def _level_input(payload: LevelIn) -> LevelInput:
    return LevelInput(
        name=payload.name,
        growth_threshold=payload.growth_threshold_fen,
        discount_bps=payload.discount_bps,
        free_shipping=payload.free_shipping,
        birthday_template_id=payload.birthday_template_id,
    )
