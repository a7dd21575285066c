"""Counter work on orders, phone-sized: verify a pickup code, take cash or card for an order, and
place a quick valet order for a member.

Each page is limited to the stores this person works in (``orders.counter`` is store-scoped): a
code or an order of another store is refused with a clear message and changes nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weloop.catalog.selectors import sku_sellable_list
from weloop.clerk.views import _frame
from weloop.core.errors import NotFound, WeloopError
from weloop.members.selectors import member_find
from weloop.orders import selectors, services
from weloop.orders.enums import FulfilmentType
from weloop.orders.models import Order
from weloop.stores import selectors as store_selectors
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.access import staff_view
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission

QUICK_LINES = 3


def _stores(staff: StaffMember) -> list[Store]:
    stores = store_selectors.stores_editable_by(staff=staff).exclude(status=StoreStatus.CLOSED)
    return [s for s in stores if has_permission(staff, "orders.counter", store_id=s.pk)]


def _store_field(stores: list[Store]) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Store"), choices=[(s.public_id, s.name) for s in stores])


def _chosen_store(stores: list[Store], public_id: str) -> Store:
    store = next((s for s in stores if s.public_id == public_id), None)
    if store is None:
        raise NotFound("No such store.", extra={"what": "store"})
    return store


def _page(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    return render(request, template, {**_frame(request), **context}, status=status)


# --- pickup codes --------------------------------------------------------------------------------


class PickupForm(forms.Form):
    code = forms.CharField(
        label=_("Pickup code"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
    )

    def __init__(self, *args: object, stores: list[Store], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"] = _store_field(stores)


def _pickup_message(error: WeloopError) -> str:
    if error.code == "orders.invalid_pickup_code":
        return gettext("This code is wrong or was already used: nothing was handed over.")
    if isinstance(error, NotFound):
        return gettext("This code is for an order waiting in another store: nothing was handed over.")
    return gettext(error.detail)


@staff_view("orders.counter")
def pickup(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff)
    if request.method != "POST":
        return _page(request, "clerk/pickup.html", {"form": PickupForm(stores=stores)})
    form = PickupForm(request.POST, stores=stores)
    if not form.is_valid():
        return _page(request, "clerk/pickup.html", {"form": form}, status=400)
    try:
        store = _chosen_store(stores, form.cleaned_data["store"])
        order = services.pickup_verify(merchant=merchant, store=store, code=form.cleaned_data["code"], staff=staff)
    except WeloopError as error:
        context = {"form": form, "error": _pickup_message(error)}
        return _page(request, "clerk/pickup.html", context, status=error.status)
    order = selectors.order_get(merchant=merchant, order_no=order.order_no)
    fresh = PickupForm(stores=stores, initial={"store": store.public_id})
    return _page(request, "clerk/pickup.html", {"form": fresh, "handed_over": order, "lines": list(order.lines.all())})


# --- payment at the counter ------------------------------------------------------------------------


def _counter_order(staff: StaffMember, merchant: object, order_no: str) -> Order:
    """An order of one of this person's stores (fulfilled in or credited to it); NotFound otherwise."""
    order = selectors.order_get(merchant=merchant, order_no=str(order_no or "").strip())  # type: ignore[arg-type]
    store_pks = {s.pk for s in _stores(staff)}
    if not ({order.store_id, order.source_store_id} & store_pks):
        raise NotFound("No such order.", extra={"what": "order"})
    return order


@staff_view("orders.counter")
def pay(request: HttpRequest) -> HttpResponse:
    """Find an order by its number, then record cash or card for its total."""
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    order_no = (request.POST.get("order_no") or request.GET.get("order_no") or "").strip()
    context: dict[str, object] = {"order_no": order_no}
    if not order_no:
        return _page(request, "clerk/pay.html", context)
    try:
        order = _counter_order(staff, merchant, order_no)
    except NotFound:
        context["error"] = gettext("No order with this number in your stores.")
        return _page(request, "clerk/pay.html", context, status=404)
    context["order"] = order
    if request.method != "POST":
        return _page(request, "clerk/pay.html", context)
    method = request.POST.get("method", "")
    if method not in ("offline_cash", "offline_card"):
        context["error"] = gettext("Choose cash or card.")
        return _page(request, "clerk/pay.html", context, status=400)
    try:
        services.order_pay_at_counter(merchant=merchant, order=order, method=method, staff=staff)
    except WeloopError as error:
        context["error"] = (
            gettext("This order is not waiting for payment.")
            if error.code == "orders.not_payable"
            else gettext(error.detail)
        )
        return _page(request, "clerk/pay.html", context, status=error.status)
    messages.success(request, gettext("Payment recorded: order %(no)s is paid.") % {"no": order.order_no})
    return redirect(f"{request.path}?order_no={order.order_no}")


# --- quick valet order ------------------------------------------------------------------------------


class QuickOrderForm(forms.Form):
    member = forms.CharField(label=_("Member"), max_length=128, help_text=_("Member id (mb_…), openid or phone."))
    fulfilment_type = forms.ChoiceField(
        label=_("Fulfilment"),
        choices=[(FulfilmentType.PICKUP, _("Pickup in store")), (FulfilmentType.IN_STORE, _("In store"))],
    )

    def __init__(self, *args: object, stores: list[Store], skus: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["store"] = _store_field(stores)
        for i in range(QUICK_LINES):
            self.fields[f"sku_{i}"] = forms.ChoiceField(label=_("Product"), required=False, choices=[("", "—"), *skus])
            self.fields[f"qty_{i}"] = forms.IntegerField(
                label=_("Quantity"), required=False, min_value=1, max_value=9999, initial=1
            )

    def lines(self) -> list[tuple[str, int]]:
        return [
            (self.cleaned_data[f"sku_{i}"], self.cleaned_data.get(f"qty_{i}") or 1)
            for i in range(QUICK_LINES)
            if self.cleaned_data.get(f"sku_{i}")
        ]


@staff_view("orders.counter")
def valet(request: HttpRequest) -> HttpResponse:
    staff, merchant = request.staff, request.merchant  # type: ignore[attr-defined]
    stores = _stores(staff)
    skus = [(s.public_id, f"{s.product.name} {s.code}") for s in sku_sellable_list(merchant=merchant)]
    if request.method != "POST":
        return _page(request, "clerk/valet.html", {"form": QuickOrderForm(stores=stores, skus=skus)})
    form = QuickOrderForm(request.POST, stores=stores, skus=skus)
    if not form.is_valid():
        return _page(request, "clerk/valet.html", {"form": form}, status=400)
    try:
        store = _chosen_store(stores, form.cleaned_data["store"])
        member = member_find(merchant=merchant, text=form.cleaned_data["member"])
        order = services.order_valet_create(
            merchant=merchant,
            staff=staff,
            member_openid=member.openid,
            lines=form.lines(),
            fulfilment=services.Fulfilment(type=form.cleaned_data["fulfilment_type"], store=store),
        )
    except WeloopError as error:
        return _page(request, "clerk/valet.html", {"form": form, "error": gettext(error.detail)}, status=error.status)
    messages.success(request, gettext("Order %(no)s placed: take the payment.") % {"no": order.order_no})
    return redirect(f"{reverse('clerk:pay')}?order_no={order.order_no}")
