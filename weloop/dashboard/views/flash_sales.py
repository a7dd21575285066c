"""Flash sales (限时抢购) in the console: the list with sold / paid / quota live, create, cancel.

Managers run them (``flashsales.manage``). The list's counters come from each sale's quota pool
(inventory): *waiting* units are won and held until their order is paid or lapses, *paid* units are
confirmed; the rows refresh themselves with htmx every few seconds while a sale is open. Prices are
typed in yuan (``core.money``); every write goes through ``weloop.flashsales.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from weloop.catalog.models import Sku
from weloop.catalog.selectors import sku_sellable_list
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_to_fen
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page, render_partial
from weloop.flashsales import selectors, services
from weloop.flashsales.enums import OPEN_STATUSES
from weloop.flashsales.models import FlashSale
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant

LIST_LIMIT = 100
POLL_SECONDS = 3
DELIVERY = "delivery"
# The service names the field it refuses; the form calls some of them differently.
_FORM_FIELD = {"price_fen": "price", "store_id": "fulfilment"}


class FlashSaleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    sku_id = forms.ChoiceField(label=_("SKU"))
    price = forms.CharField(label=_("Flash price (yuan)"), max_length=20)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    quota = forms.IntegerField(label=_("Quota (units)"), min_value=1, max_value=services.MAX_QUOTA, initial=100)
    per_member_limit = forms.IntegerField(
        label=_("Limit per member"), min_value=1, max_value=services.MAX_MEMBER_LIMIT, initial=1
    )
    fulfilment = forms.ChoiceField(
        label=_("How winners receive it"),
        help_text=_("Virtual products are always delivered as codes; a store then only credits the sale."),
    )

    def __init__(self, *args: Any, skus: list[Sku], stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku_id"].choices = [  # type: ignore[attr-defined]
            (s.public_id, f"{s.product.name} · {s.code}") for s in skus
        ]
        self.fields["fulfilment"].choices = [  # type: ignore[attr-defined]
            (DELIVERY, gettext("Delivered to an address")),
            *((s.public_id, gettext("Pickup at %(store)s") % {"store": s.name}) for s in stores),
        ]


@dataclass(frozen=True)
class SaleRow:
    sale: FlashSale
    quota: int
    waiting: int  # won, order not paid yet
    paid: int
    available: int

    @property
    def sold(self) -> int:
        return self.waiting + self.paid

    @property
    def is_open(self) -> bool:
        return self.sale.status in OPEN_STATUSES


def _rows(merchant: Merchant) -> list[SaleRow]:
    # The pool comes in the same query (select_related): one read for the whole list.
    sales = selectors.flash_sale_list(merchant=merchant)[:LIST_LIMIT]
    return [
        SaleRow(
            sale=sale,
            quota=sale.pool.capacity,
            waiting=sale.pool.held,
            paid=sale.pool.consumed,
            available=sale.pool.capacity - sale.pool.held - sale.pool.consumed,
        )
        for sale in sales
    ]


def _list_context(merchant: Merchant) -> dict[str, Any]:
    rows = _rows(merchant)
    return {"rows": rows, "polling": any(row.is_open for row in rows), "poll_seconds": POLL_SECONDS}


@require_safe
@staff_view("flashsales.manage")
def flash_sale_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    return render_page(request, "dashboard/flash_sales/list.html", _list_context(merchant))


@require_safe
@staff_view("flashsales.manage")
def flash_sale_rows(request: HttpRequest) -> HttpResponse:
    """The table's body alone, polled by htmx while a sale is open."""
    merchant = request.merchant  # type: ignore[attr-defined]
    return render_partial(request, "dashboard/flash_sales/_rows.html", _list_context(merchant))


def _choices(merchant: Merchant) -> dict[str, Any]:
    return {
        "skus": list(sku_sellable_list(merchant=merchant)),
        "stores": [s for s in store_list(merchant=merchant) if s.status == StoreStatus.ACTIVE],
    }


def _form_page(request: HttpRequest, form: FlashSaleForm, error: WeloopError | None = None) -> HttpResponse:
    status = 400 if error or form.errors else 200
    context = {"form": form, **error_context(error)}
    return render_page(request, "dashboard/flash_sales/form.html", context, status=status)


@staff_view("flashsales.manage")
def flash_sale_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    choices = _choices(merchant)
    if request.method != "POST":
        return _form_page(request, FlashSaleForm(**choices))
    form = FlashSaleForm(request.POST, **choices)
    if not form.is_valid():
        return _form_page(request, form)
    data = form.cleaned_data
    skus = {s.public_id: s for s in choices["skus"]}
    stores = {s.public_id: s for s in choices["stores"]}
    try:
        sale = services.flash_sale_create(
            merchant=merchant,
            sku=skus[data["sku_id"]],  # the form only accepts SKUs on sale
            price_fen=yuan_to_fen(data["price"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            quota=data["quota"],
            per_member_limit=data["per_member_limit"],
            title=data.get("title") or "",
            store=stores.get(data["fulfilment"]),
            actor=actor_of(request),
        )
    except WeloopError as error:
        named = _FORM_FIELD.get(str(error.extra.get("field", "")), "")
        attach_error(form, error, field_by_code={"money.invalid_amount": ("price",), error.code: (named,)})
        return _form_page(request, form, error)
    messages.success(request, gettext("Flash sale “%(title)s” created.") % {"title": sale.title})
    return redirect("dashboard:flash_sale_list")


@require_POST
@staff_view("flashsales.manage")
def flash_sale_cancel(request: HttpRequest, sale_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    sale = selectors.flash_sale_get(merchant=merchant, public_id=sale_id)
    try:
        services.flash_sale_cancel(merchant=merchant, sale=sale, actor=actor_of(request), reason="cancelled by staff")
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    else:
        messages.success(request, gettext("Flash sale cancelled: no more claims are taken."))
    return redirect("dashboard:flash_sale_list")
