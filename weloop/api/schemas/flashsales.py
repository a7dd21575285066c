"""Shapes of /flash-sales: a sale with sold/quota, creating one, and a member's claim."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, StrictInt

from weloop.api.schemas.common import InputSchema, Page
from weloop.api.schemas.orders import AddressIn
from weloop.flashsales.enums import FlashSaleStatus
from weloop.flashsales.models import FlashSale, FlashSaleClaim
from weloop.flashsales.selectors import sale_counts
from weloop.flashsales.services import phase_of


class FlashSaleIn(InputSchema):
    sku_id: str = Field(
        description="The SKU on sale (`sku_…`); it must be on sale itself.", examples=["sku_4K9QX2M7PA"]
    )
    title: str = Field("", description="Shown to buyers; the product's name when empty.", examples=["周五面包秒杀"])
    price_fen: StrictInt = Field(description="The flash price in fen (0 or more).", examples=[990])
    starts_at: datetime = Field(
        description="When claims open (ISO 8601 with time zone).", examples=["2026-03-06T20:00:00+08:00"]
    )
    ends_at: datetime = Field(
        description="When claims close; after `starts_at`, in the future.", examples=["2026-03-06T21:00:00+08:00"]
    )
    quota: StrictInt = Field(
        description="Units for sale (1-1,000,000): exactly this many are ever sold.", examples=[500]
    )
    per_member_limit: StrictInt = Field(1, description="Units one member may claim (1-99), in one claim.", examples=[1])
    store_id: str | None = Field(
        None,
        description="Winners pick up at this store (`st_…`); without it their orders are delivered.",
        examples=["st_8ZK2M4Q7PX"],
    )


class FlashSaleOut(Schema):
    id: str = Field(description="The sale's public id (`fs_…`).", examples=["fs_8ZK2M4Q7PX"])
    title: str = Field(description="Shown to buyers.", examples=["周五面包秒杀"])
    sku_id: str = Field(description="The SKU on sale.", examples=["sku_4K9QX2M7PA"])
    price_fen: int = Field(description="The flash price in fen.", examples=[990])
    regular_price_fen: int = Field(description="The SKU's ordinary price in fen.", examples=[1800])
    starts_at: datetime = Field(description="When claims open.")
    ends_at: datetime = Field(description="When claims close.")
    status: FlashSaleStatus = Field(
        description="`scheduled`, `live`, `ended` or `cancelled`, by the window right now.", examples=["live"]
    )
    quota: int = Field(description="Units for sale.", examples=[500])
    per_member_limit: int = Field(description="Units one member may claim.", examples=[1])
    sold: int = Field(description="Units won (waiting for payment or paid); never more than `quota`.", examples=[120])
    paid: int = Field(description="Units won and paid.", examples=[100])
    available: int = Field(
        description="Units left (`quota - sold`); unpaid orders that expire give units back.", examples=[380]
    )
    store_id: str | None = Field(
        description="Pickup store of the winners' orders, or null (delivery).", examples=[None]
    )


class FlashSalePage(Page):
    items: list[FlashSaleOut] = Field(description="The sales on this page, latest start first.")


class FlashSaleFilters(Schema):
    status: FlashSaleStatus | None = Field(None, description="Only sales with this stored status.")


class CancelIn(InputSchema):
    reason: str = Field("", max_length=200, description="Why, for the sale's history.", examples=["wrong price"])


class ClaimIn(InputSchema):
    openid: str = Field(
        description="The buying member's openid of your service account.", examples=["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"]
    )
    quantity: StrictInt = Field(1, description="Units to claim (1 to the sale's `per_member_limit`).", examples=[1])
    address: AddressIn | None = Field(None, description="Delivery address, for a sale without a pickup store.")


class ClaimOut(Schema):
    sale_id: str = Field(description="The sale (`fs_…`).", examples=["fs_8ZK2M4Q7PX"])
    order_no: str = Field(
        description="The member's order, `pending_payment`: pay it with the orders' payments operation.",
        examples=["O2026030612345678"],
    )
    quantity: int = Field(description="Units won.", examples=[1])
    total_fen: int = Field(description="What the order costs, in fen.", examples=[990])
    expires_at: datetime = Field(description="Pay before this, or the unit goes back to the sale.")
    status: str = Field(description="`pending_payment`, `paid` or `lapsed`.", examples=["pending_payment"])


def sale_out(sale: FlashSale) -> dict:
    counts = sale_counts(sale)
    return {
        "id": sale.public_id,
        "title": sale.title,
        "sku_id": sale.sku.public_id,
        "price_fen": sale.price_fen,
        "regular_price_fen": sale.sku.price_fen,
        "starts_at": sale.starts_at,
        "ends_at": sale.ends_at,
        "status": phase_of(sale),
        "quota": sale.quota,
        "per_member_limit": sale.per_member_limit,
        "sold": counts.sold,
        "paid": counts.paid,
        "available": counts.available,
        "store_id": sale.store.public_id if sale.store else None,
    }


def claim_out(claim: FlashSaleClaim) -> dict:
    return {
        "sale_id": claim.sale.public_id,
        "order_no": claim.order.order_no,
        "quantity": claim.quantity,
        "total_fen": claim.order.total_fen,
        "expires_at": claim.order.expires_at,
        "status": claim.status,
    }
