"""Shapes of /loyalty and /stored-value: a member's account, the points and balance ledgers,
adjustments, levels, top-ups."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, StrictInt

from weloop.api.schemas.common import InputSchema, Page
from weloop.loyalty.models import Level, MemberAccount, PointsEntry, ValueEntry


class LevelOut(Schema):
    id: str = Field(description="The level's public id (`lvl_…`).", examples=["lvl_4K9QX2M7PA"])
    name: str = Field(description="Shown to members on the card.", examples=["金卡"])
    growth_threshold_fen: int = Field(description="Growth value (fen paid, net of refunds) from which it applies.")
    discount_bps: int = Field(description="Discount on goods in basis points (500 = 5 % off).")
    free_shipping: bool = Field(description="Members of this level pay no shipping.")
    birthday_template_id: str = Field(description="Coupon template (`cpt_…`) given on the birthday; empty: none.")


class LevelIn(InputSchema):
    name: str = Field(max_length=40, description="Unique among your levels.", examples=["金卡"])
    growth_threshold_fen: StrictInt = Field(
        ge=0, description="Growth value (fen paid, net of refunds) from which it applies; unique.", examples=[500000]
    )
    discount_bps: StrictInt = Field(0, ge=0, le=10000, description="Discount in basis points.", examples=[500])
    free_shipping: bool = Field(False, description="Members of this level pay no shipping.")
    birthday_template_id: str = Field("", max_length=24, description="Birthday coupon template (`cpt_…`), or empty.")


class AccountOut(Schema):
    member_id: str = Field(description="The member's public id.", examples=["mb_4K9QX2M7PA"])
    level: LevelOut | None = Field(description="The member's level (none when no level is set up).")
    points_balance: int = Field(description="Points the member can spend now.")
    growth_fen: int = Field(description="Growth value: fen paid, net of refunds.")
    balance_fen: int = Field(description="Stored-value balance in fen.")
    next_level: LevelOut | None = Field(description="The next level up, if any.")


class PointsEntryOut(Schema):
    kind: Literal["earn", "spend", "return", "expire", "adjust"] = Field(description="What changed the points.")
    delta: int = Field(description="Points added (positive) or taken (negative).")
    balance_after: int = Field(description="The balance right after this entry.")
    expires_at: datetime | None = Field(description="For earned lots: when what remains of it expires.")
    remaining: int = Field(description="For lots: still unspent.")
    ref: str = Field(description="What caused it, e.g. `order:<order_no>`; unique per member and kind.")
    reason: str = Field(description="Why (adjustments carry the reason given).")
    actor: str = Field(description="Who made the change, when a person did.")
    created_at: datetime = Field(description="When.")


class PointsPage(Page):
    items: list[PointsEntryOut] = Field(description="Entries, newest first.")


class PointsAdjustIn(InputSchema):
    delta: StrictInt = Field(description="Points to add (positive) or take away (negative); not 0.", examples=[100])
    reason: str = Field(min_length=1, max_length=200, description="Why; kept in the ledger.", examples=["补偿"])
    ref: str = Field("", max_length=100, description="Makes the adjustment idempotent: the same ref adds once.")


class ValueEntryOut(Schema):
    id: str = Field(description="The entry's public id (`sv_…`).", examples=["sv_4K9QX2M7PA"])
    kind: Literal["topup", "bonus", "spend", "refund", "adjust"] = Field(description="What changed the balance.")
    amount_fen: int = Field(description="Always positive; `credit` says which way it went.")
    credit: bool = Field(description="True: added to the balance; false: taken from it.")
    balance_after_fen: int = Field(description="The balance right after this entry.")
    method: str = Field(description="Top-ups: `cash`, `card` or `wechat`.")
    ref: str = Field(description="Your reference (or what caused it); unique per member and kind.")
    reason: str = Field(description="Why, for payments and adjustments.")
    actor: str = Field(description="Who made the change.")
    created_at: datetime = Field(description="When.")


class ValuePage(Page):
    items: list[ValueEntryOut] = Field(description="Entries, newest first.")


class TopupIn(InputSchema):
    amount_fen: StrictInt = Field(gt=0, description="What the member paid, in fen.", examples=[50000])
    method: Literal["cash", "card"] = Field(description="How the member paid at the counter.")
    ref: str = Field(min_length=1, max_length=80, description="Your reference: the same ref tops up once.")
    bonus: bool = Field(True, description="Add the merchant's top-up bonus, if a rule applies.")


class ValueSpendIn(InputSchema):
    amount_fen: StrictInt = Field(gt=0, description="What to take from the balance, in fen.", examples=[2000])
    ref: str = Field(min_length=1, max_length=80, description="Your reference: the same ref pays once.")
    reason: str = Field("", max_length=200, description="What it paid for.")


class BalanceOut(Schema):
    member_id: str = Field(description="The member's public id.")
    balance_fen: int = Field(description="Stored-value balance in fen.")


def level_out(level: Level | None) -> dict | None:
    if level is None:
        return None
    return {
        "id": level.public_id,
        "name": level.name,
        "growth_threshold_fen": level.growth_threshold,
        "discount_bps": level.discount_bps,
        "free_shipping": level.free_shipping,
        "birthday_template_id": level.birthday_template_id,
    }


def account_out(account: MemberAccount, member_id: str, next_level: Level | None) -> dict:
    return {
        "member_id": member_id,
        "level": level_out(account.level),
        "points_balance": account.points_balance,
        "growth_fen": account.growth,
        "balance_fen": account.balance_fen,
        "next_level": level_out(next_level),
    }


def points_entry_out(e: PointsEntry) -> dict:
    return {
        "kind": e.kind,
        "delta": e.delta,
        "balance_after": e.balance_after,
        "expires_at": e.expires_at,
        "remaining": e.remaining,
        "ref": e.ref,
        "reason": e.reason,
        "actor": e.actor,
        "created_at": e.created_at,
    }


def value_entry_out(e: ValueEntry) -> dict:
    return {
        "id": e.public_id,
        "kind": e.kind,
        "amount_fen": e.amount_fen,
        "credit": e.credit,
        "balance_after_fen": e.balance_after_fen,
        "method": e.method,
        "ref": e.ref,
        "reason": e.reason,
        "actor": e.actor,
        "created_at": e.created_at,
    }
