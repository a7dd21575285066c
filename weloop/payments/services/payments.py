"""Collecting an order's amount: WeChat Pay JSAPI and Native, closing, querying, and the counter.

Rules every function here keeps:
- ``out_trade_no`` is stored (status ``created``) before WeChat is called, and a retry re-sends the
  same parameters, so WeChat answers with the same order instead of a second one (WECHAT.md §4.7).
- WeChat is never called inside a database transaction: a slow WeChat must not hold row locks.
- At most one payment per order reference is open (created or pending): a database constraint.
  Starting a different one (another method, amount or payer) closes the open one at WeChat first;
  if it turns out to be paid, the start is refused with ``payments.already_paid``.
- Whatever WeChat reports as paid is applied (``apply.mark_paid``), even for a payment we closed:
  received money is never ignored.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import ConcurrentModification, NotFound
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.payments.calculations import part, status_for_trade_state, transaction_problem
from weloop.payments.enums import OFFLINE_METHODS, OPEN_PAYMENT_STATUSES, WECHAT_METHODS, PaymentMethod, PaymentStatus
from weloop.payments.errors import AlreadyPaid, InvalidPayment, PaymentNotOpen
from weloop.payments.models import Payment, PaySettings
from weloop.payments.services import pay_settings as accounts
from weloop.payments.services.apply import lock_payment, mark_closed, mark_failed, mark_paid, payment_payload
from weloop.payments.state import PAYMENT
from weloop.tenants.models import Merchant, StaffMember
from weloop.wechat.pay import (
    PayApiError,
    PayInvalidRequest,
    PaySignatureInvalid,
    PayStaleTimestamp,
    PayUnavailable,
    simulator_scan_url,
    simulator_wallet_url,
)
from weloop.wechat.pay_crypto import parse_rfc3339

logger = logging.getLogger(__name__)

REFERENCE_PATTERN = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")  # WeChat's out_trade_no alphabet
DESCRIPTION_MAX = 127
NOTE_MAX = 200
ATTRIBUTION_MAX_CHARS = 2000
# WeChat renews a prepay_id / code_url after 2 hours; ask for the current one a little before.
PREPAY_REFRESH_AFTER = timedelta(minutes=100)
# Stop trying to start a payment that keeps colliding with concurrent starts.
START_ATTEMPTS = 5


@dataclass(frozen=True)
class JsapiPayParams:
    """``bridge``: the object for ``WeixinJSBridge.invoke('getBrandWCPayRequest', bridge, …)``.

    ``wallet_url``: in simulator mode, the simulated WeChat's pay sheet for the same call (a browser
    has no WeixinJSBridge); blank in live mode. Neither result proves payment: wait for the notification.
    """

    bridge: dict[str, str]
    wallet_url: str


@dataclass(frozen=True)
class NativePayParams:
    """``code_url``: render it as a QR code. ``scan_url``: simulator mode only, the phone "scanning" it."""

    code_url: str
    scan_url: str


@dataclass(frozen=True)
class SyncOutcome:
    """What a query found: the payment after applying it, WeChat's trade_state, and any mismatch."""

    payment: Payment
    trade_state: str
    problem: str = ""


# --- input checks ------------------------------------------------------------------------------------


def _positive_fen(value: object, field: str = "amount_fen") -> int:
    amount = require_fen(value, field=field)
    if amount == 0:
        raise InvalidPayment("The amount must be more than 0.", extra={"field": field})
    return amount


def _checked_reference(reference: object) -> str:
    if not isinstance(reference, str) or not REFERENCE_PATTERN.fullmatch(reference):
        raise InvalidPayment("The order number is 6 to 32 letters, digits, _ - | or *.", extra={"field": "reference"})
    return reference


def _checked_description(description: object) -> str:
    if not isinstance(description, str) or not description.strip() or len(description.strip()) > DESCRIPTION_MAX:
        raise InvalidPayment("The description is 1 to 127 characters.", extra={"field": "description"})
    return description.strip()


