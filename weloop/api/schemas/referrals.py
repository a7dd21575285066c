"""Referrals over the API: settings, bindings, the commission ledger, referrers and payout statements."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.referrals.enums import EntryKind, EntryStatus, PayoutMethod, StatementStatus
from weloop.referrals.models import CommissionEntry, ReferralBinding, Referrer, Statement


class SettingsOut(Schema):
    enabled: bool = Field(description="Whether links bind friends and paid orders earn commission.")
    level1_bps: int = Field(description="The direct referrer's rate in basis points (500 = 5 %).", examples=[500])
    level2_bps: int = Field(description="The second-level referrer's rate in basis points.", examples=[100])
    attribution_days: int = Field(description="How long a friend stays bound to their referrer.", examples=[30])
    freeze_days: int = Field(description="Days after an order completes before its commission is available.")


class SettingsIn(InputSchema):
    enabled: bool = Field(description="Switch the programme on or off.")
    level1_bps: int = Field(description="0 to 10000.", examples=[500])
    level2_bps: int = Field(description="0 to 10000, not above level1_bps.", examples=[100])
    attribution_days: int = Field(description="1 to 3650.", examples=[30])
    freeze_days: int = Field(description="0 to 365.", examples=[7])


class ReferrerOut(Schema):
    id: str = Field(description="The referrer's public id.", examples=["rf_4K9QX2M7PA"])
    code: str = Field(description="The code in share links (`?ref=`).", examples=["7QX2M7PA"])
    member_id: str = Field(description="The referring member's public id.", examples=["mb_2M7PA4K9QX"])
    status: str = Field(description="`active`, or `blocked` (binds nobody, earns nothing new).")
    created_at: dt.datetime = Field(description="When the member first shared.")

    @staticmethod
    def resolve_id(obj: Referrer) -> str:
        return obj.public_id

    @staticmethod
    def resolve_member_id(obj: Referrer) -> str:
        return obj.member.public_id


class ReferrerDetailOut(ReferrerOut):
    frozen_fen: int = Field(description="Commission still in its refund window.", examples=[125])
    available_fen: int = Field(
        description="Commission ready for a statement; negative after a refund of paid-out commission."
    )
    paid_fen: int = Field(description="Commission paid out so far (net of reversals).")


class ReferrerPage(Page):
    items: list[ReferrerOut] = Field(description="Referrers, newest first.")


class BindingOut(Schema):
    id: str = Field(description="The binding's public id.", examples=["rb_4K9QX2M7PA"])
    member_id: str = Field(description="The friend who was referred.", examples=["mb_2M7PA4K9QX"])
    referrer_code: str = Field(description="Their referrer's code.", examples=["7QX2M7PA"])
    referrer_member_id: str = Field(description="Their referrer's member public id.")
    source: str = Field(description="`link`, `poster`, `qr`, `console` or `api`.")
    bound_at: dt.datetime = Field(description="When the friend landed.")
    expires_at: dt.datetime = Field(description="End of the attribution window.")

    @staticmethod
    def resolve_id(obj: ReferralBinding) -> str:
        return obj.public_id

    @staticmethod
    def resolve_member_id(obj: ReferralBinding) -> str:
        return obj.member.public_id

    @staticmethod
    def resolve_referrer_code(obj: ReferralBinding) -> str:
        return obj.referrer.code

    @staticmethod
    def resolve_referrer_member_id(obj: ReferralBinding) -> str:
        return obj.referrer_member.public_id


class BindingPage(Page):
    items: list[BindingOut] = Field(description="Bindings, newest first.")


class BindingFilters(Schema):
    member_id: str | None = Field(None, description="Only this friend's bindings (member public id).")
    referrer_code: str | None = Field(None, description="Only this referrer's friends.")


class BindingIn(InputSchema):
    member_id: str = Field(description="The friend (member public id).", examples=["mb_2M7PA4K9QX"])
    code: str = Field(description="The referrer's code.", examples=["7QX2M7PA"])


class CommissionOut(Schema):
    id: str = Field(description="The entry's public id.", examples=["rc_4K9QX2M7PA"])
    referrer_code: str = Field(description="Who earns (or gives back) it.")
    order_no: str = Field(description="The order; empty for a payout.", examples=["O2026112200123"])
    level: int = Field(description="1 direct referrer, 2 second level, 0 payout.")
    kind: EntryKind = Field(description="`accrue`, `reverse` (a refund) or `payout`.")
    source_ref: str = Field(description="The refund number of a reversal, the statement of a payout.")
    amount_fen: int = Field(description="Signed fen: accruals positive, reversals and payouts negative.")
    base_fen: int = Field(description="Goods paid (accrual) or refunded so far (reversal), shipping excluded.")
    status: EntryStatus = Field(description="`frozen`, `available` or `paid`.")
    statement_id: str | None = Field(description="The statement that took it, if any.")
    unfreeze_at: dt.datetime | None = Field(description="When a frozen entry becomes available (set at completion).")
    created_at: dt.datetime = Field(description="When it was written.")

    @staticmethod
    def resolve_id(obj: CommissionEntry) -> str:
        return obj.public_id

    @staticmethod
    def resolve_referrer_code(obj: CommissionEntry) -> str:
        return obj.referrer.code

    @staticmethod
    def resolve_statement_id(obj: CommissionEntry) -> str | None:
        return obj.statement.public_id if obj.statement else None


class CommissionPage(Page):
    items: list[CommissionOut] = Field(description="Ledger entries, newest first.")


class CommissionFilters(Schema):
    referrer_code: str | None = Field(None, description="Only this referrer's entries.")
    status: EntryStatus | None = Field(None, description="Only entries with this status.")
    kind: EntryKind | None = Field(None, description="Only entries of this kind.")
    level: int | None = Field(None, ge=0, le=2, description="Only this level.")
    order_no: str | None = Field(None, description="Only this order's entries.")


class StatementOut(Schema):
    id: str = Field(description="The statement's public id.", examples=["rs_4K9QX2M7PA"])
    referrer_code: str = Field(description="Who is paid.")
    total_fen: int = Field(description="What is paid: the sum of its lines.", examples=[1250])
    status: StatementStatus = Field(description="`open`, `paid` or `void`.")
    method: str = Field(description="How it was paid: `cash`, `transfer` or `other`; empty while open.")
    note: str = Field(description="The note given when it was marked paid.")
    created_at: dt.datetime = Field(description="When it was made.")
    paid_at: dt.datetime | None = Field(description="When it was marked paid.")
    lines: list[CommissionOut] = Field(description="The entries it pays (accruals and reversals).")

    @staticmethod
    def resolve_id(obj: Statement) -> str:
        return obj.public_id

    @staticmethod
    def resolve_referrer_code(obj: Statement) -> str:
        return obj.referrer.code

    @staticmethod
    def resolve_lines(obj: Statement) -> list[CommissionEntry]:
        return list(obj.lines.exclude(kind=EntryKind.PAYOUT).select_related("referrer", "statement").order_by("id"))


class StatementPage(Page):
    items: list[StatementOut] = Field(description="Statements, newest first.")


class StatementFilters(Schema):
    status: StatementStatus | None = Field(None, description="Only statements with this status.")


class StatementIn(InputSchema):
    referrer_id: str = Field(description="The referrer to pay (public id).", examples=["rf_4K9QX2M7PA"])


class StatementPaidIn(InputSchema):
    method: PayoutMethod = Field(description="How the money was handed over (outside WeLoop).")
    note: str = Field("", max_length=200, description="e.g. the transfer reference.")
