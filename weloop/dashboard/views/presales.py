"""Pre-sales (预售, 以销定产) in the console: list, create/edit, detail with live progress, cancel,
settle now. Managers run them (``presales.manage``); every write goes through
``weloop.presales.services``. Prices are typed in yuan (``core.money``)."""

from __future__ import annotations

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
from weloop.core.money import yuan_text, yuan_to_fen
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page, render_partial
from weloop.presales import selectors, services
from weloop.presales.enums import PresaleMode, PresaleStatus
from weloop.presales.models import Presale
from weloop.presales.services import PresaleInput
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant

LIST_LIMIT = 100
POLL_SECONDS = 5
DELIVERY = "delivery"
_FORM_FIELD = {"price_fen": "price", "deposit_fen": "deposit", "store_id": "fulfilment", "sku_id": "sku_id"}


class PresaleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    sku_id = forms.ChoiceField(label=_("SKU"))
    mode = forms.ChoiceField(label=_("Mode"), choices=PresaleMode.choices)
    price = forms.CharField(label=_("Presale price (yuan)"), max_length=20)
    deposit = forms.CharField(
        label=_("Deposit (yuan, deposit mode)"),
        max_length=20,
        required=False,
        help_text=_("Paid when joining; the balance is due after success. An unpaid balance forfeits the deposit."),
    )
    target_quantity = forms.IntegerField(label=_("Target quantity"), min_value=1, initial=100)
    max_quantity = forms.IntegerField(label=_("Maximum quantity (optional)"), min_value=1, required=False)
    per_member_limit = forms.IntegerField(
        label=_("Limit per member"), min_value=1, max_value=services.MAX_MEMBER_LIMIT, initial=5
    )
    deadline = forms.DateTimeField(label=_("Deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    balance_window_hours = forms.IntegerField(
        label=_("Hours to pay the balance"), min_value=1, max_value=services.MAX_BALANCE_HOURS, initial=72
    )
    lead_time_text = forms.CharField(label=_("Production and shipping time"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    fulfilment = forms.ChoiceField(label=_("How members receive it"))
    open_now = forms.BooleanField(label=_("Open at once"), required=False, initial=True)

    def __init__(self, *args: Any, skus: list[Sku], stores: list[Store], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku_id"].choices = [(s.public_id, f"{s.product.name} · {s.code}") for s in skus]  # type: ignore[attr-defined]
        self.fields["fulfilment"].choices = [  # type: ignore[attr-defined]
            (DELIVERY, gettext("Delivered to an address")),
            *((s.public_id, gettext("Pickup at %(store)s") % {"store": s.name}) for s in stores),
        ]


def _choices(merchant: Merchant) -> dict[str, Any]:
    return {
        "skus": list(sku_sellable_list(merchant=merchant)),
        "stores": [s for s in store_list(merchant=merchant) if s.status == StoreStatus.ACTIVE],
    }


@require_safe
@staff_view("presales.manage")
def presale_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    presales = list(selectors.presale_list(merchant=merchant)[:LIST_LIMIT])
    return render_page(request, "dashboard/presales/list.html", {"presales": presales})


def _form_page(
    request: HttpRequest, form: PresaleForm, presale: Presale | None = None, error: WeloopError | None = None
) -> HttpResponse:
    status = 400 if error or form.errors else 200
    context = {"form": form, "presale": presale, **error_context(error)}
    return render_page(request, "dashboard/presales/form.html", context, status=status)


def _keep_sku(form: PresaleForm, presale: Presale) -> None:
    """The SKU of an existing presale may have gone off sale since: it stays a valid choice."""
    field = form.fields["sku_id"]
    assert isinstance(field, forms.ChoiceField)
    choices: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]
    if presale.sku.public_id not in {value for value, _label in choices}:
        field.choices = [(presale.sku.public_id, str(presale.sku.product.name)), *choices]


def _save(request: HttpRequest, merchant: Merchant, presale: Presale | None) -> HttpResponse:
    choices = _choices(merchant)
    form = PresaleForm(request.POST, **choices)
    if presale is not None:
        # The SKU of an existing presale may have gone off sale since; it stays a valid choice.
        _keep_sku(form, presale)
    if not form.is_valid():
        return _form_page(request, form, presale)
    data = form.cleaned_data
    skus = {s.public_id: s for s in choices["skus"]}
    if presale is not None:
        skus.setdefault(presale.sku.public_id, presale.sku)
    stores = {s.public_id: s for s in choices["stores"]}
    try:
        values = PresaleInput(
            sku=skus[data["sku_id"]],
            mode=data["mode"],
            price_fen=yuan_to_fen(data["price"]),
            deposit_fen=yuan_to_fen(data["deposit"]) if data.get("deposit") else 0,
            target_quantity=data["target_quantity"],
            max_quantity=data.get("max_quantity"),
            per_member_limit=data["per_member_limit"],
            deadline=data["deadline"],
            balance_window_hours=data["balance_window_hours"],
            lead_time_text=data.get("lead_time_text") or "",
            title=data.get("title") or "",
            description=data.get("description") or "",
            store=stores.get(data["fulfilment"]),
        )
        if presale is None:
            presale = services.presale_create(
                merchant=merchant, data=values, actor=actor_of(request), open_now=bool(data.get("open_now"))
            )
        else:
            presale = services.presale_update(merchant=merchant, presale=presale, data=values, actor=actor_of(request))
    except WeloopError as error:
        named = _FORM_FIELD.get(str(error.extra.get("field", "")), str(error.extra.get("field", "")))
        attach_error(form, error, field_by_code={"money.invalid_amount": ("price",), error.code: (named,)})
        return _form_page(request, form, presale, error)
    messages.success(request, gettext("Presale “%(title)s” saved.") % {"title": presale.title})
    return redirect("dashboard:presale_detail", presale_id=presale.public_id)


@staff_view("presales.manage")
def presale_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method == "POST":
        return _save(request, merchant, None)
    return _form_page(request, PresaleForm(**_choices(merchant)))


@staff_view("presales.manage")
def presale_edit(request: HttpRequest, presale_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    if request.method == "POST":
        return _save(request, merchant, presale)
    form = PresaleForm(
        initial={
            "title": presale.title,
            "sku_id": presale.sku.public_id,
            "mode": presale.mode,
            "price": yuan_text(presale.price_fen),
            "deposit": yuan_text(presale.deposit_fen) if presale.deposit_fen else "",
            "target_quantity": presale.target_quantity,
            "max_quantity": presale.max_quantity,
            "per_member_limit": presale.per_member_limit,
            "deadline": presale.deadline,
            "balance_window_hours": presale.balance_window_hours,
            "lead_time_text": presale.lead_time_text,
            "description": presale.description,
            "fulfilment": presale.store.public_id if presale.store else DELIVERY,
        },
        **_choices(merchant),
    )
    _keep_sku(form, presale)
    return _form_page(request, form, presale)


def _detail_context(merchant: Merchant, presale_id: str) -> dict[str, Any]:
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    return {
        "presale": presale,
        "progress": selectors.presale_progress(presale=presale),
        "participants": list(selectors.presale_participants(merchant=merchant, presale=presale)[:200]),
        "polling": presale.status in (PresaleStatus.OPEN, PresaleStatus.REFUNDING),
        "poll_seconds": POLL_SECONDS,
        "editable": presale.status in (PresaleStatus.DRAFT, PresaleStatus.OPEN),
        "cancellable": presale.status in (PresaleStatus.DRAFT, PresaleStatus.OPEN),
        "settleable": presale.status
        in (PresaleStatus.OPEN, PresaleStatus.REFUNDING, PresaleStatus.FAILED, PresaleStatus.CANCELLED),
        "openable": presale.status == PresaleStatus.DRAFT,
    }


@require_safe
@staff_view("presales.manage")
def presale_detail(request: HttpRequest, presale_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    return render_page(request, "dashboard/presales/detail.html", _detail_context(merchant, presale_id))


@require_safe
@staff_view("presales.manage")
def presale_progress(request: HttpRequest, presale_id: str) -> HttpResponse:
    """The progress block alone, polled by htmx while the presale is open or refunding."""
    merchant = request.merchant  # type: ignore[attr-defined]
    return render_partial(request, "dashboard/presales/_progress.html", _detail_context(merchant, presale_id))


def _act(request: HttpRequest, presale_id: str, action: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    presale = selectors.presale_get(merchant=merchant, public_id=presale_id)
    try:
        if action == "cancel":
            services.presale_cancel(
                merchant=merchant, presale=presale, actor=actor_of(request), reason="cancelled by staff"
            )
            messages.success(request, gettext("Presale cancelled: paid orders are being refunded."))
        elif action == "open":
            services.presale_open(merchant=merchant, presale=presale, actor=actor_of(request))
            messages.success(request, gettext("Presale opened."))
        else:
            done = services.presale_settle(merchant=merchant, presale=presale, actor=actor_of(request), early=True)
            messages.success(request, gettext("Presale settled: %(status)s.") % {"status": done.get_status_display()})
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:presale_detail", presale_id=presale.public_id)


@require_POST
@staff_view("presales.manage")
def presale_cancel(request: HttpRequest, presale_id: str) -> HttpResponse:
    return _act(request, presale_id, "cancel")


@require_POST
@staff_view("presales.manage")
def presale_settle(request: HttpRequest, presale_id: str) -> HttpResponse:
    return _act(request, presale_id, "settle")


@require_POST
@staff_view("presales.manage")
def presale_open(request: HttpRequest, presale_id: str) -> HttpResponse:
    return _act(request, presale_id, "open")
