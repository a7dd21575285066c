"""Paying an order with the member's stored-value balance (储值) at the counter.

The balance lives in ``loyalty`` (a lower layer); the payment is recorded exactly like cash or card
at the counter (``payments.payment_record_offline`` with ``offline_other`` and a note), so the
order's payment, events, attribution and reports stay one path. Order of steps: take the balance
(idempotent per order: ``order:<order_no>``), then record and apply the payment; if recording
fails, the balance taken is given back before the error is raised.
"""

from __future__ import annotations

from django.db import transaction

from weloop.core.errors import WeloopError
from weloop.loyalty import services as loyalty
from weloop.orders.enums import OrderStatus
from weloop.orders.errors import OrderNotPayable
from weloop.orders.models import Order
from weloop.orders.services.common import _fresh
from weloop.orders.services.payment import order_apply_payment
from weloop.payments import services as payments
from weloop.payments.enums import PaymentMethod
from weloop.payments.models import Payment
from weloop.tenants.models import Merchant, StaffMember

NOTE = "stored value"


def balance_ref(order_no: str) -> str:
    return f"order:{order_no}"


def order_pay_with_balance(*, merchant: Merchant, order: Order, staff: StaffMember) -> Payment:
    """Pay the whole order from the member's balance; the order is paid on return. Raises
    ``loyalty.insufficient_balance`` (nothing taken) or ``OrderNotPayable``. Call outside a transaction."""
    order = _fresh(merchant, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderNotPayable(extra={"order_no": order.order_no, "status": order.status})
    ref = balance_ref(order.order_no)
    loyalty.value_spend(
        merchant=merchant,
        member=order.member,
        amount_fen=order.total_fen,
        ref=ref,
        actor=f"staff:{staff.public_id}",
        reason=f"order {order.order_no}",
    )
    try:
        payment = payments.payment_record_offline(
            merchant=merchant,
            reference=order.order_no,
            amount_fen=order.total_fen,
            method=PaymentMethod.OFFLINE_OTHER,
            staff=staff,
            note=NOTE,
        )
    except WeloopError:
        loyalty.value_refund(merchant=merchant, member=order.member, ref=ref, refund_ref="payment-failed")
        raise
    with transaction.atomic():
        order_apply_payment(
            merchant=merchant,
            order_no=order.order_no,
            payment_id=payment.public_id,
            amount_fen=payment.amount_fen,
            actor=f"staff:{staff.public_id}",
        )
    return payment


def order_balance_refund(
    *, merchant: Merchant, order: Order, amount_fen: int | None = None, refund_ref: str = ""
) -> int:
    """Give back to the balance (part of) what ``order`` took from it; returns fen given back."""
    return loyalty.value_refund(
        merchant=merchant,
        member=order.member,
        ref=balance_ref(order.order_no),
        amount_fen=amount_fen,
        refund_ref=refund_ref,
    )
