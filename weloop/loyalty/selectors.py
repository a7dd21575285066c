"""Reads of loyalty: what checkout needs, a member's account and ledgers, levels, stats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum

from weloop.loyalty.models import (
    Level,
    LoyaltySettings,
    MemberAccount,
    PointsEntry,
    PointsKind,
    ValueEntry,
    ValueKind,
)


@dataclass(frozen=True)
class Benefits:
    level_name: str = ""
    discount_bps: int = 0
    free_shipping: bool = False
    points_balance: int = 0
    fen_per_point: int = 1
    max_points_share_bps: int = 0


def settings_or_default(*, merchant: Any) -> LoyaltySettings:
    return LoyaltySettings.objects.for_merchant(merchant).first() or LoyaltySettings(merchant=merchant)


def account_of(*, merchant: Any, member: Any) -> MemberAccount:
    """The member's account (an unsaved empty one before the first change; the level is the
    entry level then)."""
    found = MemberAccount.objects.for_merchant(merchant).select_related("level").filter(member=member).first()
    if found is not None:
        return found
    entry = Level.objects.for_merchant(merchant).filter(growth_threshold__lte=0).order_by("-growth_threshold").first()
    return MemberAccount(merchant=merchant, member=member, level=entry)


def checkout_benefits(*, merchant: Any, member: Any) -> Benefits:
    """The member's level discount, free shipping and points, as checkout prices them."""
    if member is None:
        return Benefits()
    settings = settings_or_default(merchant=merchant)
    account = account_of(merchant=merchant, member=member)
    level = account.level
    return Benefits(
        level_name=level.name if level else "",
        discount_bps=level.discount_bps if level else 0,
        free_shipping=bool(level and level.free_shipping),
        points_balance=account.points_balance,
        fen_per_point=settings.fen_per_point,
        max_points_share_bps=settings.max_points_share_bps,
    )


def levels(*, merchant: Any) -> QuerySet[Level]:
    return Level.objects.for_merchant(merchant).order_by("growth_threshold", "id")


def level_by_public_id(*, merchant: Any, level_id: str) -> Level | None:
    return Level.objects.for_merchant(merchant).filter(public_id=level_id).first()


def next_level(*, merchant: Any, growth: int) -> Level | None:
    return levels(merchant=merchant).filter(growth_threshold__gt=growth).first()


def points_history(*, merchant: Any, member: Any) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.for_merchant(merchant).filter(member=member).exclude(delta=0).order_by("-id")


def value_history(*, merchant: Any, member: Any) -> QuerySet[ValueEntry]:
    return ValueEntry.objects.for_merchant(merchant).filter(member=member).order_by("-id")


def value_spent_for(*, merchant: Any, member: Any, ref: str) -> ValueEntry | None:
    """The balance payment made for ``ref`` (``value_spend``), if any."""
    return ValueEntry.objects.for_merchant(merchant).filter(member=member, kind=ValueKind.SPEND, ref=ref).first()


def signed_in_today(*, merchant: Any, member: Any, today: Any) -> bool:
    return (
        PointsEntry.objects.for_merchant(merchant)
        .filter(member=member, kind=PointsKind.EARN, ref=f"signin:{today.isoformat()}")
        .exists()
    )


def stats(*, merchant: Any) -> dict[str, Any]:
    accounts = MemberAccount.objects.for_merchant(merchant)
    totals = accounts.aggregate(points=Sum("points_balance"), balance=Sum("balance_fen"), n=Count("id"))
    by_kind = dict(
        PointsEntry.objects.for_merchant(merchant).values_list("kind").annotate(s=Sum("delta")).values_list("kind", "s")
    )
    per_level = list(
        Level.objects.for_merchant(merchant)
        .order_by("growth_threshold")
        .values("name", "public_id")
        .annotate(members=Count("id"))
    )
    counts = dict(accounts.values_list("level_id").annotate(n=Count("id")).values_list("level_id", "n"))
    level_ids = dict(Level.objects.for_merchant(merchant).values_list("public_id", "id"))
    for row in per_level:
        row["members"] = counts.get(level_ids[row["public_id"]], 0)
    return {
        "accounts": totals["n"] or 0,
        "points_outstanding": totals["points"] or 0,
        "balance_outstanding_fen": totals["balance"] or 0,
        "points_by_kind": {k: int(v or 0) for k, v in by_kind.items()},
        "levels": per_level,
    }
