"""Reads of the attribution ledger: filtered entries and performance per store, guide, source, channel.

Each performance table is one aggregate query (GROUP BY the dimension, conditional sums per kind);
nothing is computed per row in Python except adding up the totals. Figures of a period are the
entries that *occurred* in it: a refund made in March of a February sale lowers March, as in any
ledger.

- gross: what orders paid (order credits); refunds: what went back (order reversals, positive here);
  net = gross - refunds; orders: orders paid.
- redemptions: redemptions that stand (undone ones cancel out), uses and the price paid for them.
  Deal money was counted as gross when the deal was bought; redemption value is shown beside it.
- bookings: bookings confirmed (cancelled ones cancel out) and their booked value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from weloop.analytics.enums import EntryKind, SourceKind
from weloop.analytics.models import AttributionEntry
from weloop.core import clock
from weloop.core.errors import ValidationFailed
from weloop.tenants.models import Merchant

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3


def period_of_days(first: date | None, last: date | None) -> tuple[datetime, datetime]:
    """``[first 00:00, last+1 00:00)`` in local time; default the last 30 days up to today.

    Raises ValidationFailed when the period ends before it starts or is longer than three years.
    """
    last = last or clock.today_local().date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValidationFailed("The period ends before it starts.", extra={"field": "end"})
    if (last - first).days > MAX_DAYS:
        raise ValidationFailed("The period is longer than three years.", extra={"field": "start"})
    start = timezone.make_aware(datetime.combine(first, time.min))
    return start, timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))


def entries_in(
    *, merchant: Merchant, start: datetime | None = None, end: datetime | None = None, store_pks: Any = None
) -> QuerySet[AttributionEntry]:
    """The merchant's entries in ``[start, end)``; ``store_pks`` (None: all) narrows to those stores."""
    rows = AttributionEntry.objects.for_merchant(merchant)
    if start is not None:
        rows = rows.filter(occurred_at__gte=start)
    if end is not None:
        rows = rows.filter(occurred_at__lt=end)
    if store_pks is not None:
        rows = rows.filter(store_id__in=store_pks)
    return rows


@dataclass(frozen=True)
class EntryFilters:
    start: datetime | None = None
    end: datetime | None = None
    kind: str = ""
    store_id: str = ""  # ``st_…``
    guide_id: str = ""  # ``stf_…``
    source_kind: str = ""
    source: str = ""
    channel: str = ""
    reference: str = ""  # order number, redemption or booking id


def entry_list(*, merchant: Merchant, filters: EntryFilters, store_pks: Any = None) -> QuerySet[AttributionEntry]:
    """Entries matching ``filters``, newest first."""
    rows = entries_in(merchant=merchant, start=filters.start, end=filters.end, store_pks=store_pks).select_related(
        "store", "guide", "reverses"
    )
    for name, lookup in (
        ("kind", "kind"),
        ("store_id", "store__public_id"),
        ("guide_id", "guide__public_id"),
        ("source_kind", "source_kind"),
        ("source", "source"),
        ("channel", "channel"),
        ("reference", "reference"),
    ):
        value = getattr(filters, name)
        if value:
            rows = rows.filter(**{lookup: value})
    return rows.order_by("-occurred_at", "-id")


# --- performance ----------------------------------------------------------------------------------


@dataclass
class Figures:
    gross_fen: int = 0
    refunds_fen: int = 0
    orders: int = 0
    redemptions: int = 0
    redeemed_uses: int = 0
    redeemed_fen: int = 0
    bookings: int = 0
    booked_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.refunds_fen

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {**{name: getattr(self, name) for name in self.__dataclass_fields__}, "net_fen": self.net_fen}


@dataclass
class Row:
    key: str  # store or staff public id, source, channel; "" for none
    label: str
    figures: Figures
    kind: str = ""  # source kind, for the source table


@dataclass
class Performance:
    start: datetime
    end: datetime
    rows: list[Row]
    totals: Figures = field(default_factory=Figures)


