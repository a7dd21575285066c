"""WeChat Pay notifications (WECHAT.md §4.5-4.7): verified, decrypted, checked, applied exactly once.

``notification_apply`` answers what the HTTP endpoint should say:

- bad signature (or another key id) -> 401; stale timestamp or undecryptable -> 400. Recorded as
  rejected and *unverified*: an unverified row never holds the notification id, so a forged body
  cannot make the genuine notification look like a duplicate.
- verified, first time -> applied (204); the same id again -> duplicate (204, no effect): WeChat
  re-sends after a success, and a 204 stops its retries.
- verified but not ours to apply -> rejected with a reason, 400 ``{"code": "FAIL"}``:
  ``unknown_order``, ``wrong_amount``, ``wrong_mchid``, ``wrong_appid``, ``unknown_refund``,
  ``wrong_order``, ``not_paid``, ``refund_not_in_flight``, ``unsupported_event``.

Why 400 and not 200 for a verified notification we reject: only the HTTP status counts, and a 200
tells WeChat the payment was handled when it was not. A 4xx makes WeChat retry on its schedule for
about 24 hours (15 retries), which is bounded and cheap (each retry is re-checked and, if still
wrong, only counted), and it leaves a day to repair a cause on our side (a payment row lost in a
restore, a wrong appid) after which a retry is applied. A notification signed with our platform key
that names another amount or merchant is also a security signal: the first delivery publishes
``payments.notification_rejected`` for people to look at; retries do not publish it again.

A payment notification for a payment a query already settled records ``duplicate`` (no second
ledger entry). Everything for one notification happens in one transaction, with the notification
row, then the payment, then the refund locked (in that order everywhere, so no deadlock).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.events import publish
from weloop.payments.calculations import part, refund_problem, transaction_problem
from weloop.payments.enums import IN_FLIGHT_REFUND_STATUSES, NotificationEvent, NotificationOutcome, PaymentStatus
from weloop.payments.enums import RefundStatus as RS
from weloop.payments.models import Payment, PaymentNotification, PaySettings, Refund
from weloop.payments.services import pay_settings as accounts
from weloop.payments.services.apply import (
    lock_payment,
    lock_refund,
    mark_paid,
    refund_mark_abnormal,
    refund_mark_succeeded,
    refund_release,
)
from weloop.tenants.models import Merchant
from weloop.wechat.pay import (
    Notification,
    PayCredentialsInvalid,
    PaySignatureInvalid,
    PayStaleTimestamp,
    PayUndecryptable,
    open_notification,
)
from weloop.wechat.pay_crypto import parse_rfc3339

logger = logging.getLogger(__name__)

ID_MAX = 64


@dataclass(frozen=True)
class NotificationResult:
    """The outcome and what to answer WeChat: 204 when ``ok``, else ``http_status`` with FAIL."""

    outcome: str  # applied | duplicate | rejected
    reason: str = ""
    http_status: int = 204
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != NotificationOutcome.REJECTED


def _rejected(reason: str, status: int, message: str) -> NotificationResult:
    return NotificationResult(NotificationOutcome.REJECTED, reason, status, message)


def notification_apply(*, merchant: Merchant, headers: Mapping[str, Any], body: bytes) -> NotificationResult:
    """Verify, decrypt, check and apply one notification POSTed to the merchant's notify_url.

    ``headers``: ``request.headers`` (any case) or META; ``body``: the raw bytes. Never raises for
    what WeChat (or anyone) sent; a database failure raises, and the endpoint's 500 makes WeChat retry.
    Emits payments.payment_succeeded, payments.refund_succeeded / refund_failed / refund_abnormal, and
    payments.notification_rejected (once per rejected notification).
    """
    pay_settings = PaySettings.objects.for_merchant(merchant).first()
    if pay_settings is None:
        return _rejected("not_configured", 404, "WeChat Pay is not set up for this merchant.")
    try:
        note = open_notification(accounts.credentials_of(pay_settings), headers, body)
    except (PaySignatureInvalid, PayStaleTimestamp, PayUndecryptable) as error:
        _record_unverified(merchant, body, error.code)
        return _rejected(error.code, error.status, error.detail)
    except PayCredentialsInvalid as error:  # our stored keys are broken: our fault, let WeChat retry
        logger.error("pay settings of %s cannot open notifications: %s", merchant.slug, error.detail)
        return _rejected("settings_broken", 500, "The merchant's WeChat Pay settings are broken.")
    if not note.id or len(note.id) > ID_MAX:
        _record_unverified(merchant, body, "bad_id")
        return _rejected("bad_id", 400, "The notification has no usable id.")
    if note.event_type == NotificationEvent.TRANSACTION_SUCCESS:
        return _apply_transaction(merchant, pay_settings, note)
    if note.event_type in (
        NotificationEvent.REFUND_SUCCESS,
        NotificationEvent.REFUND_CLOSED,
        NotificationEvent.REFUND_ABNORMAL,
    ):
        return _apply_refund(merchant, pay_settings, note)
    return _in_one_transaction(merchant, note, lambda row: _reject(merchant, row, note, "unsupported_event"))


# --- the notification row: the idempotency key ------------------------------------------------------


def _claimed_id(body: bytes) -> str:
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    return str(envelope.get("id") or "")[:ID_MAX] if isinstance(envelope, dict) else ""


def _record_unverified(merchant: Merchant, body: bytes, reason: str) -> None:
    now = clock.now()
    PaymentNotification.objects.create(
        merchant=merchant,
        notification_id=_claimed_id(body),
        verified=False,
        outcome=NotificationOutcome.REJECTED,
        reason=reason,
        received_at=now,
        last_received_at=now,
    )


def _text(resource: Mapping[str, Any], name: str, limit: int) -> str:
    return str(resource.get(name) or "")[:limit]


def _claim(merchant: Merchant, note: Notification) -> tuple[PaymentNotification, bool]:
    """The notification's row, locked: (row, True) the first time, (existing row, False) after.

    The unique (merchant, notification_id) of verified rows decides between concurrent deliveries:
    the second insert waits for the first transaction and then fails, and reads its outcome.
    """
    now, resource = clock.now(), note.resource
    try:
        with transaction.atomic():
            row = PaymentNotification.objects.create(
                merchant=merchant,
                notification_id=note.id,
                event_type=note.event_type[:32],
                out_trade_no=_text(resource, "out_trade_no", 32),
                out_refund_no=_text(resource, "out_refund_no", 64),
                transaction_id=_text(resource, "transaction_id", 32),
                verified=True,
                outcome=NotificationOutcome.REJECTED,  # until decided, in this same transaction
                received_at=now,
                last_received_at=now,
            )
        return row, True
    except IntegrityError:
        row = (
            PaymentNotification.objects.for_merchant(merchant)
            .select_for_update()
            .get(notification_id=note.id, verified=True)
        )
        row.deliveries += 1
        row.last_received_at = now
        row.save(update_fields=["deliveries", "last_received_at"])
        return row, False


def _in_one_transaction(merchant: Merchant, note: Notification, apply) -> NotificationResult:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        row, first = _claim(merchant, note)
        if not first and row.outcome != NotificationOutcome.REJECTED:
            return NotificationResult(NotificationOutcome.DUPLICATE, "already_received")
        result: NotificationResult = apply(row)
        row.save()
    return result


def _decide(row: PaymentNotification, outcome: str, reason: str = "", **links: Any) -> None:
    row.outcome, row.reason = outcome, reason[:300]
    for name, value in links.items():
        setattr(row, name, value)


def _reject(
    merchant: Merchant, row: PaymentNotification, note: Notification, reason: str, **details: Any
) -> NotificationResult:
    first_rejection = row.reason == ""  # a retry of a rejected notification was already reported
    _decide(row, NotificationOutcome.REJECTED, reason, **{k: v for k, v in details.items() if k in ("payment",)})
    if first_rejection:
        logger.warning("WeChat Pay notification %s of %s rejected: %s", note.id, merchant.slug, reason)
        payload = {
            "notification_id": note.id,
            "event_type": note.event_type,
            "reason": reason,
            "out_trade_no": row.out_trade_no,
            "out_refund_no": row.out_refund_no,
            "transaction_id": row.transaction_id,
            **{k: v for k, v in details.items() if k != "payment"},
        }
        publish(merchant=merchant, name="payments.notification_rejected", payload=payload)
    return _rejected(reason, 400, f"Rejected: {reason}.")


# --- TRANSACTION.SUCCESS --------------------------------------------------------------------------------


def _apply_transaction(merchant: Merchant, pay_settings: PaySettings, note: Notification) -> NotificationResult:
    resource = note.resource

    def apply(row: PaymentNotification) -> NotificationResult:
        found = Payment.objects.for_merchant(merchant).filter(out_trade_no=row.out_trade_no).first()
        if found is None or not row.out_trade_no:
            return _reject(merchant, row, note, "unknown_order")
        payment = lock_payment(found.pk)
        problem = transaction_problem(
            resource,
            mchid=pay_settings.mchid,
            appid=pay_settings.appid,
            out_trade_no=payment.out_trade_no,
            amount_fen=payment.amount_fen,
        )
        if not problem and resource.get("trade_state") not in ("SUCCESS", "REFUND"):
            problem = "not_paid"
        if problem:
            amount = part(resource, "amount")
            return _reject(
                merchant,
                row,
                note,
                problem,
                payment=payment,
                payment_id=payment.public_id,
                expected_fen=payment.amount_fen,
                notified_fen=amount.get("total"),
            )
        payer = part(resource, "payer")
        applied = mark_paid(
            payment,
            actor="wechatpay",
            reason=f"notification {note.id}",
            transaction_id=_text(resource, "transaction_id", 32),
            payer_openid=str(payer.get("openid") or "")[:128],
            paid_at=parse_rfc3339(_text(resource, "success_time", 64)),
            trade_state=_text(resource, "trade_state", 16),
        )
        if applied:
            _decide(row, NotificationOutcome.APPLIED, payment=payment)
            return NotificationResult(NotificationOutcome.APPLIED)
        # A query (or an earlier notification id) settled it already: no second charge.
        _decide(row, NotificationOutcome.DUPLICATE, "already_succeeded", payment=payment)
        return NotificationResult(NotificationOutcome.DUPLICATE, "already_succeeded")

    return _in_one_transaction(merchant, note, apply)


# --- REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL ----------------------------------------------------


def _apply_refund(merchant: Merchant, pay_settings: PaySettings, note: Notification) -> NotificationResult:
    resource = note.resource

    def apply(row: PaymentNotification) -> NotificationResult:
        found = Refund.objects.for_merchant(merchant).filter(out_refund_no=row.out_refund_no).first()
        if found is None or not row.out_refund_no:
            # Also a refund notification that overtook its payment: we only create refunds of paid
            # payments, so an unknown number is never ours to apply. WeChat's retries re-check it.
            return _reject(merchant, row, note, "unknown_refund")
        payment = lock_payment(found.payment_id)
        refund = lock_refund(found.pk)
        problem = refund_problem(
            resource,
            mchid=pay_settings.mchid,
            out_trade_no=payment.out_trade_no,
            refund_fen=refund.amount_fen,
            total_fen=payment.amount_fen,
        )
        if problem:
            return _reject(merchant, row, note, problem, payment=payment, refund_id=refund.public_id)
        if payment.status != PaymentStatus.SUCCEEDED:
            return _reject(merchant, row, note, "not_paid", payment=payment, refund_id=refund.public_id)
        return _apply_refund_event(row, note, payment, refund)

    return _in_one_transaction(merchant, note, apply)


def _apply_refund_event(
    row: PaymentNotification, note: Notification, payment: Payment, refund: Refund
) -> NotificationResult:
    reason, merchant = f"notification {note.id}", payment.merchant
    if note.event_type == NotificationEvent.REFUND_SUCCESS:
        if refund.status == RS.SUCCEEDED:
            _decide(row, NotificationOutcome.DUPLICATE, "already_succeeded", payment=payment, refund=refund)
            return NotificationResult(NotificationOutcome.DUPLICATE, "already_succeeded")
        if refund.status not in IN_FLIGHT_REFUND_STATUSES:
            return _reject(merchant, row, note, "refund_not_in_flight", payment=payment, refund_id=refund.public_id)
        refund_mark_succeeded(
            payment,
            refund,
            actor="wechatpay",
            reason=reason,
            wechat_refund_id=_text(note.resource, "refund_id", 32),
            succeeded_at=parse_rfc3339(_text(note.resource, "success_time", 64)),
        )
    elif note.event_type == NotificationEvent.REFUND_CLOSED:
        if refund.status == RS.CLOSED:
            _decide(row, NotificationOutcome.DUPLICATE, "already_closed", payment=payment, refund=refund)
            return NotificationResult(NotificationOutcome.DUPLICATE, "already_closed")
        if refund.status not in IN_FLIGHT_REFUND_STATUSES:
            return _reject(merchant, row, note, "refund_not_in_flight", payment=payment, refund_id=refund.public_id)
        refund_release(payment, refund, to=RS.CLOSED, actor="wechatpay", reason=reason, wechat_status="CLOSED")
    else:  # REFUND.ABNORMAL: not final; people must act (WeChat could not pay the money out)
        if refund.status not in IN_FLIGHT_REFUND_STATUSES:
            return _reject(merchant, row, note, "refund_not_in_flight", payment=payment, refund_id=refund.public_id)
        refund_mark_abnormal(payment, refund, reason=reason)
    _decide(row, NotificationOutcome.APPLIED, payment=payment, refund=refund)
    return NotificationResult(NotificationOutcome.APPLIED)