def _checked_payer(method: str, payer_openid: object) -> str:
    if method != PaymentMethod.WECHAT_JSAPI:
        return ""
    if not isinstance(payer_openid, str) or not payer_openid.strip() or len(payer_openid) > 128:
        raise InvalidPayment("A JSAPI payment needs the payer's openid.", extra={"field": "payer_openid"})
    return payer_openid.strip()


def _checked_attribution(attribution: object) -> dict[str, Any]:
    if attribution is None:
        return {}
    if not isinstance(attribution, dict) or len(repr(attribution)) > ATTRIBUTION_MAX_CHARS:
        raise InvalidPayment("The attribution is a small object of ids.", extra={"field": "attribution"})
    if not all(isinstance(k, str) and (v is None or isinstance(v, str | int)) for k, v in attribution.items()):
        raise InvalidPayment("The attribution maps names to ids.", extra={"field": "attribution"})
    return dict(attribution)


def _checked_expiry(time_expire: object) -> datetime | None:
    if time_expire is None:
        return None
    if not isinstance(time_expire, datetime) or time_expire.tzinfo is None or time_expire <= clock.now():
        raise InvalidPayment("The payment deadline must be a moment in the future.", extra={"field": "time_expire"})
    return time_expire


def _own(merchant: Merchant, payment: Payment) -> None:
    # A payment of another merchant is a 404, like a missing one.
    if payment.merchant_id != merchant.pk:
        raise NotFound("No such payment.", extra={"what": "payment"})


def payment_get(*, merchant: Merchant, payment_id: str) -> Payment:
    """The merchant's payment with this public id, or NotFound."""
    return get_or_not_found(Payment.objects.for_merchant(merchant), what="payment", public_id=payment_id)


# --- starting a WeChat payment ---------------------------------------------------------------------


def payment_start(
    *,
    merchant: Merchant,
    reference: str,
    description: str,
    amount_fen: int,
    method: str,
    payer_openid: str | None = None,
    attribution: dict[str, Any] | None = None,
    time_expire: datetime | None = None,
) -> Payment:
    """Start (or continue) collecting ``amount_fen`` for order ``reference`` with WeChat Pay.

    Idempotent per (reference, method, amount, payer): a second call returns the same pending
    payment with the same prepay_id / code_url. Any other open payment of the order is closed first.
    ``time_expire`` is the order's own deadline (WeChat refuses payment after it).

    Call it outside a database transaction: it calls WeChat, and must not hold the caller's locks
    while WeChat answers.

    Raises InvalidPayment or money.invalid_amount (bad input), PayNotConfigured, AlreadyPaid, and
    WeChat's errors: PayApiError (refused: the payment is then ``failed``) or PayUnavailable (the
    outcome is unknown: the payment stays ``created``; call again to retry with the same number).
    Emits payments.payment_closed for a replaced payment, payments.payment_failed on refusal.
    """
    amount = _positive_fen(amount_fen)
    reference = _checked_reference(reference)
    description = _checked_description(description)
    if method not in WECHAT_METHODS:
        raise InvalidPayment("Start a WeChat payment with wechat_jsapi or wechat_native.", extra={"field": "method"})
    wanted = Payment(
        merchant=merchant,
        reference=reference,
        description=description,
        amount_fen=amount,
        method=method,
        payer_openid=_checked_payer(method, payer_openid),
        attach=_checked_attribution(attribution),
        expires_at=_checked_expiry(time_expire),
    )
    pay_settings = accounts.pay_settings_of(merchant=merchant)
    payment = _open_payment(merchant, pay_settings, wanted)
    return _place(merchant, pay_settings, payment)


def _same_request(current: Payment, wanted: Payment) -> bool:
    return (current.method, current.amount_fen, current.payer_openid) == (
        wanted.method,
        wanted.amount_fen,
        wanted.payer_openid,
    )


def _refuse_if_paid(merchant: Merchant, reference: str, *, other_than: int) -> None:
    paid = (
        Payment.objects.for_merchant(merchant)
        .filter(reference=reference, status=PaymentStatus.SUCCEEDED)
        .exclude(pk=other_than)
        .first()
    )
    if paid is not None:
        raise AlreadyPaid(extra={"reference": reference, "payment_id": paid.public_id})


