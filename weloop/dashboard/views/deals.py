"""Deals (团购): list, create, edit, put on sale or end; and the per-store settlement of redemptions.

Managers define deals (``deals.manage``); store managers read the settlement (``vouchers.settlement``).
Prices are typed in yuan and become fen through ``core.money``; commissions in basis points.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_text, yuan_to_fen
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.orders import deals
from weloop.stores.models import Store
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant
from weloop.vouchers import selectors
from weloop.vouchers.enums import VoucherKind
from weloop.vouchers.models import Deal
from weloop.vouchers.services import DealInput
from weloop.vouchers.state import DEAL


class DealForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=VoucherKind.choices, initial=VoucherKind.SINGLE)
    uses_per_voucher = forms.IntegerField(label=_("Uses per punch card"), min_value=1, max_value=1000, initial=1)
    list_price = forms.CharField(label=_("List price (yuan)"), max_length=20)
    deal_price = forms.CharField(label=_("Deal price (yuan)"), max_length=20)
    valid_days = forms.IntegerField(
        label=_("Valid for days after purchase"), required=False, min_value=1, max_value=3660, initial=90
    )
    valid_until = forms.DateTimeField(
        label=_("Or valid until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    usage_rules = forms.CharField(label=_("Usage rules"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    per_member_limit = forms.IntegerField(label=_("Limit per member"), required=False, min_value=1, max_value=9999)
    quota = forms.IntegerField(label=_("Quota"), min_value=0, max_value=10_000_000, initial=100)
    platform_commission_bp = forms.IntegerField(
        label=_("Platform commission (bp)"), min_value=0, max_value=10000, initial=0, help_text=_("100 bp = 1 %")
    )
    merchant_commission_bp = forms.IntegerField(
        label=_("Merchant commission (bp)"), min_value=0, max_value=10000, initial=0
    )
    refund_anytime = forms.BooleanField(label=_("Refund any time (随时退)"), required=False, initial=True)
    refund_on_expiry = forms.BooleanField(label=_("Refund on expiry (过期退)"), required=False, initial=True)
    stores = forms.MultipleChoiceField(label=_("Stores"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].choices = [(s.public_id, s.name) for s in stores]  # type: ignore[attr-defined]

    def deal_input(self) -> DealInput:
        data = self.cleaned_data
        until = data.get("valid_until")
        return DealInput(
            name=data["name"],
            kind=data["kind"],
            uses_per_voucher=data["uses_per_voucher"] or 1,
            list_price_fen=yuan_to_fen(data["list_price"]),
            deal_price_fen=yuan_to_fen(data["deal_price"]),
            valid_until=until,
            valid_days=None if until else data.get("valid_days"),
            usage_rules=data.get("usage_rules") or "",
            per_member_limit=data.get("per_member_limit"),
            quota=data["quota"],
            platform_commission_bp=data["platform_commission_bp"],
            merchant_commission_bp=data["merchant_commission_bp"],
            refund_anytime=data["refund_anytime"],
            refund_on_expiry=data["refund_on_expiry"],
        )


def _initial(deal: Deal) -> dict[str, Any]:
    return {
        "name": deal.name,
        "kind": deal.kind,
        "uses_per_voucher": deal.uses_per_voucher,
        "list_price": yuan_text(deal.list_price_fen),
        "deal_price": yuan_text(deal.deal_price_fen),
        "valid_days": deal.valid_days,
        "valid_until": deal.valid_until,
        "usage_rules": deal.usage_rules,
        "per_member_limit": deal.per_member_limit,
        "quota": deal.quota,
        "platform_commission_bp": deal.platform_commission_bp,
        "merchant_commission_bp": deal.merchant_commission_bp,
        "refund_anytime": deal.refund_anytime,
        "refund_on_expiry": deal.refund_on_expiry,
        "stores": [ds.store.public_id for ds in deal.deal_stores.all()],
    }


def _chosen_stores(merchant: Merchant, form: DealForm) -> list[Store]:
    wanted = set(form.cleaned_data["stores"])
    return [s for s in store_list(merchant=merchant) if s.public_id in wanted]


@staff_view("deals.manage")
def deal_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    return render_page(request, "dashboard/deals/list.html", {"deals": list(selectors.deal_list(merchant=merchant))})


def _form_page(
    request: HttpRequest, form: DealForm, deal: Deal | None, error: WeloopError | None = None
) -> HttpResponse:
    status = 400 if error or form.errors else 200
    return render_page(
        request, "dashboard/deals/form.html", {"form": form, "deal": deal, **error_context(error)}, status=status
    )


@staff_view("deals.manage")
def deal_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    stores = list(store_list(merchant=merchant))
    if request.method != "POST":
        return _form_page(request, DealForm(stores=stores), None)
    form = DealForm(request.POST, stores=stores)
    if not form.is_valid():
        return _form_page(request, form, None)
    try:
        deal = deals.deal_launch(
            merchant=merchant,
            data=form.deal_input(),
            stores=_chosen_stores(merchant, form),
            description=form.cleaned_data.get("description") or "",
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _form_page(request, form, None, error)
    messages.success(request, gettext("Deal created as a draft."))
    return redirect("dashboard:deal_detail", deal_id=deal.public_id)


@staff_view("deals.manage")
def deal_detail(request: HttpRequest, deal_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    deal = selectors.deal_get(merchant=merchant, deal_id=deal_id)
    stores = list(store_list(merchant=merchant))
    if request.method != "POST":
        form = DealForm(initial=_initial(deal), stores=stores)
        return _form_page(request, form, deal)
    form = DealForm(request.POST, stores=stores)
    if not form.is_valid():
        return _form_page(request, form, deal)
    try:
        deals.deal_revise(
            merchant=merchant,
            deal_id=deal.public_id,
            data=form.deal_input(),
            stores=_chosen_stores(merchant, form),
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _form_page(request, form, deal, error)
    messages.success(request, gettext("Deal saved."))
    return redirect("dashboard:deal_detail", deal_id=deal.public_id)


@require_POST
@staff_view("deals.manage")
def deal_set_status(request: HttpRequest, deal_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    deal = selectors.deal_get(merchant=merchant, deal_id=deal_id)
    try:
        deals.deal_change_status(
            merchant=merchant, deal_id=deal.public_id, status=request.POST.get("status", ""), actor=actor_of(request)
        )
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:deal_detail", deal_id=deal.public_id)


def status_targets(deal: Deal) -> list[str]:
    return sorted(DEAL.allowed_from(deal.status))


# --- settlement -----------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


@staff_view("vouchers.settlement")
def settlement(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    today = clock.today_local().date()
    form = PeriodForm(request.GET or {"start": today.replace(day=1) - timedelta(days=0), "end": today})
    report, error = None, None
    if form.is_valid():
        try:
            start, end = selectors.period_of_days(form.cleaned_data["start"], form.cleaned_data["end"])
            report = selectors.settlement_report(merchant=merchant, start=start, end=end)
        except WeloopError as exc:
            error = exc
    totals = (
        {
            f: report.total(f)
            for f in (
                "redemptions",
                "uses",
                "face_value_fen",
                "paid_fen",
                "platform_commission_fen",
                "merchant_commission_fen",
                "store_net_fen",
            )
        }
        if report
        else None
    )
    context = {"form": form, "report": report, "totals": totals, **error_context(error)}
    return render_page(request, "dashboard/deals/settlement.html", context, status=400 if error else 200)
