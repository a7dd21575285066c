"""Refunds, full and partial: at most 50 per payment, never more than what is left, each exactly once.

How a WeChat refund goes (WECHAT.md §4.6, §4.7):
1. In one transaction with the payment row locked: check what is left, reserve the amount
   (``Payment.refunding_fen``, guarded by a CHECK constraint) and store the Refund with its
   ``out_refund_no`` (status ``created``).
2. Outside any transaction: ask WeChat, with that number.
3. Apply the answer: ``processing`` (the usual), ``succeeded``, ``closed``; a refusal -> ``failed``
   (the reservation is freed). No answer -> stays ``created``; the periodic sync, or calling
   ``refund_create`` again with the same ``out_refund_no``, re-sends the same number, and WeChat
   refunds a number only once.
4. The refund notification or a query (``refund_sync``) settles ``processing``.

A payment taken at the counter is refunded at the counter: the refund is only recorded, and succeeds
at once. The result is always the Refund row: look at its ``status`` and ``failure_reason``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.core.money import require_fen
from weloop.payments.calculations import REFUND_STATUS, refund_problem
from weloop.payments.enums import IN_FLIGHT_REFUND_STATUSES, OFFLINE_METHODS, PaymentStatus, RefundStatus
from weloop.payments.errors import (
    InvalidRefund,
    NotRefundable,
    RefundExceedsRemaining,
    RefundNumberReused,
    TooManyRefunds,
)
from weloop.payments.models import MAX_REFUNDS_PER_PAYMENT, Payment, Refund
from weloop.payments.services import pay_settings as accounts
from weloop.payments.services.apply import (
    lock_payment,
    lock_refund,
    refund_mark_abnormal,
    refund_mark_succeeded,
    refund_release,
)
from weloop.payments.state import REFUND
from weloop.tenants.models import Merchant
from weloop.wechat.pay import PayApiError, PayInvalidRequest, PaySignatureInvalid, PayStaleTimestamp
from weloop.wechat.pay_crypto import parse_rfc3339

logger = logging.getLogger(__name__)

OUT_REFUND_NO_PATTERN = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
REASON_MAX = 80


def refund_get(*, merchant: Merchant, refund_id: str) -> Refund:
    return get_or_not_found(Refund.objects.for_merchant(merchant), what="refund", public_id=refund_id)


def _checked(amount_fen: object, reason: object, out_refund_no: object) -> tuple[int, str, str]:
    amount = require_fen(amount_fen, field="amount_fen")
    if amount == 0:
        raise InvalidRefund("A refund is more than 0.", extra={"field": "amount_fen"})
    reason = str(reason or "").strip()
    if len(reason) > REASON_MAX:
        raise InvalidRefund("The reason is at most 80 characters.", extra={"field": "reason"})
    number = "" if out_refund_no is None else out_refund_no
    if number != "" and (not isinstance(number, str) or not OUT_REFUND_NO_PATTERN.fullmatch(number)):
        raise InvalidRefund(
            "The refund number is 1 to 64 letters, digits, _ - | * or @.", extra={"field": "out_refund_no"}
        )
    return amount, reason, number


def refund_create(
    *,
    merchant: Merchant,
    payment: Payment,
    amount_fen: int,
    reason: str = "",
    out_refund_no: str | None = None,
    actor: str,
) -> Refund:
    """Refund ``amount_fen`` of a paid payment; with the same ``out_refund_no`` again, retry that refund.

    Call it outside a database transaction (it calls WeChat after committing the reservation).
    Raises money.invalid_amount / InvalidRefund (bad input), NotRefundable (not paid),
    RefundExceedsRemaining, TooManyRefunds (a 51st), RefundNumberReused (the number belongs to another
    refund). WeChat's answer never raises: it shows in the returned Refund's status.
    Emits payments.refund_succeeded / refund_failed (when settled).
    """
    amount, reason, number = _checked(amount_fen, reason, out_refund_no)
    if payment.merchant_id != merchant.pk:
        raise NotFound("No such payment.", extra={"what": "payment"})
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        refund = _existing(merchant, locked, number, amount) if number else None
        if refund is None:
            refund = _reserve_and_store(merchant, locked, amount, reason, number, actor)
    if refund.status == RefundStatus.CREATED:
        return _send(merchant, refund)
    return refund


def _existing(merchant: Merchant, payment: Payment, number: str, amount: int) -> Refund | None:
    """The refund already stored under ``number`` (a retry), re-armed if WeChat refused it before."""
    refund = Refund.objects.for_merchant(merchant).filter(out_refund_no=number).first()
    if refund is None:
        return None
    if refund.payment_id != payment.pk or refund.amount_fen != amount:
        raise RefundNumberReused(extra={"out_refund_no": number, "refund_id": refund.public_id})
    refund = lock_refund(refund.pk)
    if refund.status == RefundStatus.FAILED:
        _reserve(payment, amount)
        REFUND.transition(refund, RefundStatus.CREATED, actor="payments", reason="retry", extra_updates={})
    return refund


def _reserve(payment: Payment, amount: int) -> None:
    """Set ``amount`` aside on the locked payment, or RefundExceedsRemaining. The CHECK backs it up."""
    reserved = Payment.objects.filter(
        pk=payment.pk, amount_fen__gte=F("refunded_fen") + F("refunding_fen") + amount
    ).update(refunding_fen=F("refunding_fen") + amount)
    if not reserved:
        payment.refresh_from_db(fields=["refunded_fen", "refunding_fen"])
        raise RefundExceedsRemaining(
            extra={"payment_id": payment.public_id, "requested_fen": amount, "remaining_fen": payment.refundable_fen}
        )
    payment.refresh_from_db(fields=["refunded_fen", "refunding_fen"])


def _reserve_and_store(
    merchant: Merchant, payment: Payment, amount: int, reason: str, number: str, actor: str
) -> Refund:
    if payment.status != PaymentStatus.SUCCEEDED:
        raise NotRefundable(extra={"payment_id": payment.public_id, "status": payment.status})
    if Refund.objects.filter(payment=payment).count() >= MAX_REFUNDS_PER_PAYMENT:
        raise TooManyRefunds(extra={"payment_id": payment.public_id, "limit": MAX_REFUNDS_PER_PAYMENT})
    _reserve(payment, amount)
    refund = Refund(merchant=merchant, payment=payment, amount_fen=amount, reason=reason, requested_by=actor[:150])
    refund.out_refund_no = number or refund.public_id
    refund.created_at = clock.now()
    try:
        with transaction.atomic():
            refund.save(force_insert=True)
    except IntegrityError:  # the number is taken by another payment's refund
        raise RefundNumberReused(extra={"out_refund_no": refund.out_refund_no}) from None
    if payment.method in OFFLINE_METHODS:  # handed back at the counter: nothing to ask anyone
        refund_mark_succeeded(payment, refund, actor=actor, reason="refunded at the counter")
    return refund


def _send(merchant: Merchant, refund: Refund) -> Refund:
    """Ask WeChat for the refund (same out_refund_no every time) and apply its answer."""
    payment = Payment.objects.get(pk=refund.payment_id)
    pay_settings = accounts.pay_settings_of(merchant=merchant)
    try:
        answer = accounts.pay_client(pay_settings).refund(
            out_trade_no=payment.out_trade_no,
            out_refund_no=refund.out_refund_no,
            refund_fen=refund.amount_fen,
            total_fen=payment.amount_fen,
            reason=refund.reason,
            notify_url=accounts.notify_url_for(merchant),
        )
    except (PaySignatureInvalid, PayStaleTimestamp) as error:
        return _unknown(refund, f"answer not verified: {error.detail}")
    except PayInvalidRequest as error:
        return _refused(refund, actor="payments", reason=error.detail)
    except PayApiError as error:
        if error.retryable:
            return _unknown(refund, error.detail)
        why = f"{error.wechat_code or error.http_status}: {error.wechat_message or error.detail}"
        return _refused(refund, actor="wechatpay", reason=why)
    return _apply_answer(refund, answer)


def _unknown(refund: Refund, detail: str) -> Refund:
    """WeChat's answer is unknown: keep the refund (and its reservation); it is re-sent later."""
    Refund.objects.filter(pk=refund.pk).update(failure_reason=f"outcome unknown: {detail}"[:300])
    refund.refresh_from_db()
    return refund