def _open_payment(merchant: Merchant, pay_settings: PaySettings, wanted: Payment) -> Payment:
    """The open payment for this request: the existing one if it matches, else a new one."""
    for _ in range(START_ATTEMPTS):
        replaced = None
        with transaction.atomic():
            current = (
                Payment.objects.for_merchant(merchant)
                .select_for_update()
                .filter(reference=wanted.reference, status__in=OPEN_PAYMENT_STATUSES)
                .first()
            )
            if current is not None and _same_request(current, wanted):
                _refuse_if_paid(merchant, wanted.reference, other_than=current.pk)
                return current
            if current is None:
                created = _insert_open(merchant, wanted)
                if created is not None:
                    # Checked after the insert: a concurrent success is then either visible here, or
                    # its own insert waits for ours (the one-open-per-reference index) and sees this.
                    _refuse_if_paid(merchant, wanted.reference, other_than=created.pk)
                    return created
            replaced = current
        if replaced is not None:
            closed = _close_at_wechat(merchant, pay_settings, replaced, actor="payments", reason="replaced")
            if closed.status == PaymentStatus.SUCCEEDED:
                raise AlreadyPaid(extra={"reference": wanted.reference, "payment_id": closed.public_id})
    raise ConcurrentModification(extra={"reference": wanted.reference})


def _next_out_trade_no(merchant: Merchant, reference: str) -> str:
    """The order number itself for its first WeChat payment, then ``<number>-2``, ``-3``…"""
    used = set(
        Payment.objects.for_merchant(merchant)
        .filter(out_trade_no__startswith=reference[:26])
        .values_list("out_trade_no", flat=True)
    )
    if reference not in used:
        return reference
    for n in itertools.count(2):
        suffix = f"-{n}"
        candidate = reference[: 32 - len(suffix)] + suffix
        if candidate not in used:
            return candidate
    raise AssertionError("unreachable")


def _insert_open(merchant: Merchant, wanted: Payment) -> Payment | None:
    """Insert ``wanted`` as the order's open payment; None when a concurrent start got there first."""
    wanted.out_trade_no = _next_out_trade_no(merchant, wanted.reference)
    wanted.status = PaymentStatus.CREATED
    wanted.created_at = clock.now()
    try:
        with transaction.atomic():
            wanted.save(force_insert=True)
    except IntegrityError:
        wanted.pk = None
        return None
    return wanted


def _handle_is_fresh(payment: Payment) -> bool:
    return (
        payment.status == PaymentStatus.PENDING
        and payment.prepared_at is not None
        and clock.now() - payment.prepared_at < PREPAY_REFRESH_AFTER
    )


def _place(merchant: Merchant, pay_settings: PaySettings, payment: Payment) -> Payment:
    """Ask WeChat for the order's prepay_id / code_url (the same one again for the same parameters)."""
    if payment.status not in OPEN_PAYMENT_STATUSES or _handle_is_fresh(payment):
        return payment
    client = accounts.pay_client(pay_settings)
    order = {
        "out_trade_no": payment.out_trade_no,
        "description": payment.description,
        "total_fen": payment.amount_fen,
        "notify_url": accounts.notify_url_for(merchant),
        "time_expire": payment.expires_at,
        "attach": payment.public_id,  # comes back in queries and bills: finds our row from WeChat's side
    }
    try:
        if payment.method == PaymentMethod.WECHAT_JSAPI:
            handle = {"prepay_id": client.jsapi(**order, payer_openid=payment.payer_openid)}
        else:
            handle = {"code_url": client.native(**order)}
    except PayInvalidRequest as error:
        _fail(payment, f"{error.extra.get('field', '')}: {error.detail}")
        raise
    except (PaySignatureInvalid, PayStaleTimestamp) as error:
        _note_unknown_outcome(payment, error.detail)
        raise PayUnavailable(f"WeChat Pay's answer could not be verified: {error.detail}") from error
    except PayApiError as error:
        _after_refusal(merchant, pay_settings, payment, error)
        raise
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        updates = {**handle, "prepared_at": clock.now(), "failure_reason": ""}
        if locked.status == PaymentStatus.CREATED:
            PAYMENT.transition(locked, PaymentStatus.PENDING, actor="wechatpay", reason="placed", extra_updates=updates)
        elif locked.status == PaymentStatus.PENDING:
            Payment.objects.filter(pk=locked.pk).update(**updates)
            for name, value in updates.items():
                setattr(locked, name, value)
        # Otherwise a notification or a query settled it meanwhile: the caller sees that status.
    return locked


