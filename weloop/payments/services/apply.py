"""The transitions that move money, shared by notifications, queries, refunds and the counter.

Each function runs inside the caller's transaction, on rows the caller locked with
``select_for_update`` (always the payment first, then the refund, so callers never deadlock).
Each is idempotent: applying what already happened changes nothing and returns False. A change
writes the state history (through the machine), the ledger entry and the outbox event together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F

from weloop.core import clock
from weloop.core.errors import ConcurrentModification
from weloop.core.events import publish
from weloop.payments.enums import IN_FLIGHT_REFUND_STATUSES, LedgerKind, PaymentStatus, RefundStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, Refund
from weloop.payments.state import PAYMENT, REFUND


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def payment_payload(payment: Payment) -> dict[str, Any]:
    """What every payments.payment_* event carries: the order reference, amounts in fen, public ids."""
    return {
        "payment_id": payment.public_id,
        "reference": payment.reference,
        "out_trade_no": payment.out_trade_no,
        "method": payment.method,
        "status": payment.status,
        "amount_fen": payment.amount_fen,
        "refunded_fen": payment.refunded_fen,
        "transaction_id": payment.transaction_id,
        "payer_openid": payment.payer_openid,
        "paid_at": _iso(payment.paid_at),
        "attribution": payment.attach,
    }


def refund_payload(refund: Refund, payment: Payment) -> dict[str, Any]:
    return {
        "refund_id": refund.public_id,
        "out_refund_no": refund.out_refund_no,
        "status": refund.status,
        "amount_fen": refund.amount_fen,
        "reason": refund.reason,
        "failure_reason": refund.failure_reason,
        "payment_id": payment.public_id,
        "reference": payment.reference,
        "out_trade_no": payment.out_trade_no,
        "method": payment.method,
        "payment_amount_fen": payment.amount_fen,
        "refunded_fen": payment.refunded_fen,
        "remaining_fen": payment.amount_fen - payment.refunded_fen,
        "attribution": payment.attach,
    }


def mark_paid(
    payment: Payment,
    *,
    actor: str,
    reason: str,
    transaction_id: str = "",
    payer_openid: str = "",
    paid_at: datetime | None = None,
    trade_state: str = "",
) -> bool:
    """Move a locked payment to succeeded, write its charge and publish payments.payment_succeeded."""
    if payment.status == PaymentStatus.SUCCEEDED:
        return False
    paid_at = paid_at or clock.now()
    updates: dict[str, Any] = {"paid_at": paid_at, "failure_reason": ""}
    if transaction_id:
        updates["transaction_id"] = transaction_id
    if payer_openid:
        updates["payer_openid"] = payer_openid
    if trade_state:
        updates["wechat_trade_state"] = trade_state
    PAYMENT.transition(payment, PaymentStatus.SUCCEEDED, actor=actor, reason=reason, extra_updates=updates)
    PaymentLedgerEntry.objects.create(
        merchant_id=payment.merchant_id,
        payment=payment,
        kind=LedgerKind.CHARGE,
        amount_fen=payment.amount_fen,
        method=payment.method,
        reference=payment.reference,
        at=paid_at,
    )
    publish(merchant=payment.merchant, name="payments.payment_succeeded", payload=payment_payload(payment))
    return True


def mark_closed(payment: Payment, *, actor: str, reason: str, trade_state: str = "") -> bool:
    """Close a locked payment that can no longer be paid; publish payments.payment_closed."""
    if not PAYMENT.can(payment.status, PaymentStatus.CLOSED):
        return False
    updates = {"wechat_trade_state": trade_state} if trade_state else {}
    PAYMENT.transition(payment, PaymentStatus.CLOSED, actor=actor, reason=reason, extra_updates=updates)
    payload = {**payment_payload(payment), "reason": reason}
    publish(merchant=payment.merchant, name="payments.payment_closed", payload=payload)
    return True


def mark_failed(payment: Payment, *, actor: str, reason: str, trade_state: str = "") -> bool:
    """A payment WeChat refused or reported failed; publish payments.payment_failed."""
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.PENDING):
        return False
    updates: dict[str, Any] = {"failure_reason": reason[:300]}
    if trade_state:
        updates["wechat_trade_state"] = trade_state
    PAYMENT.transition(payment, PaymentStatus.FAILED, actor=actor, reason=reason, extra_updates=updates)
    payload = {**payment_payload(payment), "reason": reason}
    publish(merchant=payment.merchant, name="payments.payment_failed", payload=payload)
    return True


def _move_refund_money(payment: Payment, *, refunding: int, refunded: int) -> None:
    """Shift fen between the payment's counters; the CHECK constraints refuse any overdraft."""
    moved = Payment.objects.filter(pk=payment.pk, refunding_fen__gte=-refunding).update(
        refunding_fen=F("refunding_fen") + refunding, refunded_fen=F("refunded_fen") + refunded
    )
    if moved != 1:
        raise ConcurrentModification(extra={"machine": "payment", "payment": payment.public_id})
    payment.refresh_from_db(fields=["refunding_fen", "refunded_fen"])


