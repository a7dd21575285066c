"""Reads of pre-sales: lists, one presale with its progress, participants, a member's presales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.members.models import Member
from weloop.presales.enums import EntryStatus, PresaleStatus
from weloop.presales.models import Presale, PresaleEntry
from weloop.tenants.models import Merchant


def presale_list(*, merchant: Merchant, status: str = "") -> QuerySet[Presale]:
    qs = Presale.objects.for_merchant(merchant).select_related("sku", "sku__product", "store")
    if status:
        qs = qs.filter(status=status)
    return qs


def presale_get(*, merchant: Merchant, public_id: str) -> Presale:
    return get_or_not_found(presale_list(merchant=merchant), what="presale", public_id=str(public_id or ""))


def presales_open(*, merchant: Merchant) -> QuerySet[Presale]:
    """What a member can join now (open, before the deadline), soonest deadline first."""
    return (
        presale_list(merchant=merchant, status=PresaleStatus.OPEN).filter(deadline__gt=clock.now()).order_by("deadline")
    )


@dataclass(frozen=True)
class Progress:
    paid_quantity: int
    target_quantity: int
    percent: int  # 0..100 (capped)
    participants: int  # members with a paid (or refunded-after-paying) entry
    pending_quantity: int  # units waiting for payment
    refunds_due: int
    refunds_requested: int
    refunded: int
    refund_errors: int
    seconds_left: int
    available: int | None  # units left under the maximum (None: no maximum)


def presale_progress(*, presale: Presale, now: datetime | None = None) -> Progress:
    now = now or clock.now()
    counts = PresaleEntry.objects.filter(presale=presale).aggregate(
        participants=Count(
            "member", distinct=True, filter=~Q(status__in=[EntryStatus.PENDING_PAYMENT, EntryStatus.LAPSED])
        ),
        pending=Sum("quantity", filter=Q(status=EntryStatus.PENDING_PAYMENT)),
        due=Count("id", filter=Q(status=EntryStatus.REFUND_DUE)),
        requested=Count("id", filter=Q(status=EntryStatus.REFUND_REQUESTED)),
        refunded=Count("id", filter=Q(status=EntryStatus.REFUNDED)),
        errors=Count("id", filter=~Q(refund_error="") & Q(status=EntryStatus.REFUND_DUE)),
    )
    paid = presale.paid_quantity if presale.final_quantity is None else presale.final_quantity
    available = None
    if presale.max_quantity is not None:
        pool = presale.pool
        pool.refresh_from_db()
        available = pool.available
    return Progress(
        paid_quantity=paid,
        target_quantity=presale.target_quantity,
        percent=min(100, paid * 100 // max(1, presale.target_quantity)),
        participants=counts["participants"] or 0,
        pending_quantity=counts["pending"] or 0,
        refunds_due=counts["due"] or 0,
        refunds_requested=counts["requested"] or 0,
        refunded=counts["refunded"] or 0,
        refund_errors=counts["errors"] or 0,
        seconds_left=max(0, int((presale.deadline - now).total_seconds()))
        if presale.status == PresaleStatus.OPEN
        else 0,
        available=available,
    )


def presale_participants(*, merchant: Merchant, presale: Presale) -> QuerySet[PresaleEntry]:
    return (
        PresaleEntry.objects.for_merchant(merchant)
        .filter(presale=presale)
        .select_related("member", "order", "balance_order")
        .order_by("id")
    )


def paid_quantity_from_entries(*, presale: Presale) -> int:
    """The paid units recounted from the entries (the counter ``paid_quantity`` must equal it)."""
    return PresaleEntry.objects.filter(presale=presale, counted=True).aggregate(n=Sum("quantity"))["n"] or 0


def member_entries(*, merchant: Merchant, member: Member) -> QuerySet[PresaleEntry]:
    return (
        PresaleEntry.objects.for_merchant(merchant)
        .filter(member=member)
        .select_related("presale", "presale__sku__product", "order", "balance_order")
        .order_by("-id")
    )


def member_entry_get(*, merchant: Merchant, member: Member, public_id: str) -> PresaleEntry:
    return get_or_not_found(
        member_entries(merchant=merchant, member=member), what="presale order", public_id=str(public_id or "")
    )


def entry_exists(*, merchant: Merchant, public_id: str) -> bool:
    """Whether ``public_id`` is a participant entry of ``merchant`` (pages 404 before any sign-in)."""
    return PresaleEntry.objects.for_merchant(merchant).filter(public_id=str(public_id or "")).exists()
