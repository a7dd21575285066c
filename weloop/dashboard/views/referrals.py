"""Referrals in the console: the programme's settings (rates, windows, per-product rates, refused links),
the referrers' leaderboard (block, unblock, make a statement), the commission ledger with filters, and
payout statements (create for everyone, mark paid by cash or transfer, void).

Paying is done outside WeLoop (cash or a transfer); "mark paid" records it. WeChat Pay transfers to a
member's balance are not part of this page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.catalog.selectors import product_list
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.referrals import selectors, services
from weloop.referrals.enums import EntryKind, EntryStatus, PayoutMethod, StatementStatus
from weloop.referrals.models import ProductRate
from weloop.tenants.access import staff_view

PAGE_SIZE = 200


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Referrals enabled"), required=False)
    level1_bps = forms.IntegerField(label=_("Direct referrer rate (bp, 100 = 1%)"), min_value=0, max_value=10_000)
    level2_bps = forms.IntegerField(label=_("Second-level rate (bp)"), min_value=0, max_value=10_000)
    attribution_days = forms.IntegerField(label=_("Attribution window (days)"), min_value=1, max_value=3650)
    freeze_days = forms.IntegerField(label=_("Refund window before commission is available (days)"), min_value=0)


class ProductRateForm(forms.Form):
    product_id = forms.ChoiceField(label=_("Product"))
    level1_bps = forms.IntegerField(label=_("Direct rate (bp)"), min_value=0, max_value=10_000)
    level2_bps = forms.IntegerField(label=_("Second-level rate (bp)"), min_value=0, max_value=10_000)

    def __init__(self, *args: Any, products: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = products  # type: ignore[attr-defined]


def _settings_page(
    request: HttpRequest,
    *,
    form: SettingsForm | None = None,
    rate_form: ProductRateForm | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    current = selectors.settings_of(merchant=merchant)
    products = [(p.public_id, p.name) for p in product_list(merchant=merchant)]
    initial = {
        "enabled": current.enabled,
        "level1_bps": current.level1_bps,
        "level2_bps": current.level2_bps,
        "attribution_days": current.attribution_days,
        "freeze_days": current.freeze_days,
    }
    context = {
        "form": form or SettingsForm(initial=initial),
        "rate_form": rate_form or ProductRateForm(products=products),
        "rates": ProductRate.objects.for_merchant(merchant).select_related("product").order_by("product__name"),
        "refusals": sorted(
            selectors.refusals_since(merchant=merchant, since=(clock.today_local() - timedelta(days=30)).date()).items()
        ),
        **error_context(error),
    }
    return render_page(request, "dashboard/referrals/settings.html", context, status=status)


@staff_view("referrals.manage")
def referral_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    try:
        services.settings_update(merchant=request.merchant, actor=actor_of(request), **form.cleaned_data)  # type: ignore[attr-defined]
    except WeloopError as error:
        attach_error(form, error)
        return _settings_page(request, form=form, error=error, status=error.status)
    messages.success(request, gettext("Referral settings saved."))
    return redirect("dashboard:referral_settings")


@require_POST
@staff_view("referrals.manage")
def referral_settings_rate(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    products = {p.public_id: p for p in product_list(merchant=merchant)}
    if request.POST.get("remove"):
        product = products.get(request.POST["remove"])
        if product is not None:
            services.product_rate_remove(merchant=merchant, product=product)
        messages.success(request, gettext("Product rate removed."))
        return redirect("dashboard:referral_settings")
    form = ProductRateForm(request.POST, products=[(pid, p.name) for pid, p in products.items()])
    if not form.is_valid():
        return _settings_page(request, rate_form=form, status=400)
    try:
        services.product_rate_set(
            merchant=merchant,
            product=products[form.cleaned_data["product_id"]],
            level1_bps=form.cleaned_data["level1_bps"],
            level2_bps=form.cleaned_data["level2_bps"],
        )
    except WeloopError as error:
        attach_error(form, error)
        return _settings_page(request, rate_form=form, error=error, status=error.status)
    messages.success(request, gettext("Product rate saved."))
    return redirect("dashboard:referral_settings")


@staff_view("referrals.manage")
def referral_referrers(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {"rows": selectors.leaderboard(merchant=merchant, limit=PAGE_SIZE)}
    return render_page(request, "dashboard/referrals/referrers.html", context)


@require_POST
@staff_view("referrals.manage")
def referral_referrer_act(request: HttpRequest, referrer_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    referrer = selectors.referrer_get(merchant=merchant, public_id=referrer_id)  # 404 before anything else
    action = request.POST.get("action", "")
    actor = actor_of(request)
    try:
        if action == "block":
            services.referrer_block(
                merchant=merchant, referrer=referrer, reason=request.POST.get("reason", ""), actor=actor
            )
            messages.success(request, gettext("Referrer blocked: no new friends or commission."))
        elif action == "unblock":
            services.referrer_unblock(merchant=merchant, referrer=referrer, actor=actor)
            messages.success(request, gettext("Referrer unblocked."))
        elif action == "statement":
            statement = services.statement_create(merchant=merchant, referrer=referrer, actor=actor)
            return redirect("dashboard:referral_statement", statement_id=statement.public_id)
        else:
            messages.error(request, gettext("Unknown action."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:referral_referrers")


@staff_view("referrals.manage")
def referral_ledger(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    filters = {key: request.GET.get(key, "").strip() for key in ("status", "kind", "level", "order_no", "code")}
    referrer = selectors.referrer_by_code(merchant=merchant, code=filters["code"]) if filters["code"] else None
    entries = selectors.entries_list(
        merchant=merchant,
        referrer=referrer,
        status=filters["status"],
        kind=filters["kind"],
        level=int(filters["level"]) if filters["level"] in ("0", "1", "2") else None,
        order_no=filters["order_no"],
    )
    if filters["code"] and referrer is None:
        entries = entries.none()
    context = {
        "entries": list(entries[:PAGE_SIZE]),
        "filters": filters,
        "statuses": EntryStatus.choices,
        "kinds": EntryKind.choices,
    }
    return render_page(request, "dashboard/referrals/ledger.html", context)


@staff_view("referrals.manage")
def referral_statements(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    rows = selectors.statements_list(merchant=merchant, status=status if status in StatementStatus.values else "")
    context = {"statements": list(rows[:PAGE_SIZE]), "status": status, "statuses": StatementStatus.choices}
    return render_page(request, "dashboard/referrals/statements.html", context)


@require_POST
@staff_view("referrals.manage")
def referral_statements_create(request: HttpRequest) -> HttpResponse:
    made = services.statements_create_all(merchant=request.merchant, actor=actor_of(request))  # type: ignore[attr-defined]
    text = ngettext("%(count)d statement created.", "%(count)d statements created.", len(made))
    messages.success(request, text % {"count": len(made)})
    return redirect("dashboard:referral_statements")


@staff_view("referrals.manage")
def referral_statement(request: HttpRequest, statement_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    statement = selectors.statement_get(merchant=merchant, public_id=statement_id)
    context = {
        "statement": statement,
        "lines": selectors.statement_lines(merchant=merchant, statement=statement),
        "methods": PayoutMethod.choices,
    }
    return render_page(request, "dashboard/referrals/statement.html", context)


@require_POST
@staff_view("referrals.manage")
def referral_statement_act(request: HttpRequest, statement_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    statement = selectors.statement_get(merchant=merchant, public_id=statement_id)
    action = request.POST.get("action", "")
    try:
        if action == "paid":
            services.statement_mark_paid(
                merchant=merchant,
                statement=statement,
                method=request.POST.get("method", PayoutMethod.CASH),
                note=request.POST.get("note", ""),
                actor=actor_of(request),
            )
            messages.success(request, gettext("Statement marked paid."))
        elif action == "void":
            services.statement_void(merchant=merchant, statement=statement, actor=actor_of(request))
            messages.success(request, gettext("Statement voided; its commission waits for the next one."))
        else:
            messages.error(request, gettext("Unknown action."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:referral_statement", statement_id=statement.public_id)
