"""Deals and vouchers over the API: deals, a member's vouchers, redemption, undo and settlement.

Money fields end in ``_fen`` (integer fen, 1 yuan = 100 fen). Commissions are basis points
(1 bp = 0.01 %). A voucher's code is never returned here: the API key is the merchant's, and a
code is shown only to the member who owns it (H5 "my vouchers").
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StrictInt, WithJsonSchema

from weloop.api.schemas.common import InputSchema, Page
from weloop.vouchers.enums import DealStatus, VoucherKind, VoucherStatus
from weloop.vouchers.models import Deal, Redemption, Voucher
from weloop.vouchers.selectors import Settlement
from weloop.vouchers.services import DealInput

FenIn = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
_FEN = "Integer fen (1 yuan = 100 fen); a float, string or negative number is 400 `money.invalid_amount`."


class DealIn(InputSchema):
    name: str = Field(
        description="What the deal is called (1-120 characters, unique among products).", examples=["双人咖啡套餐"]
    )
    description: str = Field("", description="Longer description shown on the deal page.", examples=["两杯手冲咖啡"])
    kind: VoucherKind = Field(VoucherKind.SINGLE, description="`single` (one use) or `punch` (a punch card of N uses).")
    uses_per_voucher: StrictInt = Field(
        1, description="Uses of a punch card (2-1000); ignored for `single`.", examples=[10]
    )
    list_price_fen: FenIn = Field(description=f"The list (face) price. {_FEN}", examples=[6800])
    deal_price_fen: FenIn = Field(description=f"The price paid, at most the list price. {_FEN}", examples=[3990])
    valid_from: dt.datetime | None = Field(None, description="Start of a fixed validity window (default: purchase).")
    valid_until: dt.datetime | None = Field(
        None,
        description="End of a fixed validity window; give this or `valid_days`.",
        examples=["2026-12-31T23:59:59+08:00"],
    )
    valid_days: StrictInt | None = Field(
        None, description="Valid for this many days after purchase (1-3660).", examples=[90]
    )
    usage_rules: str = Field(
        "", description="Usage rules shown to the buyer and the clerk.", examples=["周末通用，无需预约"]
    )
    per_member_limit: StrictInt | None = Field(
        None, description="At most this many per member (none: no limit).", examples=[2]
    )
    quota: StrictInt = Field(
        0, description="How many can be sold (held at checkout, confirmed on payment).", examples=[500]
    )
    platform_commission_bp: StrictInt = Field(
        0, description="The platform's commission in basis points.", examples=[600]
    )
    merchant_commission_bp: StrictInt = Field(
        0, description="The merchant's commission in basis points.", examples=[250]
    )
    refund_anytime: bool = Field(True, description="随时退: the member may refund unused vouchers at any time.")
    refund_on_expiry: bool = Field(True, description="过期退: unused vouchers are refunded when they expire.")
    store_ids: list[str] = Field(
        description="Stores (`st_…`) where vouchers may be redeemed.", examples=[["st_4K9QX2M7PA"]]
    )

    def for_service(self) -> DealInput:
        return DealInput(
            name=self.name,
            kind=self.kind,
            uses_per_voucher=self.uses_per_voucher,
            list_price_fen=self.list_price_fen,
            deal_price_fen=self.deal_price_fen,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            valid_days=self.valid_days,
            usage_rules=self.usage_rules,
            per_member_limit=self.per_member_limit,
            quota=self.quota,
            platform_commission_bp=self.platform_commission_bp,
            merchant_commission_bp=self.merchant_commission_bp,
            refund_anytime=self.refund_anytime,
            refund_on_expiry=self.refund_on_expiry,
        )


class DealStatusIn(InputSchema):
    status: DealStatus = Field(
        description="`active` puts the deal on sale, `ended` stops selling it.", examples=["active"]
    )


class DealOut(Schema):
    id: str = Field(description="The deal's public id (`dl_…`).", examples=["dl_4K9QX2M7PA"])
    name: str = Field(description="Name.", examples=["双人咖啡套餐"])
    status: DealStatus = Field(description="`draft`, `active` (on sale) or `ended`.")
    sku_id: str = Field(description="The catalog SKU the deal sells (`sku_…`).", examples=["sku_4K9QX2M7PA"])
    kind: VoucherKind = Field(description="`single` or `punch`.")
    uses_per_voucher: int = Field(description="Uses per voucher.", examples=[1])
    list_price_fen: int = Field(description="List price in fen.", examples=[6800])
    deal_price_fen: int = Field(description="Deal price in fen.", examples=[3990])
    valid_from: dt.datetime | None = Field(description="Start of a fixed validity window.")
    valid_until: dt.datetime | None = Field(description="End of a fixed validity window.")
    valid_days: int | None = Field(description="Days of validity after purchase.", examples=[90])
    usage_rules: str = Field(description="Usage rules.", examples=["周末通用"])
    per_member_limit: int | None = Field(description="Limit per member.", examples=[2])
    quota: int = Field(description="How many can be sold in all.", examples=[500])
    platform_commission_bp: int = Field(description="Platform commission (bp).", examples=[600])
    merchant_commission_bp: int = Field(description="Merchant commission (bp).", examples=[250])
    refund_anytime: bool = Field(description="随时退.")
    refund_on_expiry: bool = Field(description="过期退.")
    store_ids: list[str] = Field(description="Stores where it can be redeemed.", examples=[["st_4K9QX2M7PA"]])


def deal_out(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.public_id,
        "name": deal.name,
        "status": deal.status,
        "sku_id": deal.sku.public_id,
        "kind": deal.kind,
        "uses_per_voucher": deal.uses_per_voucher,
        "list_price_fen": deal.list_price_fen,
        "deal_price_fen": deal.deal_price_fen,
        "valid_from": deal.valid_from,
        "valid_until": deal.valid_until,
        "valid_days": deal.valid_days,
        "usage_rules": deal.usage_rules,
        "per_member_limit": deal.per_member_limit,
        "quota": deal.quota,
        "platform_commission_bp": deal.platform_commission_bp,
        "merchant_commission_bp": deal.merchant_commission_bp,
        "refund_anytime": deal.refund_anytime,
        "refund_on_expiry": deal.refund_on_expiry,
        "store_ids": [ds.store.public_id for ds in deal.deal_stores.all()],
    }


class DealPage(Page):
    items: list[DealOut] = Field(description="This page of deals, newest first.")


class DealFilters(Schema):
    status: DealStatus | None = Field(None, description="Only deals with this status.")


class VoucherFilters(Schema):
    member_id: str | None = Field(None, description="Only vouchers of this member (`mb_…`).")
    status: VoucherStatus | None = Field(None, description="Only vouchers with this status.")
    deal_id: str | None = Field(None, description="Only vouchers of this deal (`dl_…`).")


class VoucherOut(Schema):
    id: str = Field(description="The voucher's public id (`vc_…`).", examples=["vc_4K9QX2M7PA"])
    deal_id: str = Field(description="Its deal (`dl_…`).", examples=["dl_4K9QX2M7PA"])
    member_id: str = Field(description="Its owner (`mb_…`).", examples=["mb_4K9QX2M7PA"])
    status: VoucherStatus = Field(description="`active`, `used`, `expired`, `refund_pending`, `refunded` or `void`.")
    kind: VoucherKind = Field(description="`single` or `punch`.")
    code_tail: str = Field(
        description="The code's last 4 characters (the code itself is never returned).", examples=["3WDA"]
    )
    uses_total: int = Field(description="Uses it was issued with.", examples=[10])
    uses_remaining: int = Field(description="Uses left.", examples=[7])
    paid_fen: int = Field(description="What this voucher cost (its share of the order line), fen.", examples=[3990])
    order_no: str = Field(description="The order that bought it.", examples=["O2026021712345678"])
    valid_from: dt.datetime = Field(description="Usable from.")
    valid_until: dt.datetime = Field(description="Usable until (exclusive).")
    issued_at: dt.datetime = Field(description="When it was issued.")


def voucher_out(voucher: Voucher) -> dict[str, Any]:
    return {
        "id": voucher.public_id,
        "deal_id": voucher.deal.public_id,
        "member_id": voucher.member.public_id,
        "status": voucher.status,
        "kind": voucher.kind,
        "code_tail": voucher.code_tail,
        "uses_total": voucher.uses_total,
        "uses_remaining": voucher.uses_remaining,
        "paid_fen": voucher.paid_fen,
        "order_no": voucher.order_no,
        "valid_from": voucher.valid_from,
        "valid_until": voucher.valid_until,
        "issued_at": voucher.issued_at,
    }


class VoucherPage(Page):
    items: list[VoucherOut] = Field(description="This page of vouchers, newest first.")


class RedeemIn(InputSchema):
    code: str = Field(
        description="The code as typed or scanned (case, spaces and dashes do not matter). A typo is 400 "
        "`vouchers.malformed_code` before any lookup.",
        examples=["4K9Q-X2M7-PA8Z-3WDA"],
    )
    store_id: str = Field(
        description="The store redeeming it (`st_…`); it must be one of the deal's stores.", examples=["st_4K9QX2M7PA"]
    )
    count: StrictInt = Field(1, description="Uses to take (punch cards: 1 to the uses left).", examples=[1])
    staff_id: str | None = Field(None, description="The clerk who redeemed it (`sf_…`), for the ledger.")


class RedemptionOut(Schema):
    id: str = Field(description="The redemption's public id (`rd_…`), to undo it.", examples=["rd_4K9QX2M7PA"])
    voucher_id: str = Field(description="The voucher (`vc_…`).", examples=["vc_4K9QX2M7PA"])
    deal_id: str = Field(description="The deal (`dl_…`).", examples=["dl_4K9QX2M7PA"])
    deal_name: str = Field(description="The deal's name, to show the clerk.", examples=["双人咖啡套餐"])
    store_id: str = Field(description="Where it was redeemed.", examples=["st_4K9QX2M7PA"])
    count: int = Field(description="Uses taken.", examples=[1])
    uses_remaining: int = Field(description="Uses the voucher has left now.", examples=[0])
    face_value_fen: int = Field(description="The uses' share of the list price, fen.", examples=[6800])
    paid_fen: int = Field(description="The uses' share of the price paid, fen.", examples=[3990])
    platform_commission_fen: int = Field(description="Platform commission on it, fen.", examples=[239])
    merchant_commission_fen: int = Field(description="Merchant commission on it, fen.", examples=[100])
    redeemed_at: dt.datetime = Field(description="When.")
    undone_at: dt.datetime | None = Field(description="When it was undone (null: it stands).")
    actor: str = Field(description="Who redeemed it.", examples=["api:key_4K9QX2M7PA"])


def redemption_out(r: Redemption) -> dict[str, Any]:
    r.voucher.refresh_from_db(fields=["uses_remaining"])
    return {
        "id": r.public_id,
        "voucher_id": r.voucher.public_id,
        "deal_id": r.deal.public_id,
        "deal_name": r.deal.name,
        "store_id": r.store.public_id,
        "count": r.count,
        "uses_remaining": r.voucher.uses_remaining,
        "face_value_fen": r.face_value_fen,
        "paid_fen": r.paid_fen,
        "platform_commission_fen": r.platform_commission_fen,
        "merchant_commission_fen": r.merchant_commission_fen,
        "redeemed_at": r.redeemed_at,
        "undone_at": r.undone_at,
        "actor": r.actor,
    }


class SettlementFilters(Schema):
    start: dt.date = Field(description="First day (local time, inclusive).", examples=["2026-11-01"])
    end: dt.date = Field(description="Last day (local time, inclusive).", examples=["2026-11-30"])
    store_id: str | None = Field(None, description="Only this store (`st_…`).")


class SettlementRowOut(Schema):
    store_id: str = Field(description="The store (`st_…`).", examples=["st_4K9QX2M7PA"])
    store_name: str = Field(description="Its name.", examples=["福田旗舰店"])
    redemptions: int = Field(description="Redemptions that stand (undone ones excluded).", examples=[12])
    uses: int = Field(description="Uses redeemed.", examples=[15])
    face_value_fen: int = Field(description="Their list-price value, fen.", examples=[81600])
    paid_fen: int = Field(description="What buyers paid for them, fen.", examples=[47880])
    platform_commission_fen: int = Field(description="Platform commission, fen.", examples=[2873])
    merchant_commission_fen: int = Field(description="Merchant commission, fen.", examples=[1197])
    store_net_fen: int = Field(description="Owed to the store: paid less both commissions, fen.", examples=[43810])


class SettlementOut(Schema):
    start: dt.datetime = Field(description="Start of the period (inclusive).")
    end: dt.datetime = Field(description="End of the period (exclusive).")
    rows: list[SettlementRowOut] = Field(description="One row per store that redeemed something.")
    totals: SettlementRowOut = Field(description="The sums over all rows (store fields empty).")


def settlement_out(report: Settlement) -> dict[str, Any]:
    fields = ("face_value_fen", "paid_fen", "platform_commission_fen", "merchant_commission_fen", "store_net_fen")
    rows = [
        {**{f: getattr(r, f) for f in ("store_id", "store_name", "redemptions", "uses", *fields)}} for r in report.rows
    ]
    totals = {"store_id": "", "store_name": ""} | {
        f: sum(row[f] for row in rows) for f in ("redemptions", "uses", *fields)
    }
    return {"start": report.start, "end": report.end, "rows": rows, "totals": totals}
