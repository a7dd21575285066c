"""Refunds split over lines, their settlement from payments' events, and after-sales requests."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction

from weloop.catalog.enums import ProductKind
from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound, WeloopError
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.inventory import services as inventory
from weloop.inventory.enums import HoldStatus
from weloop.inventory.models import Hold
from weloop.members.models import Member
from weloop.orders.calculations import refund_allocation
from weloop.orders.enums import (
    REFUNDABLE_STATUSES,
    AfterSalesKind,
    AfterSalesStatus,
    OrderRefundKind,
    OrderRefundStatus,
    OrderStatus,
)
from weloop.orders.errors import (
    InvalidAfterSales,
    InvalidRefund,
    RefundExceedsRemaining,
)
from weloop.orders.models import (
    AfterSalesRequest,
    Order,
    OrderLine,
    OrderRefund,
)
from weloop.orders.services.common import (
    _locked,
    order_payload,
)
from weloop.orders.services.virtual import virtual_void
from weloop.orders.state import ORDER
from weloop.payments import services as payments
from weloop.payments.models import Payment
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)


# --- refunds and after-sales ----------------------------------------------------------------------


def order_refund(
    *,
    merchant: Merchant,
    order: Order,
    amount_fen: int,
    reason: str,
    actor: str,
    return_lines: Mapping[str, int] | None = None,
    aftersales: AfterSalesRequest | None = None,
) -> OrderRefund:
    """Refund ``amount_fen`` of a paid order, split over its lines; call outside a transaction.

    ``return_lines`` ({line public id: units}) are goods that come back and go on sale again when
    the refund succeeds; a full refund of an order not yet shipped or handed over returns all.
    Raises InvalidRefund / money.invalid_amount, RefundExceedsRemaining
    (``orders.refund_exceeds_remaining``), state.invalid_transition (not paid, or a refund is
    already in flight). The order is ``refunding`` until payments reports; see handlers.py.
    """
    amount = require_fen(amount_fen, field="amount_fen")
    if amount == 0:
        raise InvalidRefund("A refund is more than 0.", extra={"field": "amount_fen"})
    with transaction.atomic():
        locked = _locked(merchant, order.order_no)
        if locked.status not in REFUNDABLE_STATUSES:
            ORDER.transition(locked, OrderStatus.REFUNDING, actor=actor, reason=reason)  # raises
        if amount > locked.refundable_fen:
            raise RefundExceedsRemaining(extra={"requested": amount, "remaining": locked.refundable_fen})
        lines = list(locked.lines.all())
        returns = _returns(locked, lines, amount, return_lines)
        parts = refund_allocation(
            amount,
            [line.net_fen - line.refunded_fen for line in lines],
            locked.shipping_fen - _shipping_refunded(locked),
        )
        allocation = {line.public_id: part for line, part in zip(lines, parts, strict=False)}
        allocation["shipping"] = parts[-1]
        order_refund = OrderRefund.objects.create(
            merchant=merchant,
            order=locked,
            out_refund_no=f"{locked.order_no}R{locked.refunds.count() + 1:02d}",
            payment_id=locked.payment_id,
            amount_fen=amount,
            allocation=allocation,
            return_lines=returns,
            aftersales=aftersales,
            reason=str(reason or "")[:80],
            actor=actor[:150],
        )
        Order.objects.filter(pk=locked.pk).update(
            refunding_fen=locked.refunding_fen + amount, status_before_refund=locked.status
        )
        ORDER.transition(locked, OrderStatus.REFUNDING, actor=actor, reason=reason or "refund")
    payment = get_or_not_found(Payment.objects.for_merchant(merchant), what="payment", public_id=locked.payment_id)
    try:
        payments.refund_create(
            merchant=merchant,
            payment=payment,
            amount_fen=amount,
            reason=order_refund.reason,
            out_refund_no=order_refund.out_refund_no,
            actor=actor,
        )
    except WeloopError:  # refused before anything was reserved at payments: nothing is in flight
        with transaction.atomic():
            order_refund_settle(
                merchant=merchant, out_refund_no=order_refund.out_refund_no, succeeded=False, actor=actor
            )
        raise
    return order_refund


def _returns(order: Order, lines: list[OrderLine], amount: int, wanted: Mapping[str, int] | None) -> dict[str, int]:
    by_id = {line.public_id: line for line in lines}
    if wanted:
        returns = {}
        for line_id, units in wanted.items():
            line = by_id.get(line_id)
            if line is None:
                raise InvalidRefund("No such order line.", extra={"field": "return_lines", "line": line_id})
            if (
                isinstance(units, bool)
                or not isinstance(units, int)
                or not 0 < units <= line.quantity - line.returned_quantity
            ):
                raise InvalidRefund(extra={"field": "return_lines", "line": line_id})
            returns[line_id] = units
        return returns
    never_handed_over = order.status in (OrderStatus.PAID, OrderStatus.FULFILLING)
    if never_handed_over and amount == order.refundable_fen:
        return {
            line.public_id: line.quantity - line.returned_quantity
            for line in lines
            if line.quantity > line.returned_quantity
        }
    return {}


def _shipping_refunded(order: Order) -> int:
    return sum(
        r.allocation.get("shipping", 0)
        for r in order.refunds.filter(kind=OrderRefundKind.REFUND).exclude(status=OrderRefundStatus.FAILED)
    )


def order_refund_settle(*, merchant: Merchant, out_refund_no: str, succeeded: bool, actor: str) -> OrderRefund | None:
    """Apply payments' verdict on a refund the orders app asked for; idempotent. Runs in the caller's
    transaction. Success: refunded amounts on order and lines, returned goods back on sale, order
    refunded or partially_refunded, orders.order_refunded. Failure: the order goes back to where it was,
    orders.refund_failed (with the refund's ``reason``, so whoever asked for it can undo its side).
    """
    order_refund = (
        OrderRefund.objects.for_merchant(merchant).select_for_update().filter(out_refund_no=out_refund_no).first()
    )
    if order_refund is None or order_refund.status != OrderRefundStatus.PENDING:
        return order_refund
    OrderRefund.objects.filter(pk=order_refund.pk).update(
        status=OrderRefundStatus.SUCCEEDED if succeeded else OrderRefundStatus.FAILED, settled_at=clock.now()
    )
    if order_refund.kind == OrderRefundKind.LATE_PAYMENT:
        return order_refund
    order = _locked(merchant, order_refund.order.order_no)
    if not succeeded:
        Order.objects.filter(pk=order.pk).update(refunding_fen=order.refunding_fen - order_refund.amount_fen)
        if order.status == OrderStatus.REFUNDING:
            ORDER.transition(order, order.status_before_refund, actor=actor, reason="refund failed")
        _aftersales_back(order_refund, AfterSalesStatus.APPROVED)
        publish(
            merchant=merchant,
            name="orders.refund_failed",
            payload={
                **order_payload(order),
                "amount_fen": order_refund.amount_fen,
                "out_refund_no": out_refund_no,
                "reason": order_refund.reason,
            },
        )
        return order_refund
    _apply_refund_to_lines(merchant, order, order_refund)
    refunded = order.refunded_fen + order_refund.amount_fen
    Order.objects.filter(pk=order.pk).update(
        refunded_fen=refunded, refunding_fen=order.refunding_fen - order_refund.amount_fen
    )
    order.refunded_fen = refunded
    to = OrderStatus.REFUNDED if refunded == order.total_fen else OrderStatus.PARTIALLY_REFUNDED
    virtual_void(
        merchant=merchant, order=order, returned=order_refund.return_lines, everything=to == OrderStatus.REFUNDED
    )
    ORDER.transition(order, to, actor=actor, reason=f"refund {out_refund_no}")
    _aftersales_back(order_refund, AfterSalesStatus.REFUNDED)
    publish(
        merchant=merchant,
        name="orders.order_refunded",
        payload={**order_payload(order), "amount_fen": order_refund.amount_fen, "out_refund_no": out_refund_no},
    )
    return order_refund


def _apply_refund_to_lines(merchant: Merchant, order: Order, order_refund: OrderRefund) -> None:
    lines = {line.public_id: line for line in order.lines.all()}
    for line_id, part in order_refund.allocation.items():
        if line_id in lines and part:
            line = lines[line_id]
            OrderLine.objects.filter(pk=line.pk).update(refunded_fen=line.refunded_fen + part)
    for line_id, units in order_refund.return_lines.items():
        line = lines[line_id]
        if line.product_kind == ProductKind.VIRTUAL:  # no stock to put back: its codes are voided
            OrderLine.objects.filter(pk=line.pk).update(returned_quantity=line.returned_quantity + units)
            continue
        hold = Hold.objects.for_merchant(merchant).select_related("pool").filter(public_id=line.hold_id).first()
        if hold is None or hold.status != HoldStatus.CONFIRMED:
            continue
        inventory.capacity_return(
            merchant=merchant,
            pool=hold.pool,
            quantity=units,
            reason="refund",
            reference=order.order_no,
            actor=order_refund.actor,
        )
        OrderLine.objects.filter(pk=line.pk).update(returned_quantity=line.returned_quantity + units)


def _aftersales_back(order_refund: OrderRefund, status: str) -> None:
    if order_refund.aftersales_id:
        AfterSalesRequest.objects.filter(pk=order_refund.aftersales_id).update(status=status)


@transaction.atomic
def aftersales_request(
    *,
    merchant: Merchant,
    order: Order,
    member: Member,
    kind: str,
    amount_fen: int,
    reason: str = "",
    return_lines: Mapping[str, int] | None = None,
) -> AfterSalesRequest:
    """The member asks for money back (refund only) or to send goods back (return and refund)."""
    locked = _locked(merchant, order.order_no)
    if locked.member_id != member.pk:
        raise NotFound("No such order.", extra={"what": "order"})
    if kind not in AfterSalesKind.values:
        raise InvalidAfterSales(extra={"field": "kind"})
    amount = require_fen(amount_fen, field="amount_fen")
    if amount == 0 or locked.status not in REFUNDABLE_STATUSES:
        raise InvalidAfterSales(extra={"field": "amount_fen" if amount == 0 else "order"})
    if amount > locked.refundable_fen:
        raise RefundExceedsRemaining(extra={"requested": amount, "remaining": locked.refundable_fen})
    returns = dict(return_lines or {})
    if kind == AfterSalesKind.RETURN_AND_REFUND and not returns:
        returns = {line.public_id: line.quantity - line.returned_quantity for line in locked.lines.all()}
    return AfterSalesRequest.objects.create(
        merchant=merchant,
        order=locked,
        kind=kind,
        amount_fen=amount,
        reason=str(reason or "")[:200],
        return_lines=returns if kind == AfterSalesKind.RETURN_AND_REFUND else {},
    )


def aftersales_approve(*, merchant: Merchant, request: AfterSalesRequest, actor: str) -> OrderRefund:
    """Approve a request and refund it (outside a transaction); returned goods go back on sale."""
    with transaction.atomic():
        locked = _locked_request(merchant, request)
        if locked.status != AfterSalesStatus.REQUESTED:
            raise InvalidAfterSales("This request was already decided.", extra={"status": locked.status})
        AfterSalesRequest.objects.filter(pk=locked.pk).update(
            status=AfterSalesStatus.APPROVED, decided_by=actor[:150], decided_at=clock.now()
        )
    return order_refund(
        merchant=merchant,
        order=locked.order,
        amount_fen=locked.amount_fen,
        reason="after-sales",
        actor=actor,
        return_lines=locked.return_lines or None,
        aftersales=locked,
    )


@transaction.atomic
def aftersales_reject(
    *, merchant: Merchant, request: AfterSalesRequest, actor: str, note: str = ""
) -> AfterSalesRequest:
    locked = _locked_request(merchant, request)
    if locked.status != AfterSalesStatus.REQUESTED:
        raise InvalidAfterSales("This request was already decided.", extra={"status": locked.status})
    AfterSalesRequest.objects.filter(pk=locked.pk).update(
        status=AfterSalesStatus.REJECTED, decided_by=actor[:150], decided_at=clock.now(), decision_note=str(note)[:200]
    )
    locked.refresh_from_db()
    return locked


def _locked_request(merchant: Merchant, request: AfterSalesRequest) -> AfterSalesRequest:
    return get_or_not_found(
        AfterSalesRequest.objects.for_merchant(merchant).select_for_update().select_related("order"),
        what="after-sales request",
        pk=request.pk,
    )