def _note_unknown_outcome(payment: Payment, detail: str) -> None:
    Payment.objects.filter(pk=payment.pk).update(failure_reason=f"outcome unknown: {detail}"[:300])


def _fail(payment: Payment, reason: str) -> None:
    with transaction.atomic():
        mark_failed(lock_payment(payment.pk), actor="wechatpay", reason=reason)


def _after_refusal(merchant: Merchant, pay_settings: PaySettings, payment: Payment, error: PayApiError) -> None:
    """WeChat refused the order call: unknown (retry later), paid or closed already, or refused for good."""
    if error.retryable:
        _note_unknown_outcome(payment, error.detail)
        return
    try:  # the order may be paid or closed at WeChat: that is what the refusal means, then
        outcome = payment_sync(merchant=merchant, payment=payment, pay_settings=pay_settings, close_unknown=False)
    except PayApiError:
        outcome = None
    if outcome is not None and outcome.payment.status == PaymentStatus.SUCCEEDED:
        raise AlreadyPaid(extra={"reference": payment.reference, "payment_id": payment.public_id}) from error
    _fail(payment, f"{error.wechat_code or error.http_status}: {error.wechat_message or error.detail}")


# --- what the payer's phone needs -------------------------------------------------------------------


def _payable(merchant: Merchant, payment: Payment, method: str) -> tuple[PaySettings, Payment]:
    _own(merchant, payment)
    if payment.method != method:
        raise InvalidPayment(f"This is not a {method} payment.", extra={"field": "method"})
    if payment.status not in OPEN_PAYMENT_STATUSES:
        raise PaymentNotOpen(extra={"payment_id": payment.public_id, "status": payment.status})
    pay_settings = accounts.pay_settings_of(merchant=merchant)
    payment = _place(merchant, pay_settings, payment)  # renews an old prepay_id / code_url
    if payment.status != PaymentStatus.PENDING:
        raise PaymentNotOpen(extra={"payment_id": payment.public_id, "status": payment.status})
    return pay_settings, payment


def _simulator_mode() -> bool:
    return settings.WECHAT_MODE == "simulator"


def payment_jsapi_params(*, merchant: Merchant, payment: Payment, return_url: str = "") -> JsapiPayParams:
    """The signed getBrandWCPayRequest object for a pending JSAPI payment (and the simulator's wallet URL).

    ``return_url`` (simulator mode): where the wallet sends the payer back, with ``result=ok|cancel``.
    Raises PaymentNotOpen, InvalidPayment (not JSAPI), NotFound (another merchant's payment).
    """
    pay_settings, payment = _payable(merchant, payment, PaymentMethod.WECHAT_JSAPI)
    bridge = accounts.pay_client(pay_settings).jsapi_pay_params(payment.prepay_id)
    wallet_url = simulator_wallet_url(bridge, return_url) if _simulator_mode() else ""
    return JsapiPayParams(bridge=bridge, wallet_url=wallet_url)


def payment_native_params(*, merchant: Merchant, payment: Payment, return_url: str = "") -> NativePayParams:
    """The code_url of a pending Native payment (and, in simulator mode, the phone's scan URL)."""
    _, payment = _payable(merchant, payment, PaymentMethod.WECHAT_NATIVE)
    scan_url = simulator_scan_url(payment.code_url, return_url) if _simulator_mode() else ""
    return NativePayParams(code_url=payment.code_url, scan_url=scan_url)


# --- the counter --------------------------------------------------------------------------------------