def refund_mark_succeeded(
    payment: Payment,
    refund: Refund,
    *,
    actor: str,
    reason: str,
    wechat_refund_id: str = "",
    succeeded_at: datetime | None = None,
) -> bool:
    """The money went back: refund succeeded, payment.refunded_fen grows, ledger, payments.refund_succeeded.

    The refund must be in flight (its amount reserved in ``payment.refunding_fen``).
    """
    if refund.status == RefundStatus.SUCCEEDED:
        return False
    succeeded_at = succeeded_at or clock.now()
    updates: dict[str, Any] = {"succeeded_at": succeeded_at, "wechat_status": "SUCCESS", "failure_reason": ""}
    if wechat_refund_id:
        updates["wechat_refund_id"] = wechat_refund_id
    REFUND.transition(refund, RefundStatus.SUCCEEDED, actor=actor, reason=reason, extra_updates=updates)
    _move_refund_money(payment, refunding=-refund.amount_fen, refunded=refund.amount_fen)
    PaymentLedgerEntry.objects.create(
        merchant_id=payment.merchant_id,
        payment=payment,
        refund=refund,
        kind=LedgerKind.REFUND,
        amount_fen=refund.amount_fen,
        method=payment.method,
        reference=payment.reference,
        at=succeeded_at,
    )
    publish(merchant=payment.merchant, name="payments.refund_succeeded", payload=refund_payload(refund, payment))
    return True


def refund_release(
    payment: Payment, refund: Refund, *, to: str, actor: str, reason: str, wechat_status: str = ""
) -> bool:
    """A refund that will not happen (refused: ``failed``, closed: ``closed``): its amount is free again.

    Publishes payments.refund_failed (``status`` says which).
    """
    if refund.status not in IN_FLIGHT_REFUND_STATUSES:
        return False
    updates: dict[str, Any] = {"failure_reason": reason[:300]}
    if wechat_status:
        updates["wechat_status"] = wechat_status
    REFUND.transition(refund, to, actor=actor, reason=reason, extra_updates=updates)
    _move_refund_money(payment, refunding=-refund.amount_fen, refunded=0)
    publish(merchant=payment.merchant, name="payments.refund_failed", payload=refund_payload(refund, payment))
    return True


def refund_mark_abnormal(payment: Payment, refund: Refund, *, reason: str) -> bool:
    """WeChat could not pay the refund out (e.g. the card was cancelled): not final, people must act.

    Publishes payments.refund_abnormal once; the refund stays processing with wechat_status ABNORMAL.
    """
    if refund.status not in IN_FLIGHT_REFUND_STATUSES or refund.wechat_status == "ABNORMAL":
        return False
    if refund.status == RefundStatus.CREATED:
        REFUND.transition(refund, RefundStatus.PROCESSING, actor="wechatpay", reason=reason)
    Refund.objects.filter(pk=refund.pk).update(wechat_status="ABNORMAL", failure_reason=reason[:300])
    refund.wechat_status, refund.failure_reason = "ABNORMAL", reason[:300]
    publish(merchant=payment.merchant, name="payments.refund_abnormal", payload=refund_payload(refund, payment))
    return True


def lock_payment(payment_pk: int) -> Payment:
    """The payment row, locked for the rest of the caller's transaction."""
    return Payment.objects.select_for_update().get(pk=payment_pk)


def lock_refund(refund_pk: int) -> Refund:
    return Refund.objects.select_for_update().get(pk=refund_pk)
