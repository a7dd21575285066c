"""/orders: orders placed for members, their payments, refunds, shipments and tracking events.

An API key belongs to the merchant, not to a staff member. So:
- POST /orders with ``guide_id`` is a valet order (``order_valet_create``: the guide places it and
  is credited); without it the order is placed for the member with ``checkout_place`` and channel
  ``api``, attributed to the fulfilling store.
- An offline payment names the clerk who took the money (``staff_id``): payments records who did.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.idempotency import HEADER
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.orders import (
    OrderFilters,
    OrderIn,
    OrderOut,
    OrderPage,
    PaymentIn,
    PaymentStartOut,
    RefundIn,
    RefundOut,
    ShipmentIn,
    ShipmentOut,
    TrackingEventIn,
    TrackingEventOut,
    order_out,
    refund_out,
)
from weloop.core.db import get_or_not_found
from weloop.members.selectors import member_by_openid
from weloop.orders import selectors, services
from weloop.orders.models import Order, Shipment, TrackingEvent
from weloop.orders.services import Attribution, Fulfilment
from weloop.payments.enums import OFFLINE_METHODS, PaymentMethod
from weloop.payments.errors import InvalidPayment
from weloop.payments.services import payment_jsapi_params, payment_native_params
from weloop.stores.selectors import store_get
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.selectors import staff_list

router = Router(tags=["Orders"])

OrderNo = Annotated[str, Path(description="The order number.", example="O2026021712345678")]
ShipmentId = Annotated[str, Path(description="The shipment's public id (`shp_…`).", example="shp_4K9QX2M7PA")]


def _detail(merchant: Merchant, order_no: str) -> Order:
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    return order_out(
        order,
        selectors.order_payments(merchant=merchant, order=order),
        selectors.refund_money_statuses(
            merchant=merchant, refund_nos=[refund.out_refund_no for refund in order.refunds.all()]
        ),
    )


def _staff(merchant: Merchant, staff_id: str) -> StaffMember:
    return get_or_not_found(staff_list(merchant=merchant), what="staff", public_id=staff_id)


# --- reading ------------------------------------------------------------------------------------


@router.get("", response=OrderPage, summary="List orders")
def list_orders(request: HttpRequest, filters: Query[OrderFilters], page: Query[PageIn]) -> dict:
    """Your orders, newest first, optionally filtered by status, fulfilling store or member."""
    orders = selectors.order_list(
        merchant=merchant_of(request),
        status=filters.status,
        member_id=filters.member_id,
        openid=filters.openid,
        store_id=filters.store_id,
    )
    return paginate(orders, page)


@router.get("/{order_no}", response=OrderOut, summary="Get an order")
def get_order(request: HttpRequest, order_no: OrderNo) -> Order:
    """One order: lines, totals, status, attribution, shipments with tracking events, payments and refunds."""
    return _detail(merchant_of(request), order_no)


# --- placing ------------------------------------------------------------------------------------


@router.post("", response={201: OrderOut}, summary="Place an order for a member")
def create_order(request: HttpRequest, payload: OrderIn) -> Order:
    """Place an order for a member (by openid); its stock is held until it is paid or expires.

    Returns the `pending_payment` order; pay it with the payments operation. With an
    `Idempotency-Key` a retry returns the same order. Refused with 400 `orders.empty`,
    `orders.invalid_quantity`, `orders.unknown_sku`, `orders.invalid_fulfilment`,
    `orders.invalid_address`, `orders.purchase_limit`; 409 `orders.insufficient_stock`; 404 for an
    unknown member, store or guide. Nothing is written (or held) when it is refused.
    """
    merchant = merchant_of(request)
    store_id = payload.fulfilment.store_id
    fulfilment = Fulfilment(
        type=payload.fulfilment.type,
        store=store_get(merchant=merchant, public_id=store_id) if store_id else None,
        address=payload.address_for_service(),
        table_code=payload.fulfilment.table_code,
    )
    key = request.headers.get(HEADER, "")
    if payload.guide_id:
        order = services.order_valet_create(
            merchant=merchant,
            staff=_staff(merchant, payload.guide_id),
            member_openid=payload.openid,
            lines=payload.lines_for_service(),
            fulfilment=fulfilment,
            idempotency_key=key,
            note=payload.note,
        )
    else:
        order = services.checkout_place(
            merchant=merchant,
            member=member_by_openid(merchant=merchant, openid=payload.openid),
            lines=payload.lines_for_service(),
            fulfilment=fulfilment,
            attribution=Attribution(source_store=fulfilment.store, channel="api"),
            actor=actor_of(request),
            idempotency_key=key,
            note=payload.note,
            coupon_ids=payload.coupon_ids,
            points=payload.points,
        )
    return _detail(merchant, order.order_no)


@router.post("/{order_no}/cancel", response=OrderOut, summary="Cancel an unpaid order")
def cancel_order(request: HttpRequest, order_no: OrderNo) -> Order:
    """Cancel an order waiting for payment: its open payments are closed and its stock is freed.

    An order no longer waiting for payment is 409 `state.invalid_transition`; another merchant's
    order is 404 `not_found`.
    """
    merchant = merchant_of(request)
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    services.order_cancel(merchant=merchant, order=order, actor=actor_of(request), reason="cancelled over the API")
    return _detail(merchant, order_no)


# --- paying -------------------------------------------------------------------------------------


@router.post("/{order_no}/payments", response={201: PaymentStartOut}, summary="Pay an order")
def pay_order(request: HttpRequest, payload: PaymentIn, order_no: OrderNo) -> dict:
    """Start a WeChat payment of the order's total, or record money taken at the counter.

    `wechat_native` returns a `code_url` to show as a QR code, `wechat_jsapi` the
    getBrandWCPayRequest parameters; the order becomes `paid` when WeChat reports the payment.
    Calling again while the payment is open returns the same payment. Offline methods record the
    payment and the order is `paid` at once. Refused with 409 `orders.not_payable` (not waiting for
    payment, or expired), `payments.already_paid`; 404 `payments.not_configured` without WeChat Pay.
    """
    merchant = merchant_of(request)
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    if payload.method in OFFLINE_METHODS:
        return _record_offline(request, merchant, order, payload)
    payment = services.order_start_payment(
        merchant=merchant, order=order, method=payload.method, payer_openid=payload.payer_openid
    )
    body: dict[str, Any] = {"payment": payment, "order_status": order.status}
    body |= {"code_url": None, "scan_url": None, "jsapi_params": None, "wallet_url": None}
    if payload.method == PaymentMethod.WECHAT_NATIVE:
        native = payment_native_params(merchant=merchant, payment=payment)
        body |= {"code_url": native.code_url, "scan_url": native.scan_url or None}
    else:
        jsapi = payment_jsapi_params(merchant=merchant, payment=payment)
        body |= {"jsapi_params": jsapi.bridge, "wallet_url": jsapi.wallet_url or None}
    return body


def _record_offline(request: HttpRequest, merchant: Merchant, order: Order, payload: PaymentIn) -> dict[str, Any]:
    if not payload.staff_id:
        raise InvalidPayment(extra={"field": "staff_id"})
    payment = services.order_record_offline_payment(
        merchant=merchant, order=order, method=payload.method, staff=_staff(merchant, payload.staff_id)
    )
    # Apply it now rather than when the outbox delivers payments.payment_succeeded: the caller took
    # the money and expects a paid order in the answer. The handler later finds it applied.
    with transaction.atomic():
        services.order_apply_payment(
            merchant=merchant,
            order_no=order.order_no,
            payment_id=payment.public_id,
            amount_fen=payment.amount_fen,
            actor=actor_of(request),
        )
    order.refresh_from_db(fields=["status"])
    return {
        "payment": payment,
        "order_status": order.status,
        "code_url": None,
        "scan_url": None,
        "jsapi_params": None,
        "wallet_url": None,
    }


# --- refunds ------------------------------------------------------------------------------------


@router.post("/{order_no}/refunds", response={201: RefundOut}, summary="Refund an order")
def refund_order(request: HttpRequest, payload: RefundIn, order_no: OrderNo) -> dict:
    """Refund part or all of a paid order, split over its lines (and shipping).

    The order is `refunding` until the refund settles, then `partially_refunded` or `refunded`.
    Refused with 400 `money.invalid_amount` / `orders.invalid_refund`, 409
    `orders.refund_exceeds_remaining`, 409 `state.invalid_transition` (not paid, or a refund is
    already in flight); another merchant's order is 404 `not_found`.
    """
    merchant = merchant_of(request)
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    refund = services.order_refund(
        merchant=merchant,
        order=order,
        amount_fen=payload.amount_fen,
        reason=payload.reason,
        actor=actor_of(request),
        return_lines=payload.return_lines,
    )
    return refund_out(refund, selectors.refund_money_statuses(merchant=merchant, refund_nos=[refund.out_refund_no]))


# --- shipping -----------------------------------------------------------------------------------


@router.post("/{order_no}/shipments", response={201: ShipmentOut}, summary="Ship an order")
def ship_order(request: HttpRequest, payload: ShipmentIn, order_no: OrderNo) -> Shipment:
    """Hand a paid delivery order to a carrier: the order becomes `shipped`.

    Refused with 400 `orders.invalid_shipment` (bad carrier or tracking number, not a delivery
    order), 409 `state.invalid_transition` (not paid, or already shipped); another merchant's order
    is 404 `not_found`.
    """
    merchant = merchant_of(request)
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    shipment = services.order_ship(
        merchant=merchant,
        order=order,
        carrier=payload.carrier,
        tracking_no=payload.tracking_no,
        actor=actor_of(request),
    )
    return shipment


@router.post(
    "/{order_no}/shipments/{shipment_id}/events",
    response={201: TrackingEventOut},
    summary="Add a tracking event",
)
def add_tracking_event(
    request: HttpRequest, payload: TrackingEventIn, order_no: OrderNo, shipment_id: ShipmentId
) -> TrackingEvent:
    """Record where a shipment is (e.g. from the carrier's webhook); the order shows its events by time.

    Refused with 400 `orders.invalid_shipment` (empty or long description, a time without a zone);
    404 for a shipment of another order or merchant.
    """
    merchant = merchant_of(request)
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    shipment = selectors.shipment_get(merchant=merchant, order=order, shipment_id=shipment_id)
    event = services.shipment_add_tracking_event(
        merchant=merchant,
        shipment=shipment,
        at=payload.at,
        description=payload.description,
        location=payload.location,
    )
    return event