_ORDER, _REDEMPTION, _BOOKING = EntryKind.ORDER, EntryKind.REDEMPTION, EntryKind.BOOKING
_AGGREGATES = {
    "gross": Sum("amount_fen", filter=Q(kind=_ORDER, is_reversal=False), default=0),
    "refunds": Sum("amount_fen", filter=Q(kind=_ORDER, is_reversal=True), default=0),
    "orders": Sum("units", filter=Q(kind=_ORDER), default=0),
    "redemptions": Count("id", filter=Q(kind=_REDEMPTION, is_reversal=False)),
    "undone": Count("id", filter=Q(kind=_REDEMPTION, is_reversal=True)),
    "uses": Sum("units", filter=Q(kind=_REDEMPTION), default=0),
    "redeemed": Sum("amount_fen", filter=Q(kind=_REDEMPTION), default=0),
    "bookings": Sum("units", filter=Q(kind=_BOOKING), default=0),
    "booked": Sum("amount_fen", filter=Q(kind=_BOOKING), default=0),
}


def _figures(g: dict[str, Any]) -> Figures:
    return Figures(
        gross_fen=g["gross"],
        refunds_fen=-g["refunds"],
        orders=g["orders"],
        redemptions=g["redemptions"] - g["undone"],
        redeemed_uses=g["uses"],
        redeemed_fen=g["redeemed"],
        bookings=g["bookings"],
        booked_fen=g["booked"],
    )


def _grouped(rows: QuerySet[AttributionEntry], *dimensions: str) -> list[dict[str, Any]]:
    return list(rows.values(*dimensions).annotate(**_AGGREGATES).order_by(*dimensions))


def _performance(start: datetime, end: datetime, rows: list[Row]) -> Performance:
    totals = Figures()
    for row in rows:
        totals.add(row.figures)
    rows.sort(key=lambda r: (-r.figures.net_fen, -r.figures.redeemed_fen, r.label))
    return Performance(start=start, end=end, rows=rows, totals=totals)


def performance_by_store(*, merchant: Merchant, start: datetime, end: datetime, store_pks: Any = None) -> Performance:
    """One row per store credited in ``[start, end)`` (and one for entries with no store)."""
    grouped = _grouped(
        entries_in(merchant=merchant, start=start, end=end, store_pks=store_pks), "store__public_id", "store__name"
    )
    rows = [Row(key=g["store__public_id"] or "", label=g["store__name"] or "", figures=_figures(g)) for g in grouped]
    return _performance(start, end, rows)


def performance_by_guide(
    *, merchant: Merchant, start: datetime, end: datetime, store_pks: Any = None, store_id: str = ""
) -> Performance:
    """One row per guide (staff member) credited in ``[start, end)``, and one for sales without a guide."""
    rows_qs = entries_in(merchant=merchant, start=start, end=end, store_pks=store_pks)
    if store_id:
        rows_qs = rows_qs.filter(store__public_id=store_id)
    grouped = _grouped(rows_qs, "guide__public_id", "guide__display_name", "guide__user__username")
    rows = [
        Row(
            key=g["guide__public_id"] or "",
            label=g["guide__display_name"] or g["guide__user__username"] or "",
            figures=_figures(g),
        )
        for g in grouped
    ]
    return _performance(start, end, rows)


def performance_by_source(
    *,
    merchant: Merchant,
    start: datetime,
    end: datetime,
    store_pks: Any = None,
    store_id: str = "",
    guide_id: str = "",
) -> Performance:
    """One row per source (QR scene, table or shelf, deal, referrer, direct), optionally for one store
    or one guide."""
    rows_qs = entries_in(merchant=merchant, start=start, end=end, store_pks=store_pks)
    if store_id:
        rows_qs = rows_qs.filter(store__public_id=store_id)
    if guide_id:
        rows_qs = rows_qs.filter(guide__public_id=guide_id)
    labels = dict(SourceKind.choices)
    rows = [
        Row(
            key=g["source"],
            label=g["source"] or str(labels.get(g["source_kind"], "")),
            figures=_figures(g),
            kind=g["source_kind"],
        )
        for g in _grouped(rows_qs, "source_kind", "source")
    ]
    return _performance(start, end, rows)


def performance_by_channel(
    *,
    merchant: Merchant,
    start: datetime,
    end: datetime,
    store_pks: Any = None,
    store_id: str = "",
    guide_id: str = "",
) -> Performance:
    """One row per channel (``h5``, ``valet``, ``api``, ``deal``, ``redeem``…), optionally narrowed."""
    rows_qs = entries_in(merchant=merchant, start=start, end=end, store_pks=store_pks)
    if store_id:
        rows_qs = rows_qs.filter(store__public_id=store_id)
    if guide_id:
        rows_qs = rows_qs.filter(guide__public_id=guide_id)
    rows = [Row(key=g["channel"], label=g["channel"], figures=_figures(g)) for g in _grouped(rows_qs, "channel")]
    return _performance(start, end, rows)
