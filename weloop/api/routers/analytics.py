"""/attribution and /performance: the attribution ledger and what it credits each store and guide.

Every paid order, booking and redemption is an entry crediting a store, a guide and a source; a
refund is a reversing entry (docs/store-attribution.md). Performance sums the entries of a period
with one aggregate query per table.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from weloop.analytics import selectors
from weloop.api.auth import merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.analytics import EntryFilters, EntryPage, PerformanceOut, PeriodFilters, performance_out
from weloop.api.schemas.common import PageIn

attribution_router = Router(tags=["Attribution and performance"])
performance_router = Router(tags=["Attribution and performance"])


@attribution_router.get("/entries", response=EntryPage, summary="List attribution entries")
def list_entries(request: HttpRequest, filters: Query[EntryFilters], page: Query[PageIn]) -> dict:
    """Ledger entries newest first, filtered by period, kind, store, guide, source, channel or reference.
    400 `validation_failed` when `end` is before `start`."""
    start = end = None
    if filters.start or filters.end:
        start, end = selectors.period_of_days(filters.start or filters.end, filters.end or filters.start)
    rows = selectors.entry_list(
        merchant=merchant_of(request),
        filters=selectors.EntryFilters(
            start=start,
            end=end,
            kind=filters.kind or "",
            store_id=filters.store_id or "",
            guide_id=filters.guide_id or "",
            source_kind=filters.source_kind or "",
            source=filters.source or "",
            channel=filters.channel or "",
            reference=filters.reference or "",
        ),
    )
    return paginate(rows, page)


@performance_router.get("/stores", response=PerformanceOut, summary="Performance per store")
def stores(request: HttpRequest, filters: Query[PeriodFilters]) -> dict:
    """Gross, refunds, net, orders, redemptions and bookings credited to each store between two days
    (inclusive, local time; default the last 30 days). Exact in fen."""
    start, end = selectors.period_of_days(filters.start, filters.end)
    return performance_out(selectors.performance_by_store(merchant=merchant_of(request), start=start, end=end))


@performance_router.get("/guides", response=PerformanceOut, summary="Performance per guide")
def guides(request: HttpRequest, filters: Query[PeriodFilters]) -> dict:
    """The same figures per guide (the staff member credited with the sale or the redemption)."""
    start, end = selectors.period_of_days(filters.start, filters.end)
    return performance_out(selectors.performance_by_guide(merchant=merchant_of(request), start=start, end=end))
