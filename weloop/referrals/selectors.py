"""Referral reads: settings, a member's binding and balances, the ledger, the leaderboard, statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.referrals.enums import EntryKind, EntryStatus
from weloop.referrals.models import (
    CommissionEntry,
    ReferralBinding,
    ReferralSettings,
    Referrer,
    RefusedReferral,
    Statement,
)
from weloop.tenants.models import Merchant


def settings_of(*, merchant: Merchant) -> ReferralSettings:
    """The merchant's settings, or the defaults (unsaved) when never edited."""
    return ReferralSettings.objects.for_merchant(merchant).first() or ReferralSettings(merchant=merchant)


def active_binding(*, merchant: Merchant, member: Any, at: datetime | None = None) -> ReferralBinding | None:
    """The member's binding in force at ``at`` (now), or None."""
    at = at or clock.now()
    return (
        ReferralBinding.objects.for_merchant(merchant)
        .select_related("referrer", "referrer_member")
        .filter(member=member, bound_at__lte=at, expires_at__gt=at)
        .order_by("-seq")
        .first()
    )


def referrer_of_member(*, merchant: Merchant, member: Any) -> Referrer | None:
    return Referrer.objects.for_merchant(merchant).filter(member=member).first()


def referrers_list(*, merchant: Merchant) -> QuerySet[Referrer]:
    """Members who have a share code, newest first."""
    return Referrer.objects.for_merchant(merchant).select_related("member")


def referrer_get(*, merchant: Merchant, public_id: str) -> Referrer:
    return get_or_not_found(
        Referrer.objects.for_merchant(merchant).select_related("member"), what="referrer", public_id=public_id
    )


def referrer_by_code(*, merchant: Merchant, code: str) -> Referrer | None:
    return Referrer.objects.for_merchant(merchant).filter(code=(code or "").strip().upper()[:16]).first()


@dataclass(frozen=True)
class Balances:
    frozen_fen: int
    available_fen: int  # may be negative: a reversal after a payout, netted from the next statement
    paid_fen: int
    on_statement_fen: int  # available, already on an open statement


def balances_of(*, merchant: Merchant, referrer: Referrer | None) -> Balances:
    if referrer is None:
        return Balances(0, 0, 0, 0)
    rows = (
        CommissionEntry.objects.for_merchant(merchant)
        .filter(referrer=referrer)
        .exclude(kind=EntryKind.PAYOUT)
        .aggregate(
            frozen=Sum("amount_fen", filter=Q(status=EntryStatus.FROZEN)),
            available=Sum("amount_fen", filter=Q(status=EntryStatus.AVAILABLE)),
            paid=Sum("amount_fen", filter=Q(status=EntryStatus.PAID)),
            stated=Sum("amount_fen", filter=Q(status=EntryStatus.AVAILABLE, statement__status="open")),
        )
    )
    return Balances(rows["frozen"] or 0, rows["available"] or 0, rows["paid"] or 0, rows["stated"] or 0)


def bindings_of_referrer(*, merchant: Merchant, referrer: Referrer | None, limit: int = 100) -> list[ReferralBinding]:
    if referrer is None:
        return []
    return list(
        ReferralBinding.objects.for_merchant(merchant).select_related("member").filter(referrer=referrer)[:limit]
    )


def entries_of_referrer(*, merchant: Merchant, referrer: Referrer | None, limit: int = 100) -> list[CommissionEntry]:
    if referrer is None:
        return []
    return list(
        CommissionEntry.objects.for_merchant(merchant)
        .select_related("buyer")
        .filter(referrer=referrer)
        .exclude(kind=EntryKind.PAYOUT)[:limit]
    )


def bindings_list(
    *, merchant: Merchant, referrer: Referrer | None = None, member: Any = None
) -> QuerySet[ReferralBinding]:
    rows = ReferralBinding.objects.for_merchant(merchant).select_related("member", "referrer", "referrer_member")
    if referrer is not None:
        rows = rows.filter(referrer=referrer)
    if member is not None:
        rows = rows.filter(member=member)
    return rows


def entries_list(
    *,
    merchant: Merchant,
    referrer: Referrer | None = None,
    status: str = "",
    kind: str = "",
    level: int | None = None,
    order_no: str = "",
) -> QuerySet[CommissionEntry]:
    """The ledger, newest first, filtered."""
    rows = CommissionEntry.objects.for_merchant(merchant).select_related(
        "referrer", "referrer__member", "buyer", "statement"
    )
    if referrer is not None:
        rows = rows.filter(referrer=referrer)
    if status in EntryStatus.values:
        rows = rows.filter(status=status)
    if kind in EntryKind.values:
        rows = rows.filter(kind=kind)
    if level in (0, 1, 2):
        rows = rows.filter(level=level)
    if order_no:
        rows = rows.filter(order_no=order_no.strip())
    return rows


@dataclass(frozen=True)
class LeaderRow:
    referrer: Referrer
    friends: int
    earned_fen: int  # accruals minus reversals, every status
    available_fen: int
    paid_fen: int


def leaderboard(*, merchant: Merchant, limit: int = 50) -> list[LeaderRow]:
    """Referrers by commission earned (net of refunds), then by friends bound."""
    referrers = (
        Referrer.objects.for_merchant(merchant)
        .select_related("member")
        .annotate(
            earned=Sum("entries__amount_fen", filter=~Q(entries__kind=EntryKind.PAYOUT)),
            available=Sum(
                "entries__amount_fen",
                filter=Q(entries__status=EntryStatus.AVAILABLE) & ~Q(entries__kind=EntryKind.PAYOUT),
            ),
            paid=Sum(
                "entries__amount_fen", filter=Q(entries__status=EntryStatus.PAID) & ~Q(entries__kind=EntryKind.PAYOUT)
            ),
        )
        .order_by("-earned", "id")[:limit]
    )
    referrers = list(referrers)
    friends = dict(
        ReferralBinding.objects.for_merchant(merchant)
        .filter(referrer__in=referrers)
        .values("referrer_id")
        .annotate(n=Count("member_id", distinct=True))
        .values_list("referrer_id", "n")
    )
    rows = [
        LeaderRow(r, friends.get(r.pk, 0), r.earned or 0, r.available or 0, r.paid or 0)  # type: ignore[attr-defined]
        for r in referrers
    ]
    rows.sort(key=lambda row: (-row.earned_fen, -row.friends, row.referrer.pk))
    return rows


def statements_list(*, merchant: Merchant, status: str = "", referrer: Referrer | None = None) -> QuerySet[Statement]:
    rows = Statement.objects.for_merchant(merchant).select_related("referrer", "referrer__member")
    if status:
        rows = rows.filter(status=status)
    if referrer is not None:
        rows = rows.filter(referrer=referrer)
    return rows


def statement_get(*, merchant: Merchant, public_id: str) -> Statement:
    return get_or_not_found(
        Statement.objects.for_merchant(merchant).select_related("referrer", "referrer__member"),
        what="statement",
        public_id=public_id,
    )


def statement_lines(*, merchant: Merchant, statement: Statement) -> list[CommissionEntry]:
    return list(
        CommissionEntry.objects.for_merchant(merchant)
        .select_related("buyer")
        .filter(statement=statement)
        .exclude(kind=EntryKind.PAYOUT)
        .order_by("created_at", "id")
    )


def refusals_since(*, merchant: Merchant, since: date) -> dict[str, int]:
    """Refused ``?ref=`` landings per error code since ``since``."""
    return dict(
        RefusedReferral.objects.for_merchant(merchant)
        .filter(day__gte=since)
        .values("code")
        .annotate(n=Sum("count"))
        .values_list("code", "n")
    )
