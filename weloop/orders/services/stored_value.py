"""Paying an order with the member's stored-value balance (储值): at the counter or on the H5 pay page.

The balance lives in ``loyalty`` (a lower layer); the payment is recorded exactly like cash or card
at the counter (``payments.payment_record_offline`` with ``offline_other`` and the note
``stored value``), so the order's payment, events, attribution and reports stay one path.

Paying: open WeChat payments of the order are closed first (at WeChat, outside any transaction);
then ONE transaction locks the order row, checks it is still waiting for payment, takes the balance
(ref ``order:<order_no>``), records the payment and applies it. Anything refused in there (balance
short, the stock gone, a WeChat payment that won meanwhile) rolls all of it back: nothing is taken.
A double submit waits on the order lock and then finds the order paid (``orders.not_payable``).

Refunds: the refund of a balance payment is an offline refund (``payments.refund_create`` settles it
at once) and ends in ``orders.order_refunded``; its handler (orders/handlers.py) calls
``order_refund_to_balance``, which gives the refunded amount back once per ``out_refund_no``.
"""

from __future__ import annotations

from django.db import transaction

from weloop.loyalty import selectors as loyalty_selectors
from weloop.loyalty import services as loyalty
from weloop.orders.enums import OrderStatus
from weloop.orders.errors import OrderNotPayable
from weloop.orders.models import Order
from weloop.orders.services.common import _fresh, _locked
from weloop.orders.services.payment import order_apply_payment
from weloop.payments import services as payments
from weloop.payments.enums import PaymentMethod, PaymentStatus
from weloop.payments.errors import AlreadyPaid
from weloop.payments.models import Payment
from weloop.tenants.models import Merchant, StaffMember

NOTE = "stored value"


def balance_ref(order_no: str) -> str:
    return f"order:{order_no}"


def order_pay_with_balance(
    *, merchant: Merchant, order: Order, staff: StaffMember | None = None, actor: str = ""
) -> Payment:
    """Pay the whole order from its member's balance; the order is paid on return.

    ``staff`` at the counter, or ``staff=None`` and ``actor="member:<id>"`` when the member pays on
    the H5 page. Raises ``loyalty.insufficient_balance``, ``orders.not_payable`` (not waiting for
    payment, or its stock is gone) or ``payments.already_paid``; then nothing was taken. Call
    outside a transaction.
    """
    order = _fresh(merchant, order)
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderNotPayable(extra={"order_no": order.order_no, "status": order.status})
    actor = f"staff:{staff.public_id}" if staff is not None else actor
    for closed in payments.payment_close_open(
        merchant=merchant, reference=order.order_no, actor=actor, reason="paying with the stored-value balance"
    ):
        if closed.status == PaymentStatus.SUCCEEDED:
            raise AlreadyPaid(extra={"reference": order.order_no, "payment_id": closed.public_id})
    ref = balance_ref(order.order_no)
    with transaction.atomic():
        locked = _locked(merchant, order.order_no)
        if locked.status != OrderStatus.PENDING_PAYMENT:
            raise OrderNotPayable(extra={"order_no": locked.order_no, "status": locked.status})
        if loyalty_selectors.value_spent_for(merchant=merchant, member=locked.member, ref=ref) is not None:
            # Only an earlier, given-back attempt leaves one behind: never pay without taking again.
            raise OrderNotPayable(extra={"order_no": locked.order_no, "reason": "balance_already_used"})
        loyalty.value_spend(
            merchant=merchant,
            member=locked.member,
            amount_fen=locked.total_fen,
            ref=ref,
            actor=actor,
            reason=f"order {locked.order_no}",
        )
        payment = payments.payment_record_offline(
            merchant=merchant,
            reference=locked.order_no,
            amount_fen=locked.total_fen,
            method=PaymentMethod.OFFLINE_OTHER,
            staff=staff,
            actor=actor,
            note=NOTE,
        )
        outcome = order_apply_payment(
            merchant=merchant,
            order_no=locked.order_no,
            payment_id=payment.public_id,
            amount_fen=payment.amount_fen,
            actor=actor,
        )
        if outcome != "paid":  # its stock lapsed and was sold: undo everything
            raise OrderNotPayable(extra={"order_no": locked.order_no, "reason": "stock_gone"})
    return payment


def is_balance_payment(payment: Payment) -> bool:
    return payment.method == PaymentMethod.OFFLINE_OTHER and payment.note == NOTE


def order_balance_refund(
    *, merchant: Merchant, order: Order, amount_fen: int | None = None, refund_ref: str = "", actor: str = ""
) -> int:
    """Give back to the balance (part of) what ``order`` took from it; once per ``refund_ref``;
    never more than it took. Returns fen given back."""
    return loyalty.value_refund(
        merchant=merchant,
        member=order.member,
        ref=balance_ref(order.order_no),
        amount_fen=amount_fen,
        refund_ref=refund_ref,
        actor=actor,
    )


def order_refund_to_balance(*, merchant: Merchant, order_no: str, amount_fen: int, out_refund_no: str) -> int:
    """An order refund succeeded (``orders.order_refunded``): if the order was paid from the balance,
    the refunded ``amount_fen`` goes back to it, once per ``out_refund_no``. Returns fen given back."""
    order = Order.objects.for_merchant(merchant).select_related("member").filter(order_no=order_no).first()
    if order is None or not order.payment_id or not out_refund_no or amount_fen <= 0:
        return 0
    payment = Payment.objects.for_merchant(merchant).filter(public_id=order.payment_id).first()
    if payment is None or not is_balance_payment(payment):
        return 0
    return order_balance_refund(
        merchant=merchant, order=order, amount_fen=amount_fen, refund_ref=out_refund_no, actor="orders"
    )
