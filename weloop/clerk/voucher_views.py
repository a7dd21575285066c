"""Redeem a voucher at the counter (type the code or scan its QR into the field), and undo it.

Limited to the stores this person redeems for (``vouchers.redeem`` is store-scoped). Every refusal
(a typo, another store's voucher, expired, already used) says so plainly and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from weloop.clerk.views import _frame
from weloop.core.errors import NotFound, WeloopError
from weloop.stores import selectors as store_selectors
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission, require_permission
from weloop.vouchers import selectors, services
from weloop.vouchers.models import Redemption

# What the clerk reads for each refusal: what happened, and that nothing was taken.
_MESSAGES = {
    "vouchers.malformed_code": _("This is not a valid code (a typo?). Check it and type it again."),
    "vouchers.unknown_code": _("No voucher has this code."),
    "vouchers.wrong_store": _("This voucher cannot be used in this store."),
    "vouchers.expired": _("This voucher has expired: nothing was redeemed."),
    "vouchers.not_yet_valid": _("This voucher cannot be used yet."),
    "vouchers.already_used": _("This voucher was already used: nothing was redeemed."),
    "vouchers.not_enough_uses": _("The voucher has fewer uses left than asked for."),
    "vouchers.closed": _("This voucher was refunded or voided."),
}


def _stores(staff: StaffMember) -> list[Store]:
    stores = store_selectors.stores_editable_by(staff=staff).exclude(status=StoreStatus.CLOSED)
    return [s for s in stores if has_permission(staff, "vouchers.redeem", store_id=s.pk)]


class RedeemForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_("Type the 16 characters, or scan the QR code with the scanner."),
    )
    count = forms.IntegerField(label=_("Uses"), min_value=1, max_value=1000, initial=1)

    def __init__(self, *args: object, stores: list[Store], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"] = forms.ChoiceField(label=_("Store"), choices=[(s.public_id, s.name) for s in stores])
        self.order_fields(["store", "code", "count"])


def _message(error: WeloopError) -> str:
    return str(_MESSAGES.get(error.code) or gettext(error.detail))


def _page(request: HttpRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    return render(request, "clerk/redeem.html", {**_frame(request), **context}, status=status)


@staff_view("vouchers.redeem")
def redeem(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff)
    if request.method != "POST":
        return _page(request, {"form": RedeemForm(stores=stores)})
    form = RedeemForm(request.POST, stores=stores)
    if not form.is_valid():
        return _page(request, {"form": form}, status=400)
    chosen = form.cleaned_data["store"]
    try:
        store = next((s for s in stores if s.public_id == chosen), None)
        if store is None:
            raise NotFound("No such store.", extra={"what": "store"})
        redemption = services.voucher_redeem(
            merchant=merchant,
            code=form.cleaned_data["code"],
            store=store,
            count=form.cleaned_data["count"],
            staff=staff,
            actor=f"clerk:{request.user.get_username()}",
        )
    except WeloopError as error:
        fresh = RedeemForm(initial={"store": chosen, "code": form.cleaned_data["code"]}, stores=stores)
        return _page(request, {"form": fresh, "error": _message(error), "error_code": error.code}, status=error.status)
    redemption.voucher.refresh_from_db()
    fresh = RedeemForm(initial={"store": chosen}, stores=stores)
    return _page(request, {"form": fresh, "done": redemption})


@require_POST
@staff_view("vouchers.redeem")
def undo(request: HttpRequest, redemption_id: str) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    redemption: Redemption = selectors.redemption_get(merchant=merchant, redemption_id=redemption_id)
    require_permission(staff, "vouchers.redeem", store_id=redemption.store_id)
    stores = _stores(staff)
    form = RedeemForm(initial={"store": redemption.store.public_id}, stores=stores)
    try:
        services.redemption_undo(
            merchant=merchant, redemption_id=redemption.public_id, actor=f"clerk:{request.user.get_username()}"
        )
    except WeloopError as error:
        return _page(request, {"form": form, "error": _message(error), "error_code": error.code}, status=error.status)
    return _page(request, {"form": form, "undone": redemption})