def payment_record_offline(
    *,
    merchant: Merchant,
    reference: str,
    amount_fen: int,
    method: str,
    staff: StaffMember | None,
    note: str = "",
    actor: str = "",
) -> Payment:
    """Record money a clerk took at the counter (cash, card…): the payment succeeds at once.

    Open WeChat payments of the order are closed first (at WeChat); if one turns out paid, this
    raises AlreadyPaid and records nothing. Emits payments.payment_succeeded.
    ``staff=None`` with an ``actor`` (e.g. ``member:<id>``) records money taken without a clerk:
    ``offline_other`` only (the member paying an order from their stored-value balance).
    """
    amount = _positive_fen(amount_fen)
    reference = _checked_reference(reference)
    if method not in OFFLINE_METHODS:
        raise InvalidPayment("Use offline_cash, offline_card or offline_other.", extra={"field": "method"})
    if staff is None:
        if not actor or method != PaymentMethod.OFFLINE_OTHER:
            raise NotFound("No such staff member.", extra={"what": "staff"})
    elif not isinstance(staff, StaffMember) or staff.merchant_id != merchant.pk or not staff.is_active:
        raise NotFound("No such staff member.", extra={"what": "staff"})
    note = str(note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidPayment("The note is at most 200 characters.", extra={"field": "note"})
    actor = f"staff:{staff.public_id}" if staff is not None else actor[:150]
    for closed in payment_close_open(merchant=merchant, reference=reference, actor=actor, reason="paid at the counter"):
        if closed.status == PaymentStatus.SUCCEEDED:
            raise AlreadyPaid(extra={"reference": reference, "payment_id": closed.public_id})
    with transaction.atomic():
        payment = Payment(
            merchant=merchant,
            reference=reference,
            description=(note or str(PaymentMethod(method).label))[:DESCRIPTION_MAX],
            amount_fen=amount,
            method=method,
            recorded_by=staff,
            note=note,
            created_at=clock.now(),
        )
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
        except IntegrityError:  # a WeChat payment of this order was started meanwhile
            raise ConcurrentModification(extra={"reference": reference}) from None
        _refuse_if_paid(merchant, reference, other_than=payment.pk)
        mark_paid(payment, actor=actor, reason="recorded at the counter" if staff is not None else note or "recorded")
    return payment


# --- closing and querying ---------------------------------------------------------------------------


def payment_close(*, merchant: Merchant, payment: Payment, actor: str, reason: str = "") -> Payment:
    """Make sure an open payment can no longer be paid: close it at WeChat, then here.

    Returns the payment; its status is ``succeeded`` (not ``closed``) when WeChat says it was paid
    meanwhile. Paid, closed and offline payments are returned unchanged. Emits payments.payment_closed.
    Raises PayApiError / PayUnavailable when WeChat cannot close it now.
    """
    _own(merchant, payment)
    payment = Payment.objects.get(pk=payment.pk)
    if payment.method in OFFLINE_METHODS or payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CLOSED):
        return payment
    pay_settings = accounts.pay_settings_of(merchant=merchant)
    return _close_at_wechat(merchant, pay_settings, payment, actor=actor, reason=reason or "closed")


def payment_close_open(*, merchant: Merchant, reference: str, actor: str, reason: str = "") -> list[Payment]:
    """Close every open payment of an order (it was cancelled, expired or paid otherwise).

    Returns them; any that WeChat reports paid comes back ``succeeded``.
    """
    open_payments = Payment.objects.for_merchant(merchant).filter(reference=reference, status__in=OPEN_PAYMENT_STATUSES)
    return [payment_close(merchant=merchant, payment=p, actor=actor, reason=reason) for p in open_payments]


def _close_at_wechat(
    merchant: Merchant, pay_settings: PaySettings, payment: Payment, *, actor: str, reason: str
) -> Payment:
    try:
        accounts.pay_client(pay_settings).close(payment.out_trade_no)
    except PayApiError as error:
        if error.http_status != 404:  # 404: the order never reached WeChat, nothing to close there
            if error.retryable:
                raise
            outcome = payment_sync(merchant=merchant, payment=payment, pay_settings=pay_settings)
            if outcome.payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CLOSED):
                return outcome.payment  # paid (closing raced the payer) or closed already
            raise
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        mark_closed(locked, actor=actor, reason=reason, trade_state="CLOSED")
    return locked