def _refused(refund: Refund, *, actor: str, reason: str) -> Refund:
    """WeChat refused the refund: ``failed``, its amount free again (a retry re-sends the same number)."""
    return _settle(refund, lambda p, r: refund_release(p, r, to=RefundStatus.FAILED, actor=actor, reason=reason))


def _settle(refund: Refund, change) -> Refund:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        payment = lock_payment(refund.payment_id)
        locked = lock_refund(refund.pk)
        change(payment, locked)
    return locked


def _apply_answer(refund: Refund, answer: dict[str, Any]) -> Refund:
    """Apply a refund as WeChat's refund API or refund query describes it."""
    wechat_status = str(answer.get("status") or "")[:16]

    def change(payment: Payment, locked: Refund) -> None:
        now = clock.now()
        Refund.objects.filter(pk=locked.pk).update(last_synced_at=now)
        locked.last_synced_at = now
        problem = refund_problem(
            answer,
            mchid=None,
            out_trade_no=payment.out_trade_no,
            refund_fen=locked.amount_fen,
            total_fen=payment.amount_fen,
        )
        if answer.get("out_refund_no") != locked.out_refund_no:
            problem = "wrong_refund"
        if problem:
            logger.error("WeChat Pay describes refund %s differently: %s", locked.out_refund_no, problem)
            Refund.objects.filter(pk=locked.pk).update(failure_reason=f"mismatch: {problem}")
            return
        target = REFUND_STATUS.get(wechat_status)
        if target == RefundStatus.SUCCEEDED:
            refund_mark_succeeded(
                payment,
                locked,
                actor="wechatpay",
                reason=f"refund answer {wechat_status}",
                wechat_refund_id=str(answer.get("refund_id") or "")[:32],
                succeeded_at=parse_rfc3339(str(answer.get("success_time") or "")),
            )
        elif target == RefundStatus.CLOSED:
            refund_release(
                payment, locked, to=RefundStatus.CLOSED, actor="wechatpay", reason="CLOSED", wechat_status="CLOSED"
            )
        elif wechat_status == "ABNORMAL":
            refund_mark_abnormal(payment, locked, reason="ABNORMAL")
        elif target == RefundStatus.PROCESSING and locked.status in IN_FLIGHT_REFUND_STATUSES:
            updates = {"wechat_status": wechat_status, "wechat_refund_id": str(answer.get("refund_id") or "")[:32]}
            if locked.status == RefundStatus.CREATED:
                REFUND.transition(
                    locked, RefundStatus.PROCESSING, actor="wechatpay", reason="accepted", extra_updates=updates
                )
            else:
                Refund.objects.filter(pk=locked.pk).update(**updates)

    return _settle(refund, change)


def refund_sync(*, merchant: Merchant, refund: Refund) -> Refund:
    """Bring a refund up to date: re-send one WeChat never answered, query one in progress.

    Settled and offline refunds are returned as they are. Raises PayApiError when the query fails.
    """
    if refund.merchant_id != merchant.pk:
        raise NotFound("No such refund.", extra={"what": "refund"})
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.payment.method in OFFLINE_METHODS:
        return refund
    if refund.status == RefundStatus.CREATED:
        return _send(merchant, refund)
    if refund.status != RefundStatus.PROCESSING:
        return refund
    pay_settings = accounts.pay_settings_of(merchant=merchant)
    answer = accounts.pay_client(pay_settings).query_refund(refund.out_refund_no)
    return _apply_answer(refund, answer)


def refund_retry_failed(*, merchant: Merchant, refund: Refund, actor: str) -> Refund:
    """Ask WeChat again for a refused refund, with the same out_refund_no (e.g. after a top-up)."""
    return refund_create(
        merchant=merchant,
        payment=refund.payment,
        amount_fen=refund.amount_fen,
        reason=refund.reason,
        out_refund_no=refund.out_refund_no,
        actor=actor,
    )
