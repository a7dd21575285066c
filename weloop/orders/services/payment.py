"""Paying an order, applying payments (and late ones), cancelling and expiring unpaid orders."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.events import publish
from weloop.inventory import services as inventory
from weloop.inventory.enums import HoldStatus
from weloop.inventory.errors import HoldNotActive, InsufficientCapacity
from weloop.inventory.models import Hold
from weloop.orders.enums import (
    OrderRefundKind,
    OrderRefundStatus,
    OrderStatus,
)
from weloop.orders.errors import (
    OrderNotPayable,
)
from weloop.orders.models import (
    Order,
    OrderLine,
    OrderRefund,
)
from weloop.orders.services.common import (
    HOLD_GRACE,
    _attribution_of,
    _description,
    _fresh,
    _locked,
    order_payload,
)
from weloop.orders.services.virtual import virtual_deliver
from weloop.orders.state import ORDER
from weloop.payments import services as payments
from weloop.payments.enums import PaymentStatus
from weloop.payments.models import Payment
from weloop.tenants.models import Merchant, StaffMember

logger = logging.getLogger(__name__)


# --- payment --------------------------------------------------------------------------------------


def order_start_payment(*, merchant: Merchant, order: Order, method: str, payer_openid: str | None = None) -> Payment:
    """Start (or continue) a WeChat payment of the order's total; call outside a transaction.

    Raises OrderNotPayable when the order is not waiting for payment or its time is up, and
    payments' errors (see payments.payment_start).
    """
    order = _fresh(merchant, order)
    if order.status != OrderStatus.PENDING_PAYMENT or order.expires_at <= clock.now():
        raise OrderNotPayable(extra={"order_no": order.order_no, "status": order.status})
    return payments.payment_start(
        merchant=merchant,
        reference=order.order_no,
        description=_description(order),
        amount_fen=order.total_fen,
        method=method,
        payer_openid=payer_openid or order.member.openid,
        attribution=_attribution_of(order),
        time_expire=order.expires_at,
    )


def order_record_offline_payment(*, merchant: Merchant, order: Order, method: str, staff: StaffMember) -> Payment:
    """A clerk took the order's total at the counter; the order becomes paid via the payment event."""
    order = _fresh(merchant, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderNotPayable(extra={"order_no": order.order_no, "status": order.status})
    return payments.payment_record_offline(
        merchant=merchant, reference=order.order_no, amount_fen=order.total_fen, method=method, staff=staff
    )


def order_pay_at_counter(*, merchant: Merchant, order: Order, method: str, staff: StaffMember) -> Payment:
    """Record money a clerk took at the counter and apply it to the order at once (it is paid on return).

    Applied now rather than when the outbox delivers payments.payment_succeeded: the person who took
    the money expects a paid order; the handler later finds it applied. Raises as
    ``order_record_offline_payment``; call outside a transaction.
    """
    payment = order_record_offline_payment(merchant=merchant, order=order, method=method, staff=staff)
    with transaction.atomic():
        order_apply_payment(
            merchant=merchant,
            order_no=order.order_no,
            payment_id=payment.public_id,
            amount_fen=payment.amount_fen,
            actor=f"staff:{staff.public_id}",
        )
    return payment


def order_apply_payment(*, merchant: Merchant, order_no: str, payment_id: str, amount_fen: int, actor: str) -> str:
    """Apply a succeeded payment to its order (the payments.payment_succeeded handler).

    Returns what happened: ``"paid"``, ``"duplicate"`` (already applied), ``"late"`` (the order
    had closed or was paid by another payment: the money goes back, see LATE PAYMENTS in
    handlers.py), or ``"unknown"`` (not an order of ours). Idempotent.
    """
    order = Order.objects.for_merchant(merchant).select_for_update().filter(order_no=order_no).first()
    if order is None:
        return "unknown"
    if order.payment_id == payment_id:
        return "duplicate"
    if order.status == OrderStatus.PENDING_PAYMENT and amount_fen == order.total_fen and _confirm_holds(order, actor):
        ORDER.transition(
            order,
            OrderStatus.PAID,
            actor=actor,
            reason=f"payment {payment_id}",
            extra_updates={"paid_at": clock.now(), "payment_id": payment_id},
        )
        publish(merchant=merchant, name="orders.order_paid", payload=order_payload(order))
        virtual_deliver(merchant=merchant, order=order, actor=actor)
        return "paid"
    if OrderRefund.objects.filter(order=order, payment_id=payment_id).exists():
        return "duplicate"
    if order.status == OrderStatus.PENDING_PAYMENT:
        # Paid, but the stock is gone (its holds lapsed and were sold): the order cannot be kept.
        ORDER.transition(order, OrderStatus.EXPIRED, actor=actor, reason="paid after its stock was released")
        publish(merchant=merchant, name="orders.order_expired", payload=order_payload(order))
    refund = OrderRefund.objects.create(
        merchant=merchant,
        order=order,
        kind=OrderRefundKind.LATE_PAYMENT,
        out_refund_no=f"{order.order_no}L{OrderRefund.objects.filter(order=order).count() + 1:02d}",
        payment_id=payment_id,
        amount_fen=amount_fen,
        reason="order closed before payment",
        actor=actor,
    )
    publish(
        merchant=merchant,
        name="orders.late_payment",
        payload={
            **order_payload(order),
            "payment_id": payment_id,
            "amount_fen": amount_fen,
            "out_refund_no": refund.out_refund_no,
        },
    )
    return "late"


def _confirm_holds(order: Order, actor: str) -> bool:
    """Confirm the order's holds; if they lapsed, hold the same units again. False: stock is gone."""
    holds = list(Hold.objects.for_merchant(order.merchant).select_related("pool").filter(reference=order.order_no))
    try:
        inventory.hold_confirm(merchant=order.merchant, holds=holds, actor=actor, reason=f"order {order.order_no} paid")
        return True
    except HoldNotActive:
        pass
    lapsed = [h for h in holds if h.status != HoldStatus.CONFIRMED]
    try:
        with transaction.atomic():
            inventory.hold_release(
                merchant=order.merchant,
                holds=[h for h in lapsed if h.status == HoldStatus.HELD],
                reason="re-held after payment",
                actor=actor,
            )
            fresh = inventory.capacity_hold(
                merchant=order.merchant,
                lines=[(h.pool, h.quantity) for h in lapsed],
                expires_at=clock.now() + HOLD_GRACE,
                reference=order.order_no,
                actor=actor,
                reason="paid late",
            )
            inventory.hold_confirm(merchant=order.merchant, holds=fresh, actor=actor, reason="paid")
            by_old = {h.public_id: n.public_id for h, n in zip(lapsed, fresh, strict=True)}
            for line in order.lines.all():
                if line.hold_id in by_old:
                    OrderLine.objects.filter(pk=line.pk).update(hold_id=by_old[line.hold_id])
        return True
    except InsufficientCapacity:
        return False


def late_payment_refund(*, merchant: Merchant, out_refund_no: str) -> OrderRefund:
    """Give back money that arrived for a closed order; call outside a transaction. Idempotent."""
    order_refund = get_or_not_found(
        OrderRefund.objects.for_merchant(merchant), what="refund", out_refund_no=out_refund_no
    )
    if order_refund.status != OrderRefundStatus.PENDING:
        return order_refund
    payment = get_or_not_found(
        Payment.objects.for_merchant(merchant), what="payment", public_id=order_refund.payment_id
    )
    payments.refund_create(
        merchant=merchant,
        payment=payment,
        amount_fen=order_refund.amount_fen,
        reason=order_refund.reason,
        out_refund_no=order_refund.out_refund_no,
        actor="system:late_payment",
    )
    return order_refund


# --- cancel and expire ----------------------------------------------------------------------------


def order_cancel(*, merchant: Merchant, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an unpaid order (the member changed their mind): close its payments, free its stock.

    Raises state.invalid_transition when it is no longer pending. Emits orders.order_cancelled.
    """
    return _close_unpaid(merchant, _fresh(merchant, order), OrderStatus.CANCELLED, actor, reason or "cancelled")


def orders_expire_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Expire unpaid orders past their deadline, release their stock, close their payments."""
    now = now or clock.now()
    due = list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
        .select_related("merchant")
        .order_by("expires_at")[:limit]
    )
    expired = 0
    for order in due:
        try:
            _close_unpaid(order.merchant, order, OrderStatus.EXPIRED, "system:expiry", "not paid in time")
            expired += 1
        except Exception:  # one order must not stop the sweep; the next round tries again
            logger.exception("could not expire order %s", order.order_no)
    return expired


def _close_unpaid(merchant: Merchant, order: Order, to: str, actor: str, reason: str) -> Order:
    if not ORDER.can(order.status, to):
        ORDER.transition(order, to, actor=actor, reason=reason)  # raises InvalidTransition
    try:
        closed = payments.payment_close_open(merchant=merchant, reference=order.order_no, actor=actor, reason=reason)
    except Exception:  # WeChat unreachable: close here anyway; money arriving later is refunded
        logger.warning("could not close the payments of %s at WeChat", order.order_no, exc_info=True)
        closed = []
    if any(p.status == PaymentStatus.SUCCEEDED for p in closed):
        return _fresh(merchant, order)  # it was paid meanwhile: the payment event makes it paid
    with transaction.atomic():
        locked = _locked(merchant, order.order_no)
        if locked.status != OrderStatus.PENDING_PAYMENT:
            return locked
        ORDER.transition(locked, to, actor=actor, reason=reason)
        holds = Hold.objects.for_merchant(merchant).filter(reference=locked.order_no, status=HoldStatus.HELD)
        inventory.hold_release(merchant=merchant, holds=list(holds), reason=f"order {to}", actor=actor)
        publish(merchant=merchant, name=f"orders.order_{to}", payload=order_payload(locked))
    return locked
