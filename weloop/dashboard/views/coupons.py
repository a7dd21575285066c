"""Coupons in the console: templates (list, create, edit, pause/resume/end) with budget usage and
per-template statistics, the coupons issued (filters), giving a member a coupon, voiding one, and the
price floor no combination of discounts goes below. Everything needs ``coupons.manage``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.core.ids import random_token
from weloop.core.money import yuan_text, yuan_to_fen
from weloop.coupons import selectors, services
from weloop.coupons.enums import Channel, CouponStatus, TemplateKind
from weloop.coupons.models import CouponTemplate
from weloop.coupons.services import TemplateInput
from weloop.coupons.state import TEMPLATE
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.tenants.access import staff_view

_MONEY_FIELDS = ("amount", "cap", "threshold")


def _ids(text: str) -> list[str]:
    return [part for part in (p.strip() for p in str(text or "").replace(",", " ").split()) if part]


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Rules shown to members"), required=False, max_length=500)
    kind = forms.ChoiceField(label=_("Kind"), choices=TemplateKind.choices)
    amount = forms.CharField(
        label=_("Amount off (yuan)"), required=False, max_length=16, help_text=_("For shipping: the most it waives.")
    )
    percent_bps = forms.IntegerField(
        label=_("Percent off (bp)"),
        required=False,
        min_value=0,
        max_value=10000,
        help_text=_("2000 bp = 20 percent off"),
    )
    cap = forms.CharField(label=_("At most (yuan)"), required=False, max_length=16)
    threshold = forms.CharField(label=_("Minimum spend (yuan)"), required=False, max_length=16)
    free_sku_id = forms.CharField(label=_("Free SKU id"), required=False, max_length=24)
    valid_days = forms.IntegerField(label=_("Valid for days after issue"), required=False, min_value=1, max_value=3660)
    valid_from = forms.DateTimeField(
        label=_("Or valid from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("… until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    store_ids = forms.CharField(label=_("Only in stores (ids)"), required=False, help_text=_("Empty: every store."))
    product_ids = forms.CharField(
        label=_("Only on products (ids)"), required=False, help_text=_("Empty: every product.")
    )
    budget = forms.IntegerField(
        label=_("Total to give out"), required=False, min_value=0, help_text=_("Empty: no limit.")
    )
    per_member_limit = forms.IntegerField(label=_("Limit per member"), min_value=1, max_value=9999, initial=1)
    stacking_group = forms.CharField(
        label=_("Stacking group"),
        max_length=32,
        initial="default",
        help_text=_("At most one coupon of a group per order."),
    )
    combinable = forms.BooleanField(label=_("Combinable with other groups"), required=False, initial=True)
    claimable = forms.BooleanField(label=_("Members may claim it (link / QR)"), required=False)
    on_follow = forms.BooleanField(label=_("Give on follow"), required=False)
    on_first_payment = forms.BooleanField(label=_("Give after the first payment"), required=False)
    is_birthday = forms.BooleanField(label=_("Birthday gift"), required=False)

    def template_input(self) -> TemplateInput:
        d = self.cleaned_data
        money = {f: yuan_to_fen(d.get(f) or "0") for f in _MONEY_FIELDS}
        until = d.get("valid_until")
        return TemplateInput(
            name=d["name"],
            description=d.get("description") or "",
            kind=d["kind"],
            amount_fen=money["amount"],
            percent_bps=d.get("percent_bps") or 0,
            cap_fen=money["cap"],
            threshold_fen=money["threshold"],
            free_sku_id=d.get("free_sku_id") or "",
            valid_from=d.get("valid_from") if until else None,
            valid_until=until,
            valid_days=None if until else d.get("valid_days"),
            store_ids=_ids(d.get("store_ids", "")),
            product_ids=_ids(d.get("product_ids", "")),
            budget=d.get("budget"),
            per_member_limit=d["per_member_limit"],
            stacking_group=d.get("stacking_group") or "default",
            combinable=d["combinable"],
            claimable=d["claimable"],
            on_follow=d["on_follow"],
            on_first_payment=d["on_first_payment"],
            is_birthday=d["is_birthday"],
        )


def _initial(t: CouponTemplate) -> dict[str, Any]:
    return {
        "name": t.name,
        "description": t.description,
        "kind": t.kind,
        "amount": yuan_text(t.amount_fen),
        "percent_bps": t.percent_bps,
        "cap": yuan_text(t.cap_fen),
        "threshold": yuan_text(t.threshold_fen),
        "free_sku_id": t.free_sku_id,
        "valid_days": t.valid_days,
        "valid_from": t.valid_from,
        "valid_until": t.valid_until,
        "store_ids": " ".join(t.store_ids or []),
        "product_ids": " ".join(t.product_ids or []),
        "budget": t.budget,
        "per_member_limit": t.per_member_limit,
        "stacking_group": t.stacking_group,
        "combinable": t.combinable,
        "claimable": t.claimable,
        "on_follow": t.on_follow,
        "on_first_payment": t.on_first_payment,
        "is_birthday": t.is_birthday,
    }


class IssueForm(forms.Form):
    member = forms.CharField(label=_("Member id, phone or openid"), max_length=64)
    token = forms.CharField(widget=forms.HiddenInput)


class FloorForm(forms.Form):
    floor = forms.CharField(label=_("Goods never cost less than (yuan)"), max_length=16)
    floor_bps = forms.IntegerField(
        label=_("… nor less than this share of the goods (bp)"), min_value=0, max_value=10000
    )


@staff_view("coupons.manage")
def template_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    floor_fen, floor_bps = selectors.pricing_floor(merchant=merchant)
    context = {
        "templates": list(selectors.template_list(merchant=merchant)[:200]),
        "floor_form": FloorForm(initial={"floor": yuan_text(floor_fen), "floor_bps": floor_bps}),
    }
    return render_page(request, "dashboard/coupons/list.html", context)


def _form_page(
    request: HttpRequest, form: TemplateForm, template: CouponTemplate | None, error: Any = None
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context: dict[str, Any] = {"form": form, "template": template, **error_context(error)}
    if template is not None:
        context.update(
            stats=selectors.template_stats(merchant=merchant, template=template),
            targets=sorted(TEMPLATE.allowed_from(template.status)),
            issue_form=IssueForm(initial={"token": random_token(24)}),
            claim_url=reverse(
                "storefront:coupon_claim", kwargs={"merchant_slug": merchant.slug, "claim_token": template.claim_token}
            )
            if template.claimable
            else "",
        )
    status = 400 if error or form.errors else 200
    return render_page(request, "dashboard/coupons/form.html", context, status=status)


@staff_view("coupons.manage")
def template_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        return _form_page(request, TemplateForm(initial={"valid_days": 30, "kind": "amount_off"}), None)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None)
    try:
        template = services.template_create(merchant=merchant, data=form.template_input(), actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error)
        return _form_page(request, form, None, error)
    messages.success(request, gettext("Coupon created."))
    return redirect("dashboard:coupon_template_detail", coupon_template_id=template.public_id)


@staff_view("coupons.manage")
def template_detail(request: HttpRequest, coupon_template_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    template = selectors.template_get(merchant=merchant, template_id=coupon_template_id)
    if request.method != "POST":
        return _form_page(request, TemplateForm(initial=_initial(template)), template)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, template)
    try:
        services.template_update(
            merchant=merchant, template_id=template.public_id, data=form.template_input(), actor=actor_of(request)
        )
    except WeloopError as error:
        attach_error(form, error)
        return _form_page(request, form, template, error)
    messages.success(request, gettext("Coupon saved."))
    return redirect("dashboard:coupon_template_detail", coupon_template_id=template.public_id)


@require_POST
@staff_view("coupons.manage")
def template_set_status(request: HttpRequest, coupon_template_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    template = selectors.template_get(merchant=merchant, template_id=coupon_template_id)
    try:
        services.template_set_status(
            merchant=merchant,
            template_id=template.public_id,
            status=request.POST.get("status", ""),
            actor=actor_of(request),
        )
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:coupon_template_detail", coupon_template_id=template.public_id)


@require_POST
@staff_view("coupons.manage")
def template_issue(request: HttpRequest, coupon_template_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    template = selectors.template_get(merchant=merchant, template_id=coupon_template_id)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            coupon = services.coupon_issue_by_clerk(
                merchant=merchant,
                template_id=template.public_id,
                member_lookup=form.cleaned_data["member"],
                actor=actor_of(request),
                request_ref=form.cleaned_data["token"],
            )
            messages.success(request, gettext("Coupon %(code)s given.") % {"code": coupon.code})
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
    else:
        messages.error(request, gettext("Type a member id, phone or openid."))
    return redirect("dashboard:coupon_template_detail", coupon_template_id=template.public_id)


@require_POST
@staff_view("coupons.manage")
def floor_set(request: HttpRequest) -> HttpResponse:
    form = FloorForm(request.POST)
    try:
        if not form.is_valid():
            raise WeloopError(gettext("Type an amount in yuan and a share from 0 to 10000 bp."))
        services.pricing_policy_set(
            merchant=request.merchant,  # type: ignore[attr-defined]
            floor_fen=yuan_to_fen(form.cleaned_data["floor"]),
            floor_bps=form.cleaned_data["floor_bps"],
        )
        messages.success(request, gettext("Price floor saved."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:coupon_template_list")


@staff_view("coupons.manage")
def coupon_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    filters = {
        "template_id": request.GET.get("template", "")[:24],
        "status": request.GET.get("status", "") if request.GET.get("status") in CouponStatus.values else "",
        "channel": request.GET.get("channel", "") if request.GET.get("channel") in Channel.values else "",
        "member_id": request.GET.get("member", "")[:24],
    }
    context = {
        "coupons": list(selectors.coupon_list(merchant=merchant, **filters)[:200]),
        "filters": filters,
        "statuses": CouponStatus.choices,
        "channels": Channel.choices,
        "templates": list(selectors.template_list(merchant=merchant)[:200]),
    }
    return render_page(request, "dashboard/coupons/coupons.html", context)


@require_POST
@staff_view("coupons.manage")
def coupon_void(request: HttpRequest, coupon_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    coupon = selectors.coupon_get(merchant=merchant, coupon_id=coupon_id)
    try:
        services.coupon_void(merchant=merchant, coupon_id=coupon.public_id, actor=actor_of(request), reason="console")
        messages.success(request, gettext("Coupon voided."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect(f"{reverse('dashboard:coupon_list')}?template={coupon.template.public_id}")
