"""The daily reconciliation report, and the sweeps that catch up with WeChat when notifications fail.

WeChat's notifications are not guaranteed (WECHAT.md §4.5): after its retries it stops. So a periodic
task queries payments still open after ``STALE_AFTER`` and refunds still in flight, and applies what
WeChat says exactly as a notification would (no double charge: ``apply`` is idempotent).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.payments.calculations import status_for_trade_state
from weloop.payments.enums import (
    IN_FLIGHT_REFUND_STATUSES,
    OFFLINE_METHODS,
    OPEN_PAYMENT_STATUSES,
    WECHAT_METHODS,
    PaymentStatus,
)
from weloop.payments.models import Payment, Refund
from weloop.payments.selectors import ledger_balance, ledger_totals_by_method
from weloop.payments.services.payments import payment_close, payment_sync
from weloop.payments.services.refunds import refund_sync
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # a payment open this long is asked about
RESYNC_EVERY = timedelta(minutes=5)  # and asked again at most this often
REFUND_STALE_AFTER = timedelta(minutes=1)
UNPAID_LIFETIME = timedelta(days=7)  # WeChat's own limit without time_expire


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _expected_ok(status: str, trade_state: str) -> bool:
    """Does our status agree with WeChat's trade_state?"""
    if trade_state == "NOT_FOUND":
        return status in (PaymentStatus.CREATED, PaymentStatus.CLOSED)
    expected = status_for_trade_state(trade_state)
    if expected is None:  # NOTPAY, USERPAYING: still payable
        return status in OPEN_PAYMENT_STATUSES
    return status == expected


def _check_with_wechat(merchant: Merchant, start: datetime, end: datetime) -> tuple[int, list[dict[str, Any]]]:
    """Query every WeChat payment of the day; list each one where we and WeChat disagreed."""
    payments = (
        Payment.objects.for_merchant(merchant)
        .filter(method__in=WECHAT_METHODS)
        .exclude(out_trade_no="")
        .filter(Q(created_at__gte=start, created_at__lt=end) | Q(paid_at__gte=start, paid_at__lt=end))
        .order_by("id")
    )
    mismatches, checked = [], 0
    for payment in payments:
        before = payment.status
        line = {
            "payment_id": payment.public_id,
            "reference": payment.reference,
            "out_trade_no": payment.out_trade_no,
            "amount_fen": payment.amount_fen,
            "ours_before": before,
        }
        try:
            outcome = payment_sync(merchant=merchant, payment=payment)
        except WeloopError as error:
            mismatches.append({**line, "ours_after": before, "wechat_trade_state": "", "problem": error.code})
            continue
        checked += 1
        after = outcome.payment.status
        agrees = not outcome.problem and _expected_ok(after, outcome.trade_state)
        if before != after or not agrees:
            mismatches.append(
                {
                    **line,
                    "ours_after": after,
                    "wechat_trade_state": outcome.trade_state,
                    "problem": outcome.problem or ("status" if not agrees else ""),
                    "fixed": agrees,  # we were behind WeChat, and the query brought us up to date
                }
            )
    return checked, mismatches


def reconciliation_report(*, merchant: Merchant, day: date) -> dict[str, Any]:
    """The day's money per method, and every WeChat payment of the day checked against WeChat.

    Days are in the platform's time zone (``settings.TIME_ZONE``). Querying WeChat also repairs what
    it can (a payment we missed becomes succeeded); ``mismatches`` lists what differed, ``fixed``
    telling whether the query repaired it. ``ledger.balanced`` checks the whole ledger.
    """
    start, end = _day_bounds(day)
    checked, mismatches = _check_with_wechat(merchant, start, end)
    methods = ledger_totals_by_method(merchant=merchant, start=start, end=end)
    total = {key: sum(line[key] for line in methods.values()) for key in next(iter(methods.values()))}
    balance = ledger_balance(merchant=merchant)
    return {
        "merchant": merchant.slug,
        "day": day.isoformat(),
        "timezone": timezone.get_current_timezone_name(),
        "methods": methods,
        "total": total,
        "wechat_checked": checked,
        "mismatches": mismatches,
        "ledger": {
            "charged_fen": balance.charged_fen,
            "refunded_fen": balance.refunded_fen,
            "net_fen": balance.net_fen,
            "kept_fen": balance.kept_fen,
            "balanced": balance.balanced,
        },
    }


def _past_deadline(payment: Payment, now: datetime) -> bool:
    deadline = payment.expires_at or payment.created_at + UNPAID_LIFETIME
    return deadline <= now


def payments_sync_stale(*, limit: int = 100) -> int:
    """Query WeChat payments open for more than 10 minutes (all merchants); close those past deadline.

    Returns how many were queried. A failure is logged and retried at the next round.
    """
    now = clock.now()
    due = (
        Payment.objects.filter(
            status__in=OPEN_PAYMENT_STATUSES, method__in=WECHAT_METHODS, created_at__lte=now - STALE_AFTER
        )
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lte=now - RESYNC_EVERY))
        .select_related("merchant")
        .order_by(F("last_synced_at").asc(nulls_first=True), "id")[:limit]
    )
    count = 0
    for payment in due:
        count += 1
        try:
            synced = payment_sync(merchant=payment.merchant, payment=payment).payment
            if synced.status in OPEN_PAYMENT_STATUSES and _past_deadline(synced, now):
                payment_close(merchant=payment.merchant, payment=synced, actor="payments-sweep", reason="expired")
        except WeloopError as error:
            logger.warning("could not sync payment %s: %s", payment.public_id, error.detail)
            Payment.objects.filter(pk=payment.pk).update(last_synced_at=now)
    return count


def refunds_sync_pending(*, limit: int = 100) -> int:
    """Re-send refunds WeChat never answered and query refunds in progress (all merchants)."""
    now = clock.now()
    due = (
        Refund.objects.filter(status__in=IN_FLIGHT_REFUND_STATUSES, created_at__lte=now - REFUND_STALE_AFTER)
        .exclude(payment__method__in=OFFLINE_METHODS)
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lte=now - RESYNC_EVERY))
        .select_related("merchant")
        .order_by(F("last_synced_at").asc(nulls_first=True), "id")[:limit]
    )
    count = 0
    for refund in due:
        count += 1
        try:
            refund_sync(merchant=refund.merchant, refund=refund)
        except WeloopError as error:
            logger.warning("could not sync refund %s: %s", refund.public_id, error.detail)
        Refund.objects.filter(pk=refund.pk).update(last_synced_at=now)
    return count
