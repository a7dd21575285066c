"""Coupons over the API: templates (what a coupon takes off, validity, scope, budget, stacking),
issued coupons, issuing to members, voiding and using a code on an offline sale.

Money fields end in ``_fen`` (integer fen, 1 yuan = 100 fen); rates are basis points.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StrictInt, WithJsonSchema

from weloop.api.schemas.common import InputSchema, Page
from weloop.coupons.enums import Channel, CouponStatus, TemplateKind, TemplateStatus
from weloop.coupons.models import Coupon, CouponTemplate
from weloop.coupons.services import TemplateInput

FenIn = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
_FEN = "Integer fen; a float, string or negative number is 400 `money.invalid_amount`."


class TemplateIn(InputSchema):
    name: str = Field(description="What members see (1-80 characters).", examples=["满100减20"])
    description: str = Field("", description="Rules shown on the coupon.", examples=["全场通用"])
    kind: TemplateKind = Field(
        description="`amount_off`, `percent_off` (with `cap_fen`), `threshold` (满减: `amount_fen` off from "
        "`threshold_fen`), `free_item` (`free_sku_id` free), `shipping` (waives up to `amount_fen`, 0 = all).",
        examples=["threshold"],
    )
    amount_fen: FenIn = Field(0, description=f"Amount off (or shipping waived). {_FEN}", examples=[2000])
    percent_bps: StrictInt = Field(0, description="Share off in basis points (2000 = 20 % off).", examples=[0])
    cap_fen: FenIn = Field(0, description=f"At most this much off for `percent_off` (0: no cap). {_FEN}")
    threshold_fen: FenIn = Field(0, description=f"Minimum spend on the goods it covers. {_FEN}", examples=[10000])
    free_sku_id: str = Field("", description="The SKU (`sku_…`) given free by a `free_item` coupon.")
    valid_from: dt.datetime | None = Field(None, description="Start of a fixed validity window.")
    valid_until: dt.datetime | None = Field(None, description="End of a fixed window; give this or `valid_days`.")
    valid_days: StrictInt | None = Field(None, description="Valid this many days after issue.", examples=[30])
    store_ids: list[str] = Field([], description="Stores (`st_…`) where it can be used; empty: all.")
    product_ids: list[str] = Field([], description="Products (`pr_…`) it covers; empty: all.")
    budget: StrictInt | None = Field(None, description="At most this many issued in all (none: no limit).")
    per_member_limit: StrictInt = Field(1, description="At most this many per member.", examples=[1])
    stacking_group: str = Field("default", description="At most one coupon per group in an order.")
    combinable: bool = Field(True, description="May be used beside coupons of other groups.")
    claimable: bool = Field(False, description="Members may claim it from its public link / QR.")
    is_birthday: bool = Field(False, description="Given to members on their birthday.")
    on_follow: bool = Field(False, description="Given when a member follows the service account.")
    on_first_payment: bool = Field(False, description="Given after a member's first paid order.")

    def for_service(self) -> TemplateInput:
        return TemplateInput(**self.model_dump())


class TemplateStatusIn(InputSchema):
    status: TemplateStatus = Field(description="`active`, `paused` (no new coupons) or `ended`.", examples=["paused"])


class TemplateOut(Schema):
    id: str = Field(description="The template's public id (`cpt_…`).", examples=["cpt_4K9QX2M7PA"])
    name: str = Field(description="Shown to members.")
    description: str = Field(description="The rules shown to members.")
    kind: TemplateKind = Field(description="amount_off, percent_off, threshold, free_item or shipping.")
    status: TemplateStatus = Field(description="active, paused or ended.")
    amount_fen: int = Field(description="Amount off in fen (for shipping: the most it waives).")
    percent_bps: int = Field(description="Percent off in basis points (2000 = 20 %).")
    cap_fen: int = Field(description="The most a percent-off coupon takes, in fen (0 = no cap).")
    threshold_fen: int = Field(description="Minimum spend on the goods in scope, in fen.")
    free_sku_id: str = Field(description="The SKU given free (`sku_…`), for free_item.")
    valid_from: dt.datetime | None = Field(description="Start of a fixed validity (null with valid_days).")
    valid_until: dt.datetime | None = Field(description="End of a fixed validity (null with valid_days).")
    valid_days: int | None = Field(description="Valid for this many days after issue (null with fixed dates).")
    store_ids: list[str] = Field(description="Stores where it can be used (`st_…`); empty = every store.")
    product_ids: list[str] = Field(description="Products it applies to (`pr_…`); empty = every product.")
    budget: int | None = Field(description="How many may be issued in all; null = no limit.")
    issued_count: int = Field(description="How many were issued.")
    used_count: int = Field(description="How many were used.")
    per_member_limit: int = Field(description="How many one member may hold.")
    stacking_group: str = Field(description="At most one coupon of a group per order.")
    combinable: bool = Field(description="Whether it combines with coupons of other groups.")
    claimable: bool = Field(description="Members may claim it from a link or QR.")
    claim_token: str = Field(description="The claim link's token: `/m/<merchant>/coupons/claim/<token>/`.")
    is_birthday: bool = Field(description="Given on members' birthdays.")
    on_follow: bool = Field(description="Given when a member follows.")
    on_first_payment: bool = Field(description="Given after a member's first payment.")


def template_out(t: CouponTemplate) -> dict[str, Any]:
    return {
        "id": t.public_id,
        **{f: getattr(t, f) for f in TemplateOut.model_fields if f != "id"},
    }


class TemplatePage(Page):
    items: list[TemplateOut] = Field(description="Coupon templates, newest first.")


class TemplateFilters(Schema):
    status: TemplateStatus | None = Field(None, description="Only templates with this status.")


class IssueIn(InputSchema):
    member_ids: list[str] = Field(description="Members (`mb_…`), 1-1000.", examples=[["mb_4K9QX2M7PA"]])
    source_ref: str = Field(
        "", description="Issuing twice with the same reference gives each member one coupon.", examples=["crm-42"]
    )


class IssueOut(Schema):
    issued: int = Field(description="Members who have a coupon for this reference.")
    refused_budget: int = Field(description="Members refused because the budget ran out.")
    refused_limit: int = Field(description="Members refused because they hold their limit.")


class CouponOut(Schema):
    id: str = Field(description="The coupon's public id (`cpn_…`).", examples=["cpn_4K9QX2M7PA"])
    template_id: str = Field(description="The template it was issued from (`cpt_…`).")
    member_id: str = Field(description="The member holding it (`mb_…`).")
    status: CouponStatus = Field(description="available, locked (in an unpaid order), used, expired or void.")
    channel: Channel = Field(description="How it was issued (claim, follow, campaign, clerk…).")
    source_ref: str = Field(description="What issued it (a campaign or a birthday year), for idempotency.")
    valid_from: dt.datetime = Field(description="Usable from.")
    valid_until: dt.datetime = Field(description="Usable until.")
    issued_at: dt.datetime = Field(description="When it was issued.")
    order_no: str = Field(description="The order that holds or used it.")
    used_at: dt.datetime | None = Field(description="When it was used (null until then).")
    used_amount_fen: int = Field(description="What it took off, in fen.")


def coupon_out(c: Coupon) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "template_id": c.template.public_id,
        "member_id": c.member.public_id,
        "status": c.status,
        "channel": c.channel,
        "source_ref": c.source_ref,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "issued_at": c.issued_at,
        "order_no": c.order_no,
        "used_at": c.used_at,
        "used_amount_fen": c.used_amount_fen,
    }


class CouponPage(Page):
    items: list[CouponOut] = Field(description="Issued coupons, newest first.")


class CouponFilters(Schema):
    template_id: str = Field("", description="Only coupons of this template (`cpt_…`).")
    status: CouponStatus | None = Field(None, description="Only coupons with this status.")
    channel: Channel | None = Field(None, description="Only coupons issued through this channel.")
    member_id: str = Field("", description="Only this member's coupons (`mb_…`).")


class RedeemIn(InputSchema):
    code: str = Field(description="The coupon's code as scanned or typed.", examples=["7KQ2M9XA"])
    amount_fen: FenIn = Field(description=f"The offline sale's amount. {_FEN}", examples=[12800])
    store_id: str = Field("", description="The store (`st_…`) where it is used.")
    product_ids: list[str] = Field([], description="Products (`pr_…`) in the sale, for product-scoped coupons.")


class RedeemOut(Schema):
    coupon: CouponOut = Field(description="The coupon after redemption.")
    discount_fen: int = Field(description="What the coupon takes off.")
    payable_fen: int = Field(description="What the customer pays.")


class VoidIn(InputSchema):
    reason: str = Field("", description="Why (kept in the coupon's history).")
