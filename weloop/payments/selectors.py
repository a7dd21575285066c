"""Reads of the payments app: payments, refunds, notifications and the ledger's balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, QuerySet, Sum

from weloop.payments.enums import LedgerKind, PaymentMethod, PaymentStatus
from weloop.payments.models import Payment, PaymentLedgerEntry, PaymentNotification, PaySettings, Refund
from weloop.tenants.models import Merchant


def pay_settings_find(*, merchant: Merchant) -> PaySettings | None:
    return PaySettings.objects.for_merchant(merchant).first()


def payment_list(*, merchant: Merchant, reference: str | None = None) -> QuerySet[Payment]:
    payments = Payment.objects.for_merchant(merchant)
    if reference is not None:
        payments = payments.filter(reference=reference)
    return payments.order_by("-id")


def refund_list(*, merchant: Merchant, payment: Payment | None = None) -> QuerySet[Refund]:
    refunds = Refund.objects.for_merchant(merchant).select_related("payment")
    if payment is not None:
        refunds = refunds.filter(payment_id=payment.pk)
    return refunds.order_by("-id")


def notification_list(*, merchant: Merchant) -> QuerySet[PaymentNotification]:
    return PaymentNotification.objects.for_merchant(merchant).order_by("-id")


@dataclass(frozen=True)
class LedgerBalance:
    """The ledger against the payments: ``charged - refunded`` must equal what paid payments keep."""

    charged_fen: int
    refunded_fen: int
    kept_fen: int  # sum(amount_fen - refunded_fen) over succeeded payments

    @property
    def net_fen(self) -> int:
        return self.charged_fen - self.refunded_fen

    @property
    def balanced(self) -> bool:
        return self.net_fen == self.kept_fen


def ledger_balance(*, merchant: Merchant) -> LedgerBalance:
    entries = PaymentLedgerEntry.objects.for_merchant(merchant)
    charged = entries.filter(kind=LedgerKind.CHARGE).aggregate(s=Sum("amount_fen"))["s"] or 0
    refunded = entries.filter(kind=LedgerKind.REFUND).aggregate(s=Sum("amount_fen"))["s"] or 0
    paid = Payment.objects.for_merchant(merchant).filter(status=PaymentStatus.SUCCEEDED)
    kept = paid.aggregate(s=Sum(F("amount_fen") - F("refunded_fen")))["s"] or 0
    return LedgerBalance(charged_fen=charged, refunded_fen=refunded, kept_fen=kept)


def ledger_totals_by_method(*, merchant: Merchant, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Per method, the money that moved in [start, end): counts and fen charged, refunded and net."""
    totals = {
        str(method): {"count": 0, "charged_fen": 0, "refund_count": 0, "refunded_fen": 0, "net_fen": 0}
        for method in PaymentMethod.values
    }
    rows = (
        PaymentLedgerEntry.objects.for_merchant(merchant)
        .filter(at__gte=start, at__lt=end)
        .values("method", "kind")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
    )
    for row in rows:
        line = totals[row["method"]]
        if row["kind"] == LedgerKind.CHARGE:
            line["count"], line["charged_fen"] = row["n"], row["fen"]
        else:
            line["refund_count"], line["refunded_fen"] = row["n"], row["fen"]
    for line in totals.values():
        line["net_fen"] = line["charged_fen"] - line["refunded_fen"]
    return totals


def ledger_entries(
    *, merchant: Merchant, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[PaymentLedgerEntry]:
    """Ledger entries (charges and refunds), newest first, optionally within [start, end)."""
    entries = PaymentLedgerEntry.objects.for_merchant(merchant).select_related("payment", "refund")
    if start is not None:
        entries = entries.filter(at__gte=start)
    if end is not None:
        entries = entries.filter(at__lt=end)
    return entries.order_by("-at", "-id")