def payment_query_and_sync(*, merchant: Merchant, payment: Payment) -> Payment:
    """Ask WeChat how the payment stands and apply it (paid, closed, failed) exactly like a notification.

    For reconciliation, and for notifications that never came. Offline payments are returned as
    they are. Raises PayApiError / PayUnavailable when WeChat cannot answer.
    """
    _own(merchant, payment)
    if payment.method in OFFLINE_METHODS or not payment.out_trade_no:
        return payment
    return payment_sync(merchant=merchant, payment=payment).payment


def payment_sync(
    *, merchant: Merchant, payment: Payment, pay_settings: PaySettings | None = None, close_unknown: bool = True
) -> SyncOutcome:
    """``payment_query_and_sync`` with the details: WeChat's trade_state and any mismatch.

    A mismatch (another amount, mchid, appid) changes nothing and emits payments.query_mismatch.
    A ``created`` payment WeChat does not know is closed (nobody can pay it) unless ``close_unknown``
    is False. Trade state ``NOT_FOUND`` stands for WeChat's 404.
    """
    pay_settings = pay_settings or accounts.pay_settings_of(merchant=merchant)
    try:
        answer = accounts.pay_client(pay_settings).query_by_out_trade_no(payment.out_trade_no)
    except PayApiError as error:
        if error.http_status != 404:
            raise
        return _never_placed(payment, close=close_unknown)
    trade_state = str(answer.get("trade_state") or "")
    problem = transaction_problem(
        answer,
        mchid=pay_settings.mchid,
        appid=pay_settings.appid,
        out_trade_no=payment.out_trade_no,
        amount_fen=payment.amount_fen,
    )
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        now = clock.now()
        Payment.objects.filter(pk=locked.pk).update(wechat_trade_state=trade_state[:16], last_synced_at=now)
        locked.wechat_trade_state, locked.last_synced_at = trade_state[:16], now
        if problem:
            publish(
                merchant=merchant,
                name="payments.query_mismatch",
                payload={**payment_payload(locked), "problem": problem, "wechat": _reported(answer)},
            )
            return SyncOutcome(locked, trade_state, problem)
        _apply_trade_state(locked, answer, trade_state)
    return SyncOutcome(locked, trade_state)


def _reported(answer: dict[str, Any]) -> dict[str, Any]:
    amount = part(answer, "amount")
    return {k: answer.get(k) for k in ("mchid", "appid", "out_trade_no", "trade_state")} | {
        "total": amount.get("total")
    }


def _apply_trade_state(locked: Payment, answer: dict[str, Any], trade_state: str) -> None:
    target = status_for_trade_state(trade_state)
    if target == PaymentStatus.SUCCEEDED:
        payer = part(answer, "payer")
        mark_paid(
            locked,
            actor="wechatpay",
            reason=f"query: {trade_state}",
            transaction_id=str(answer.get("transaction_id") or "")[:32],
            payer_openid=str(payer.get("openid") or "")[:128],
            paid_at=parse_rfc3339(str(answer.get("success_time") or "")),
            trade_state=trade_state,
        )
    elif target == PaymentStatus.CLOSED:
        mark_closed(locked, actor="wechatpay", reason=f"query: {trade_state}", trade_state=trade_state)
    elif target == PaymentStatus.FAILED:
        mark_failed(locked, actor="wechatpay", reason=f"query: {trade_state}", trade_state=trade_state)


def _never_placed(payment: Payment, *, close: bool) -> SyncOutcome:
    """WeChat does not know the order: our call never reached it. Nobody can pay it; close ours."""
    with transaction.atomic():
        locked = lock_payment(payment.pk)
        now = clock.now()
        Payment.objects.filter(pk=locked.pk).update(wechat_trade_state="NOT_FOUND", last_synced_at=now)
        locked.wechat_trade_state, locked.last_synced_at = "NOT_FOUND", now
        if close and locked.status == PaymentStatus.CREATED:
            mark_closed(locked, actor="wechatpay", reason="query: unknown at WeChat Pay")
    return SyncOutcome(locked, "NOT_FOUND")
