"""Orders over the API: valet orders, payments, refunds, shipments and their tracking events.

Money fields end in ``_fen`` and are integers of fen (1 yuan = 100 fen), typed ``StrictInt``: a
float (12.5), a string ("12") or a boolean is 422 ``request.invalid`` before anything runs. A
negative or zero amount, or a quantity out of range, reaches ``weloop.orders.services`` and is
refused there with its own code (``money.invalid_amount``, ``orders.invalid_refund``,
``orders.invalid_quantity``), the same code the console and the H5 checkout give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictInt

from weloop.api.schemas.common import InputSchema, Page
from weloop.orders.enums import FulfilmentType, OrderStatus
from weloop.orders.models import Order, OrderLine, OrderRefund, Shipment, TrackingEvent
from weloop.orders.services import Address, DeliveredCode, virtual_codes_for_member
from weloop.payments.models import Payment

_ORDER_NO = "O2026021712345678"
_FEN = "Integer fen (1 yuan = 100 fen)."


def _public_id(obj: Any) -> str | None:
    return obj.public_id if obj is not None else None


# --- input --------------------------------------------------------------------------------------


class OrderFilters(Schema):
    status: OrderStatus | None = Field(None, description="Only orders with this status.")
    store_id: str | None = Field(None, description="Only orders fulfilled by this store (its public id, `st_…`).")
    member_id: str | None = Field(None, description="Only orders of this member (`mb_…`).")
    openid: str | None = Field(None, description="Only orders of the member with this openid of your account.")


class LineIn(InputSchema):
    sku_id: str = Field(
        description="The SKU's public id (`sku_…`); one not on sale is 400 `orders.unknown_sku`.",
        examples=["sku_4K9QX2M7PA"],
    )
    quantity: StrictInt = Field(
        description="How many, a whole number from 1 to 9999; anything else is 400 `orders.invalid_quantity` "
        "(a float or string is 422 `request.invalid`).",
        examples=[2],
    )


class AddressIn(InputSchema):
    name: str = Field(description="Recipient's name (required for delivery).", examples=["李雷"])
    phone: str = Field(description="Recipient's phone (required for delivery).", examples=["13800138000"])
    province: str = Field("", description="Province.", examples=["广东省"])
    city: str = Field("", description="City.", examples=["深圳市"])
    district: str = Field("", description="District.", examples=["南山区"])
    detail: str = Field(description="Street address (required for delivery).", examples=["科苑南路 2666 号 12 楼"])


class FulfilmentIn(InputSchema):
    type: FulfilmentType = Field(
        description="`delivery` (to `address`, from a warehouse), `pickup` (at `store_id`), `in_store` "
        "(served at `store_id`, at `table_code`) or `virtual` (virtual products only: delivered as codes when "
        "paid, nothing shipped; `store_id` optional, for attribution).",
        examples=["pickup"],
    )
    store_id: str | None = Field(
        None,
        description="The store (`st_…`) for pickup and in-store orders; it must be open (active), else 400 "
        "`orders.invalid_fulfilment`. Another merchant's store is 404.",
        examples=["st_4K9QX2M7PA"],
    )
    address: AddressIn | None = Field(
        None, description="Delivery address; required for `delivery` (else 400 `orders.invalid_address`)."
    )
    table_code: str = Field("", description="Table or shelf code of an in-store order.", examples=["A12"])


class OrderIn(InputSchema):
    openid: str = Field(
        description="The member's openid for your service account; an unknown openid is 404 `not_found`.",
        examples=["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"],
    )
    lines: list[LineIn] = Field(
        description="What is ordered, 1 to 50 lines; the same SKU twice is merged. Empty is 400 `orders.empty`.",
        examples=[[{"sku_id": "sku_4K9QX2M7PA", "quantity": 2}]],
    )
    fulfilment: FulfilmentIn = Field(description="How the member receives the order.")
    guide_id: str | None = Field(
        None,
        description="The shopping guide (`stf_…`) placing the order for the member: the order is then a "
        "`valet` order attributed to them. Without it the order's channel is `api`.",
    )
    note: str = Field("", description="A note for the staff (at most 200 characters).", examples=["少糖"])
    coupon_ids: list[str] = Field(
        [],
        description="The member's coupons (`cpn_…`) to use: locked by the order, used when it is paid, released "
        "if it is cancelled. Refused with 409 `coupons.not_usable`, `coupons.threshold_not_met`, "
        "`coupons.do_not_combine`, `coupons.expired`; 404 `coupons.unknown_coupon`.",
        examples=[["cpn_4K9QX2M7PA"]],
    )
    points: StrictInt = Field(0, description="At most this many of the member's points to spend.", examples=[0])

    def lines_for_service(self) -> list[tuple[str, int]]:
        return [(line.sku_id, line.quantity) for line in self.lines]

    def address_for_service(self) -> Address | None:
        return Address(**self.fulfilment.address.model_dump()) if self.fulfilment.address else None


class PaymentIn(InputSchema):
    method: Literal["wechat_native", "wechat_jsapi", "offline_cash", "offline_card"] = Field(
        description="`wechat_native`: a QR code the payer scans; `wechat_jsapi`: pay inside WeChat (H5 / mini "
        "program); `offline_cash` / `offline_card`: money already taken at the counter (the order is paid at once).",
        examples=["wechat_native"],
    )
    payer_openid: str | None = Field(
        None,
        description="`wechat_jsapi`: the payer's openid; defaults to the ordering member's.",
        examples=["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"],
    )
    staff_id: str | None = Field(
        None,
        description="Offline methods: the staff member (`stf_…`) who took the money; required for them "
        "(else 400 `payments.invalid_payment`).",
    )


class RefundIn(InputSchema):
    amount_fen: StrictInt = Field(
        description=f"{_FEN} More than 0 (else 400 `orders.invalid_refund` / `money.invalid_amount`) and at most "
        "what is left to refund (else 409 `orders.refund_exceeds_remaining`).",
        examples=[1200],
    )
    reason: str = Field(description="Why; shown to the payer by WeChat (at most 80 characters).", examples=["缺货"])
    return_lines: dict[str, StrictInt] | None = Field(
        None,
        description="Goods that come back and go on sale again: {order line id (`ol_…`): units}. A full "
        "refund of an order not yet shipped or handed over returns everything anyway.",
        examples=[{"ol_4K9QX2M7PA": 1}],
    )


class ShipmentIn(InputSchema):
    carrier: str = Field(description="The carrier's name (1-40 characters).", examples=["顺丰速运"])
    tracking_no: str = Field(description="The carrier's tracking number (1-64 characters).", examples=["SF1234567890"])


class TrackingEventIn(InputSchema):
    at: dt.datetime = Field(
        description="When it happened, ISO 8601 with a time zone (one without is 400 `orders.invalid_shipment`).",
        examples=["2026-02-17T15:30:00+08:00"],
    )
    description: str = Field(description="What happened (1-200 characters).", examples=["已揽收"])
    location: str = Field("", description="Where (at most 80 characters).", examples=["深圳南山"])


# --- output -------------------------------------------------------------------------------------


class AddressOut(Schema):
    name: str = Field(description="Recipient's name.")
    phone: str = Field(description="Recipient's phone.")
    province: str = Field(description="Province.")
    city: str = Field(description="City.")
    district: str = Field(description="District.")
    detail: str = Field(description="Street address.")


class AttributionOut(Schema):
    source_store_id: str | None = Field(description="The store (`st_…`) the sale is attributed to.")
    guide_id: str | None = Field(description="The shopping guide (`stf_…`) the sale is attributed to.")
    qr_scene: str = Field(description="The QR scene that brought the member, if any.")
    channel: str = Field(description="How the order came in: `valet`, `api`, an H5 channel…", examples=["api"])
    created_by_staff_id: str | None = Field(description="The staff member (`stf_…`) who placed it, for valet orders.")


class OrderLineOut(Schema):
    id: str = Field(description="The line's public id (`ol_…`), for `return_lines` of a refund.")
    sku_id: str = Field(description="The SKU (`sku_…`).")
    product_id: str = Field(description="The product (`pr_…`) when ordered.")
    product_name: str = Field(description="The product's name when ordered.", examples=["拿铁"])
    sku_code: str = Field(description="The SKU code when ordered.")
    options: dict[str, str] = Field(description="The SKU's options when ordered.", examples=[{"杯型": "中杯"}])
    unit_price_fen: int = Field(description=f"Price of one unit. {_FEN}", examples=[2800])
    quantity: int = Field(description="Units ordered.", examples=[2])
    line_total_fen: int = Field(description=f"unit_price_fen × quantity. {_FEN}", examples=[5600])
    discount_fen: int = Field(description=f"Discount on this line. {_FEN}")
    refunded_fen: int = Field(description=f"Refunded on this line so far. {_FEN}")
    returned_quantity: int = Field(description="Units that came back and went on sale again.")
    kind: str = Field(
        description="The product's kind when ordered: `physical`, or `virtual` (delivered as codes when the order "
        "is paid, see the order's `codes`).",
        examples=["physical"],
    )

    @staticmethod
    def resolve_id(obj: OrderLine) -> str:
        return obj.public_id

    @staticmethod
    def resolve_sku_id(obj: OrderLine) -> str:
        return obj.sku.public_id

    @staticmethod
    def resolve_product_id(obj: OrderLine) -> str:
        return obj.product_id_snapshot

    @staticmethod
    def resolve_kind(obj: OrderLine) -> str:
        return obj.product_kind


class VirtualCodeOut(Schema):
    id: str = Field(description="The code's public id (`vc_…`).", examples=["vc_4K9QX2M7PA"])
    line_id: str = Field(description="The order line (`ol_…`) it was delivered for; one code per unit.")
    product_name: str = Field(description="The product's name when ordered.", examples=["储值卡充值"])
    code: str = Field(
        description="The code in clear (16 characters in groups of 4). Show it only to the order's member: it is "
        "what they redeem. Staff pages show its last 4 characters only.",
        examples=["7Q2M-4K9X-PA3B-VN8C"],
    )
    status: str = Field(description="`issued`, or `void` (refunded: no longer valid).", examples=["issued"])
    issued_at: dt.datetime = Field(description="When it was delivered: when the order was paid (ISO 8601).")
    first_shown_at: dt.datetime | None = Field(
        description="When the member first opened it in their order (ISO 8601); null if never. Reading it here "
        "does not set it."
    )


class TrackingEventOut(Schema):
    at: dt.datetime = Field(description="When it happened (ISO 8601).")
    description: str = Field(description="What happened.", examples=["已揽收"])
    location: str = Field(description="Where; may be empty.")


class ShipmentOut(Schema):
    id: str = Field(description="The shipment's public id (`shp_…`).", examples=["shp_4K9QX2M7PA"])
    carrier: str = Field(description="The carrier.", examples=["顺丰速运"])
    tracking_no: str = Field(description="The carrier's tracking number.", examples=["SF1234567890"])
    status: str = Field(description="`shipped` or `delivered`.")
    shipped_at: dt.datetime = Field(description="When it was handed to the carrier (ISO 8601).")
    events: list[TrackingEventOut] = Field(description="Tracking events, oldest first.")

    @staticmethod
    def resolve_id(obj: Shipment) -> str:
        return obj.public_id

    @staticmethod
    def resolve_events(obj: Shipment) -> list[TrackingEvent]:
        return list(obj.events.all())


class PaymentOut(Schema):
    id: str = Field(description="The payment's public id (`pay_…`).")
    method: str = Field(description="`wechat_native`, `wechat_jsapi`, `offline_cash`, `offline_card`…")
    status: str = Field(description="`created`, `pending` (waiting for the payer), `succeeded`, `failed`, `closed`.")
    amount_fen: int = Field(description=f"Amount. {_FEN}")
    refunded_fen: int = Field(description=f"Refunded from this payment so far. {_FEN}")
    paid_at: dt.datetime | None = Field(description="When it succeeded (ISO 8601); null until then.")
    created_at: dt.datetime = Field(description="When it was started (ISO 8601).")

    @staticmethod
    def resolve_id(obj: Payment) -> str:
        return obj.public_id


class RefundOut(Schema):
    refund_no: str = Field(description="The refund's number (`<order_no>R01`…), also WeChat's out_refund_no.")
    kind: str = Field(description="`refund`, or `late_payment` (money that arrived after the order closed).")
    amount_fen: int = Field(description=f"Amount. {_FEN}", examples=[1200])
    status: str = Field(
        description="Where the money is: `created` (not yet accepted by WeChat), `processing` (on its way back), "
        "`succeeded`, `failed` or `closed`. Counter payments are refunded at the counter: `succeeded` at once.",
        examples=["processing"],
    )
    settled: bool = Field(description="Whether the order's refunded amounts and status already reflect it.")
    reason: str = Field(description="Why.")
    allocation: dict[str, int] = Field(
        description="How the amount splits over the lines ({`ol_…`: fen}) and `shipping`.",
        examples=[{"ol_4K9QX2M7PA": 1200, "shipping": 0}],
    )
    return_lines: dict[str, int] = Field(description="Units that go back on sale: {`ol_…`: units}.")
    created_at: dt.datetime = Field(description="When it was asked for (ISO 8601).")


class OrderSummaryOut(Schema):
    order_no: str = Field(description="The order number; use it in URLs.", examples=[_ORDER_NO])
    status: OrderStatus = Field(description="The order's status.", examples=["pending_payment"])
    member_id: str = Field(description="The member (`mb_…`).", examples=["mb_7Q2M4K9XPA"])
    openid: str = Field(description="The member's openid.", examples=["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"])
    fulfilment_type: FulfilmentType = Field(
        description="`delivery`, `pickup`, `in_store`, or `virtual` (codes only, nothing shipped)."
    )
    store_id: str | None = Field(description="The fulfilling store (`st_…`); null for delivery.")
    total_fen: int = Field(description=f"What the member pays. {_FEN}", examples=[5600])
    refunded_fen: int = Field(description=f"Refunded so far. {_FEN}", examples=[0])
    placed_at: dt.datetime = Field(description="When it was placed (ISO 8601).")
    paid_at: dt.datetime | None = Field(description="When it was paid (ISO 8601); null until then.")
    expires_at: dt.datetime = Field(description="Unpaid orders expire at this time (ISO 8601).")

    @staticmethod
    def resolve_member_id(obj: Order) -> str:
        return obj.member.public_id

    @staticmethod
    def resolve_openid(obj: Order) -> str:
        return obj.member.openid

    @staticmethod
    def resolve_store_id(obj: Order) -> str | None:
        return _public_id(obj.store)


class OrderOut(OrderSummaryOut):
    subtotal_fen: int = Field(description=f"Sum of the lines. {_FEN}", examples=[5600])
    shipping_fen: int = Field(description=f"Delivery fee. {_FEN}", examples=[0])
    discount_fen: int = Field(description=f"Discounts. {_FEN}", examples=[0])
    refunding_fen: int = Field(description=f"Asked for by a refund still in flight. {_FEN}", examples=[0])
    refundable_fen: int = Field(description=f"What is left to refund. {_FEN}", examples=[5600])
    table_code: str = Field(description="Table or shelf of an in-store order; may be empty.")
    address: AddressOut | None = Field(description="The delivery address; null unless `delivery`.")
    note: str = Field(description="The note given with the order.")
    completed_at: dt.datetime | None = Field(description="When it was completed (ISO 8601); null until then.")
    attribution: AttributionOut = Field(description="Who brought the sale (never changed by refunds).")
    lines: list[OrderLineOut] = Field(description="What was ordered, at the prices when ordered.")
    shipments: list[ShipmentOut] = Field(description="Shipments of a delivery order, with their tracking events.")
    payments: list[PaymentOut] = Field(description="Every payment started or recorded for the order, newest first.")
    refunds: list[RefundOut] = Field(description="Refunds of the order, oldest first.")
    codes: list[VirtualCodeOut] = Field(
        description="Codes delivered for the order's `virtual` lines, one per unit, issued when the order is paid "
        "(a virtual-only order is then `completed`). Empty for physical goods and before payment."
    )

    @staticmethod
    def resolve_address(obj: Order) -> dict[str, str] | None:
        return _address(obj)

    @staticmethod
    def resolve_attribution(obj: Order) -> dict[str, Any]:
        return _attribution(obj)

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_shipments(obj: Order) -> list[Shipment]:
        return list(obj.shipments.all())

    @staticmethod
    def resolve_payments(obj: Order) -> list[Payment]:
        return getattr(obj, "payment_rows", [])

    @staticmethod
    def resolve_codes(obj: Order) -> list[DeliveredCode]:
        return virtual_codes_for_member(merchant=obj.merchant, order=obj, mark_shown=False)

    @staticmethod
    def resolve_refunds(obj: Order) -> list[dict[str, Any]]:
        statuses = getattr(obj, "refund_money_statuses", {})
        return [refund_out(refund, statuses) for refund in obj.refunds.all()]


class OrderPage(Page):
    items: list[OrderSummaryOut] = Field(description="The orders on this page, newest first.")


class PaymentStartOut(Schema):
    payment: PaymentOut = Field(description="The payment.")
    order_status: OrderStatus = Field(
        description="The order's status now: `paid` after an offline payment, `pending_payment` while a WeChat "
        "payment waits for the payer (the order becomes `paid` when WeChat notifies).",
        examples=["pending_payment"],
    )
    code_url: str | None = Field(
        description="`wechat_native`: render it as a QR code for the payer to scan; null otherwise.",
        examples=["weixin://wxpay/bizpayurl?pr=abc123"],
    )
    scan_url: str | None = Field(
        description="`wechat_native` in simulator mode: open it to play the phone scanning the code; else null."
    )
    jsapi_params: dict[str, str] | None = Field(
        description="`wechat_jsapi`: pass it to `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`; null otherwise."
    )
    wallet_url: str | None = Field(
        description="`wechat_jsapi` in simulator mode: the simulated WeChat pay sheet for the same call; else null."
    )


# --- building the bodies ------------------------------------------------------------------------


def _address(order: Order) -> dict[str, str] | None:
    if order.fulfilment_type != FulfilmentType.DELIVERY:
        return None
    return {
        "name": order.ship_name,
        "phone": order.ship_phone,
        "province": order.ship_province,
        "city": order.ship_city,
        "district": order.ship_district,
        "detail": order.ship_detail,
    }


def _attribution(order: Order) -> dict[str, Any]:
    return {
        "source_store_id": _public_id(order.source_store),
        "guide_id": _public_id(order.guide),
        "qr_scene": order.qr_scene,
        "channel": order.channel,
        "created_by_staff_id": _public_id(order.created_by_staff),
    }


def _refund(refund: OrderRefund, money_status: str | None) -> dict[str, Any]:
    return {
        "refund_no": refund.out_refund_no,
        "kind": refund.kind,
        "amount_fen": refund.amount_fen,
        # No payments row yet: WeChat has not been asked, the money has not moved.
        "status": money_status or ("created" if refund.status == "pending" else refund.status),
        "settled": refund.status != "pending",
        "reason": refund.reason,
        "allocation": refund.allocation,
        "return_lines": refund.return_lines,
        "created_at": refund.created_at,
    }


def refund_out(refund: OrderRefund, money_statuses: dict[str, str]) -> dict[str, Any]:
    """The body of one refund; ``money_statuses`` maps refund numbers to payments' refund status."""
    return _refund(refund, money_statuses.get(refund.out_refund_no))


def order_out(order: Order, payments: list[Payment], money_statuses: dict[str, str]) -> Order:
    """``order`` ready for ``OrderOut``: with its payments and its refunds' money status attached."""
    order.payment_rows = payments  # type: ignore[attr-defined]
    order.refund_money_statuses = money_statuses  # type: ignore[attr-defined]
    return order
