"""Coupons at the counter: verify and use a member's coupon on an offline sale (scan its QR or type
its code, with the sale's amount), and give a member a coupon (scan their member card QR or type
their phone number).

Using a coupon is exactly once: two counters scanning one code give one success and one "already
used". Every refusal says why and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weloop.clerk.views import _frame
from weloop.core.errors import WeloopError
from weloop.core.ids import random_token
from weloop.core.money import yuan_to_fen
from weloop.coupons import selectors, services
from weloop.stores import selectors as store_selectors
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.permissions import has_permission


def _stores(staff: StaffMember) -> list[Store]:
    stores = store_selectors.stores_editable_by(staff=staff).exclude(status=StoreStatus.CLOSED)
    return [s for s in stores if has_permission(staff, "coupons.counter", store_id=s.pk)]


class UseForm(forms.Form):
    code = forms.CharField(
        label=_("Coupon code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters"}),
        help_text=_("Type the 8 characters, or scan the coupon's QR code."),
    )
    amount = forms.CharField(label=_("Sale amount (¥)"), max_length=16)

    def __init__(self, *args: object, stores: list[Store], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"] = forms.ChoiceField(label=_("Store"), choices=[(s.public_id, s.name) for s in stores])
        self.order_fields(["store", "code", "amount"])


class IssueForm(forms.Form):
    member = forms.CharField(
        label=_("Member card code or phone"), max_length=64, help_text=_("Scan the member card QR or type the phone.")
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, templates: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"] = forms.ChoiceField(label=_("Coupon"), choices=templates)
        self.order_fields(["template", "member", "token"])


def _templates(merchant: Merchant) -> list[tuple[str, str]]:
    return [(t.public_id, t.name) for t in selectors.template_list(merchant=merchant, status="active")[:100]]


@staff_view("coupons.counter")
def counter(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff)
    templates = _templates(merchant)
    context: dict[str, object] = {
        "use_form": UseForm(stores=stores),
        "issue_form": IssueForm(templates=templates, initial={"token": random_token(24)}),
    }
    status = 200
    action = request.POST.get("action") if request.method == "POST" else ""
    if action == "use":
        form = UseForm(request.POST, stores=stores)
        if form.is_valid():
            try:
                store = next((s for s in stores if s.public_id == form.cleaned_data["store"]), None)
                if store is None:
                    raise WeloopError(gettext("Choose one of your stores."))
                done = services.coupon_redeem_offline(
                    merchant=merchant,
                    code=form.cleaned_data["code"],
                    amount_fen=yuan_to_fen(form.cleaned_data["amount"]),
                    store_id=store.public_id,
                    actor=f"clerk:{request.user.get_username()}",
                )
                context["used"] = done
                context["use_form"] = UseForm(stores=stores, initial={"store": store.public_id})
            except WeloopError as error:
                context.update(use_form=form, use_error=gettext(error.detail), error_code=error.code)
                status = error.status
        else:
            context["use_form"], status = form, 400
    elif action == "issue":
        issue_form = IssueForm(request.POST, templates=templates)
        if issue_form.is_valid():
            try:
                context["issued"] = services.coupon_issue_by_clerk(
                    merchant=merchant,
                    template_id=issue_form.cleaned_data["template"],
                    member_lookup=issue_form.cleaned_data["member"],
                    actor=f"clerk:{request.user.get_username()}",
                    request_ref=issue_form.cleaned_data["token"],
                )
            except WeloopError as error:
                context.update(issue_form=issue_form, issue_error=gettext(error.detail), error_code=error.code)
                status = error.status
        else:
            context["issue_form"], status = issue_form, 400
    return render(request, "clerk/coupons.html", {**_frame(request), **context}, status=status)
