"""Store and guide performance, read from the attribution ledger (weloop.analytics).

``analytics.view``: owners and admins see every store; a store manager assigned to stores sees
only what was credited to those stores (another store's page is a 404, as another merchant's
would be). Each table is one aggregate query (analytics.selectors).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weloop.analytics import selectors
from weloop.analytics.selectors import Performance
from weloop.core.errors import NotFound, ValidationFailed, WeloopError
from weloop.dashboard.views.orders import store_scope
from weloop.dashboard.web import error_context, render_page
from weloop.stores.models import Store
from weloop.stores.selectors import store_get
from weloop.tenants.access import staff_view

DIMENSIONS = ("store", "guide", "source", "channel")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _period(request: HttpRequest) -> tuple[PeriodForm, tuple | None, WeloopError | None]:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None, None
    first: date | None = form.cleaned_data.get("start")
    last: date | None = form.cleaned_data.get("end")
    try:
        return form, selectors.period_of_days(first, last), None
    except WeloopError as exc:
        return form, None, exc


def _store_for(request: HttpRequest, store_id: str) -> Store:
    """The store, if this staff member may see its performance; NotFound otherwise."""
    store = store_get(merchant=request.merchant, public_id=store_id)  # type: ignore[attr-defined]
    scope = store_scope(request.staff)  # type: ignore[attr-defined]
    if scope is not None and store.pk not in scope:
        raise NotFound("No such store.", extra={"what": "store"})
    return store


def _page(request: HttpRequest, template: str, context: dict, error: WeloopError | None) -> HttpResponse:
    return render_page(request, template, {**context, **error_context(error)}, status=400 if error else 200)


def _tables(request: HttpRequest, span: tuple, *, store_id: str = "", guide_id: str = "") -> dict[str, Performance]:
    merchant, scope = request.merchant, store_scope(request.staff)  # type: ignore[attr-defined]
    start, end = span
    narrow = {"store_id": store_id, "guide_id": guide_id}
    tables = {
        "sources": selectors.performance_by_source(merchant=merchant, start=start, end=end, store_pks=scope, **narrow),
        "channels": selectors.performance_by_channel(
            merchant=merchant, start=start, end=end, store_pks=scope, **narrow
        ),
    }
    if not store_id:
        tables["stores"] = selectors.performance_by_store(merchant=merchant, start=start, end=end, store_pks=scope)
    if not guide_id:
        tables["guides"] = selectors.performance_by_guide(
            merchant=merchant, start=start, end=end, store_pks=scope, store_id=store_id
        )
    return tables


@staff_view("analytics.view")
def performance_stores(request: HttpRequest) -> HttpResponse:
    """Every visible store's figures, with the sources and channels behind them."""
    form, span, error = _period(request)
    tables = _tables(request, span) if span else {}
    return _page(request, "dashboard/performance/stores.html", {"form": form, **tables}, error)


@staff_view("analytics.view")
def performance_guides(request: HttpRequest) -> HttpResponse:
    """Each guide's figures (sales the guide was credited with, in the visible stores)."""
    form, span, error = _period(request)
    tables = _tables(request, span) if span else {}
    return _page(request, "dashboard/performance/guides.html", {"form": form, **tables}, error)


@staff_view("analytics.view")
def performance_store(request: HttpRequest, store_id: str) -> HttpResponse:
    """One store: its figures, its guides, sources (QR scenes, tables, deals) and channels."""
    store = _store_for(request, store_id)
    form, span, error = _period(request)
    tables = _tables(request, span, store_id=store.public_id) if span else {}
    return _page(request, "dashboard/performance/store.html", {"form": form, "store": store, **tables}, error)


@staff_view("analytics.view")
def performance_export(request: HttpRequest) -> HttpResponse:
    """The figures of one dimension (``?by=store|guide|source|channel``) as CSV, amounts in fen."""
    dimension = request.GET.get("by", "store")
    if dimension not in DIMENSIONS:
        dimension = "store"
    form, span, error = _period(request)
    if span is None:
        return _page(request, "dashboard/performance/stores.html", {"form": form}, error or _bad_period())
    merchant, scope = request.merchant, store_scope(request.staff)  # type: ignore[attr-defined]
    start, end = span
    table = {
        "store": selectors.performance_by_store,
        "guide": selectors.performance_by_guide,
        "source": selectors.performance_by_source,
        "channel": selectors.performance_by_channel,
    }[dimension](merchant=merchant, start=start, end=end, store_pks=scope)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = list(table.totals.as_dict())
    writer.writerow([dimension, "label", "source_kind", *columns])
    for row in table.rows:
        writer.writerow([row.key, row.label, row.kind, *(row.figures.as_dict()[c] for c in columns)])
    writer.writerow(["total", "", "", *(table.totals.as_dict()[c] for c in columns)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"performance-{dimension}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _bad_period() -> WeloopError:
    return ValidationFailed(gettext("Enter the period as two dates."), extra={"field": "start"})
