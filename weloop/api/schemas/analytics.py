"""The attribution ledger over the API: its entries, and performance per store and per guide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.analytics.enums import EntryKind, SourceKind
from weloop.analytics.models import AttributionEntry
from weloop.analytics.selectors import Performance
from weloop.api.schemas.common import Page


class PeriodFilters(Schema):
    start: dt.date | None = Field(
        None, description="First day (local time, inclusive); default 29 days before `end`.", examples=["2026-11-01"]
    )
    end: dt.date | None = Field(
        None, description="Last day (local time, inclusive); default today.", examples=["2026-11-30"]
    )


class EntryFilters(PeriodFilters):
    start: dt.date | None = Field(None, description="Only entries from this day (local time, inclusive).")
    end: dt.date | None = Field(None, description="Only entries up to this day (local time, inclusive).")
    kind: EntryKind | None = Field(None, description="Only this kind: `order`, `booking` or `redemption`.")
    store_id: str | None = Field(None, description="Only entries credited to this store (`st_…`).")
    guide_id: str | None = Field(None, description="Only entries credited to this guide (staff, `stf_…`).")
    source_kind: SourceKind | None = Field(
        None, description="Only this kind of source: `qr`, `table`, `deal`, `referrer` or `direct`."
    )
    source: str | None = Field(None, description="Only this source: a QR scene, a table code, a deal id.")
    channel: str | None = Field(None, description="Only this channel, e.g. `h5`, `valet`, `api`, `redeem`.")
    reference: str | None = Field(None, description="Only entries of this order number, redemption or booking id.")


class EntryOut(Schema):
    id: str = Field(description="The entry's public id.", examples=["ae_4K9XPA7Q2M"])
    key: str = Field(
        description="The fact recorded, unique per merchant (a replayed event writes nothing new): "
        "`order_paid:<order no>`, `order_refund:<refund no>`, `redemption:<id>`, `redemption_undone:<id>`, "
        "`booking:<id>`, `booking_cancelled:<id>`.",
        examples=["order_refund:O2026112200123R01"],
    )
    kind: EntryKind = Field(description="`order`, `booking` or `redemption`.", examples=["order"])
    is_reversal: bool = Field(description="True for a refund, an undone redemption or a cancelled booking.")
    reverses_id: str | None = Field(description="The entry a reversal reverses (`ae_…`).", examples=["ae_7Q2M4K9XPA"])
    amount_fen: int = Field(
        description="Signed fen: what an order paid (refunds negative); the price paid for redeemed uses; "
        "a booking's price.",
        examples=[-500],
    )
    units: int = Field(
        description="Signed: 1 per order paid (0 for a refund), uses redeemed, 1 per booking.", examples=[0]
    )
    reference: str = Field(description="The order number, redemption or booking id.", examples=["O2026112200123"])
    store_id: str | None = Field(description="The store credited (`st_…`).", examples=["st_4K9QX2M7PA"])
    guide_id: str | None = Field(
        description="The guide (staff, `stf_…`) credited, if any.", examples=["stf_4K9QX2M7PA"]
    )
    source_kind: SourceKind = Field(description="What brought the sale.", examples=["table"])
    source: str = Field(
        description="The QR scene, table code, deal id or referrer; empty when direct.", examples=["A12"]
    )
    qr_scene: str = Field(description="The QR scene as the order recorded it.", examples=["table:A12"])
    table_code: str = Field(description="The table or shelf of an in-store order.", examples=["A12"])
    deal_id: str = Field(description="The deal (`dl_…`) of a deal sale or a redemption.", examples=[""])
    referrer: str = Field(description="The referrer, once referrals exist (empty for now).", examples=[""])
    channel: str = Field(description="Where it was sold: `h5`, `valet`, `api`, `deal`, `redeem`…", examples=["h5"])
    occurred_at: dt.datetime = Field(description="When it happened: payment, refund, redemption (ISO 8601).")
    recorded_at: dt.datetime = Field(description="When the ledger recorded it (ISO 8601).")

    @staticmethod
    def resolve_id(obj: AttributionEntry) -> str:
        return obj.public_id

    @staticmethod
    def resolve_reverses_id(obj: AttributionEntry) -> str | None:
        return obj.reverses.public_id if obj.reverses else None

    @staticmethod
    def resolve_store_id(obj: AttributionEntry) -> str | None:
        return obj.store.public_id if obj.store else None

    @staticmethod
    def resolve_guide_id(obj: AttributionEntry) -> str | None:
        return obj.guide.public_id if obj.guide else None


class EntryPage(Page):
    items: list[EntryOut] = Field(description="This page of entries, newest first.")


class FiguresOut(Schema):
    gross_fen: int = Field(description="What orders paid, fen.", examples=[125000])
    refunds_fen: int = Field(description="What was refunded of them, fen (positive).", examples=[2500])
    net_fen: int = Field(description="`gross_fen - refunds_fen`.", examples=[122500])
    orders: int = Field(description="Orders paid.", examples=[48])
    redemptions: int = Field(description="Redemptions that stand (undone ones excluded).", examples=[12])
    redeemed_uses: int = Field(description="Uses redeemed.", examples=[15])
    redeemed_fen: int = Field(
        description="What buyers paid for the uses redeemed, fen (counted in gross when the deal was bought).",
        examples=[47880],
    )
    bookings: int = Field(description="Bookings confirmed (cancelled ones excluded).", examples=[6])
    booked_fen: int = Field(description="Their booked price, fen.", examples=[58800])


class PerformanceRowOut(FiguresOut):
    id: str = Field(description="The store (`st_…`) or guide (`stf_…`); empty for entries without one.")
    name: str = Field(description="Its name.", examples=["福田旗舰店"])


class PerformanceOut(Schema):
    start: dt.datetime = Field(description="Start of the period (inclusive).")
    end: dt.datetime = Field(description="End of the period (exclusive).")
    rows: list[PerformanceRowOut] = Field(
        description="One row per store or guide credited in the period, best net first."
    )
    totals: FiguresOut = Field(description="The sums over all rows, exact in fen.")


def performance_out(table: Performance) -> dict[str, Any]:
    return {
        "start": table.start,
        "end": table.end,
        "rows": [{"id": r.key, "name": r.label, **r.figures.as_dict()} for r in table.rows],
        "totals": table.totals.as_dict(),
    }
