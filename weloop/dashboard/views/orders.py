"""Order pages: the list with filters and totals, one order with its actions, valet orders, the
after-sales queue, and the shop's rules (delivery fee, purchase limits).

Who sees what (tenants/permissions.py): ``orders.view`` reads, ``orders.manage`` fulfils, ships,
cancels unpaid orders and records counter payments, ``orders.refund`` sends money back and decides
after-sales requests, ``orders.settings`` sets the rules. A store manager assigned to stores sees
only orders fulfilled in, or credited to, those stores: any other order is a 404, as another
merchant's would be. Every action is a plain form post that redirects back to the order; a service
error shows on the order page with nothing written.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.catalog.selectors import product_list, sku_sellable_list
from weloop.core import clock
from weloop.core.errors import NotFound, WeloopError
from weloop.core.money import yuan_text
from weloop.dashboard.catalog_forms import fen_or_none
from weloop.dashboard.order_forms import (
    AfterSalesFilterForm,
    DecisionForm,
    OfflinePaymentForm,
    OrderFilterForm,
    PurchaseLimitForm,
    RefundForm,
    ShipForm,
    ShippingRuleForm,
    TrackingEventForm,
    ValetForm,
)
from weloop.dashboard.qr_images import qr_svg
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.members.selectors import member_find
from weloop.orders import selectors, services
from weloop.orders.enums import AfterSalesStatus, FulfilmentType, OrderStatus
from weloop.orders.models import Order, PurchaseLimit, ShippingRule
from weloop.orders.services import Address, Fulfilment
from weloop.payments.enums import PaymentMethod
from weloop.payments.services import payment_native_params
from weloop.stores.models import Store
from weloop.stores.selectors import store_get, store_list
from weloop.tenants.access import staff_view
from weloop.tenants.enums import StaffRole
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.permissions import assigned_store_ids, has_permission

PAGE_SIZE = 50


# --- scope ----------------------------------------------------------------------------------------


def store_scope(staff: StaffMember) -> frozenset[int] | None:
    """Store pks ``staff`` is limited to for orders; None: every store (owners, admins, unassigned)."""
    if staff.role in (StaffRole.OWNER, StaffRole.ADMIN):
        return None
    return assigned_store_ids(staff) or None


def visible_stores(merchant: Merchant, staff: StaffMember) -> list[Store]:
    scope = store_scope(staff)
    stores = list(store_list(merchant=merchant))
    return stores if scope is None else [s for s in stores if s.pk in scope]


def order_for(request: HttpRequest, order_no: str) -> Order:
    """The order, if this staff member may see it; NotFound otherwise (never a telling 403)."""
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    order = selectors.order_get(merchant=merchant, order_no=order_no)
    scope = store_scope(staff)
    if scope is not None and not ({order.store_id, order.source_store_id} & scope):
        raise NotFound("No such order.", extra={"what": "order"})
    return order


# --- list -----------------------------------------------------------------------------------------


@staff_view("orders.view")
def order_list(request: HttpRequest) -> HttpResponse:
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    stores = visible_stores(merchant, staff)
    form = OrderFilterForm(request.GET, stores=[(s.public_id, s.name) for s in stores])
    filters = form.cleaned_data if form.is_valid() else {}
    search = selectors.OrderSearch(
        status=filters.get("status", ""),
        fulfilment_type=filters.get("fulfilment_type", ""),
        store_id=filters.get("store", ""),
        member_id=(filters.get("member") or "").strip(),
        q=(filters.get("q") or "").strip(),
        placed_from=filters.get("placed_from"),
        placed_to=filters.get("placed_to"),
    )
    orders = selectors.order_search(merchant=merchant, search=search, store_pks=store_scope(staff))
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "totals": selectors.order_totals(orders),
        "filtered": any(v for v in filters.values()),
        "can_manage": has_permission(staff, "orders.manage"),
    }
    return render_page(request, "dashboard/orders/list.html", context)


# --- detail ---------------------------------------------------------------------------------------


def _detail_page(
    request: HttpRequest,
    order: Order,
    *,
    error: WeloopError | None = None,
    forms_: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    order = selectors.order_get(merchant=merchant, order_no=order.order_no)
    payments = selectors.order_payments(merchant=merchant, order=order)
    refunds = list(order.refunds.all())
    money = selectors.refund_money_statuses(merchant=merchant, refund_nos=[r.out_refund_no for r in refunds])
    given = forms_ or {}
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "history": list(selectors.order_history(order=order)),
        "payments": payments,
        "refunds": [(r, money.get(r.out_refund_no, "")) for r in refunds],
        "shipments": list(order.shipments.all()),
        "aftersales": list(order.aftersales.all()),
        "codes": list(selectors.order_virtual_codes(merchant=merchant, order=order)),
        "ship_form": given.get("ship") or ShipForm(),
        "tracking_form": given.get("tracking") or TrackingEventForm(),
        "refund_form": given.get("refund")
        or RefundForm(order=order, initial={"amount": yuan_text(order.refundable_fen)}),
        "offline_form": OfflinePaymentForm(),
        "can_manage": has_permission(staff, "orders.manage"),
        "can_refund": has_permission(staff, "orders.refund"),
        "can_view_members": has_permission(staff, "members.view"),
        "actions": _actions(order),
        **error_context(error),
    }
    return render_page(request, "dashboard/orders/detail.html", context, status=status)


def _actions(order: Order) -> set[str]:
    """Which action forms the order page offers; the services still decide."""
    s, kind = order.status, order.fulfilment_type
    actions = set()
    if s == OrderStatus.PENDING_PAYMENT:
        actions |= {"cancel", "offline_payment", "native_qr"}
    if s in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED) and kind != FulfilmentType.VIRTUAL:
        actions.add("start_fulfilling")
    fulfilling = s in (OrderStatus.PAID, OrderStatus.FULFILLING, OrderStatus.PARTIALLY_REFUNDED)
    if fulfilling and kind == FulfilmentType.DELIVERY:
        actions.add("ship")
    if fulfilling and kind == FulfilmentType.PICKUP:
        actions.add("ready")
    if s == OrderStatus.SHIPPED or (fulfilling and kind == FulfilmentType.IN_STORE):
        actions.add("complete")
    if order.refundable_fen > 0 and s not in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.REFUNDING,
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
    ):
        actions.add("refund")
    return actions


@staff_view("orders.view")
def order_detail(request: HttpRequest, order_no: str) -> HttpResponse:
    return _detail_page(request, order_for(request, order_no))


def _done(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("dashboard:order_detail", order_no=order.order_no)


def _failed(request: HttpRequest, order: Order, error: WeloopError, **forms_: forms.Form) -> HttpResponse:
    return _detail_page(request, order, error=error, forms_=forms_, status=error.status)


def _invalid(request: HttpRequest, order: Order, **forms_: forms.Form) -> HttpResponse:
    return _detail_page(request, order, forms_=forms_, status=400)


# --- actions --------------------------------------------------------------------------------------


@require_POST
@staff_view("orders.manage")
def order_start_fulfilling(request: HttpRequest, order_no: str) -> HttpResponse:
    return _move(request, order_no, services.order_start_fulfilling, gettext("The order is being prepared."))


def _move(request: HttpRequest, order_no: str, service: Callable[..., object], done: str, **extra: str) -> HttpResponse:
    """An action without a form: call the service on the order, then show the order with ``done``."""
    order = order_for(request, order_no)
    try:
        service(merchant=request.merchant, order=order, actor=actor_of(request), **extra)  # type: ignore[attr-defined]
    except WeloopError as error:
        return _failed(request, order, error)
    return _done(request, order, done)


@require_POST
@staff_view("orders.manage")
def order_ship(request: HttpRequest, order_no: str) -> HttpResponse:
    order = order_for(request, order_no)
    form = ShipForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order, ship=form)
    try:
        services.order_ship(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            carrier=form.cleaned_data["carrier"],
            tracking_no=form.cleaned_data["tracking_no"],
            actor=actor_of(request),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _failed(request, order, error, ship=form)
    return _done(request, order, gettext("Shipped."))


@require_POST
@staff_view("orders.manage")
def shipment_add_tracking_event(request: HttpRequest, order_no: str, shipment_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    order = order_for(request, order_no)
    shipment = selectors.shipment_get(merchant=merchant, order=order, shipment_id=shipment_id)
    form = TrackingEventForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order, tracking=form)
    try:
        services.shipment_add_tracking_event(
            merchant=merchant,
            shipment=shipment,
            at=form.cleaned_data["at"] or clock.now(),
            description=form.cleaned_data["description"],
            location=form.cleaned_data["location"],
        )
    except WeloopError as error:
        attach_error(form, error)
        return _failed(request, order, error, tracking=form)
    return _done(request, order, gettext("Tracking event added."))


@require_POST
@staff_view("orders.manage")
def order_mark_ready(request: HttpRequest, order_no: str) -> HttpResponse:
    order = order_for(request, order_no)
    try:
        _, code = services.order_mark_ready_for_pickup(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            actor=actor_of(request),
        )
    except WeloopError as error:
        return _failed(request, order, error)
    # Staff see the code once, here; the member sees it sealed on the H5 order page (docs/orders.md).
    message = gettext("Ready for pickup. Pickup code: %(code)s (shown once: give it to the customer).")
    return _done(request, order, message % {"code": code})


@require_POST
@staff_view("orders.manage")
def order_complete(request: HttpRequest, order_no: str) -> HttpResponse:
    return _move(request, order_no, services.order_complete, gettext("Order completed."))


@require_POST
@staff_view("orders.manage")
def order_cancel(request: HttpRequest, order_no: str) -> HttpResponse:
    done = gettext("Order cancelled; its stock is back on sale.")
    return _move(request, order_no, services.order_cancel, done, reason="cancelled in the console")


@require_POST
@staff_view("orders.manage")
def order_offline_payment(request: HttpRequest, order_no: str) -> HttpResponse:
    order = order_for(request, order_no)
    form = OfflinePaymentForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order)
    try:
        services.order_pay_at_counter(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            method=form.cleaned_data["method"],
            staff=request.staff,  # type: ignore[attr-defined]
        )
    except WeloopError as error:
        return _failed(request, order, error)
    return _done(request, order, gettext("Payment recorded: the order is paid."))


@require_POST
@staff_view("orders.manage")
def order_native_pay(request: HttpRequest, order_no: str) -> HttpResponse:
    """Start (or continue) a WeChat Native payment and show its code_url as a QR code to scan."""
    merchant = request.merchant  # type: ignore[attr-defined]
    order = order_for(request, order_no)
    try:
        payment = services.order_start_payment(merchant=merchant, order=order, method=PaymentMethod.WECHAT_NATIVE)
        native = payment_native_params(merchant=merchant, payment=payment)
    except WeloopError as error:
        return _failed(request, order, error)
    context = {
        "order": order,
        "payment": payment,
        "code_url": native.code_url,
        "scan_url": native.scan_url,
        "qr_data_uri": "data:image/svg+xml;base64," + b64encode(qr_svg(native.code_url)).decode(),
    }
    return render_page(request, "dashboard/orders/native_pay.html", context)


@require_POST
@staff_view("orders.refund")
def order_refund(request: HttpRequest, order_no: str) -> HttpResponse:
    order = order_for(request, order_no)
    form = RefundForm(request.POST, order=order)
    if not form.is_valid():
        return _invalid(request, order, refund=form)
    try:
        amount = fen_or_none(form.cleaned_data["amount"], field="amount")
        services.order_refund(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            amount_fen=amount if amount is not None else 0,
            reason=form.cleaned_data["reason"],
            actor=actor_of(request),
            return_lines=form.return_lines() or None,
        )
    except WeloopError as error:
        attach_error(form, error, field_by_code={"money.invalid_amount": ("amount",)})
        if error.code in ("orders.invalid_refund", "orders.refund_exceeds_remaining") and "amount" in form.fields:
            attach_error(form, error, field_by_code={error.code: ("amount",)})
        return _failed(request, order, error, refund=form)
    return _done(request, order, gettext("Refund sent: the order shows it once the money is back."))


# --- after-sales ------------------------------------------------------------------------------------


@staff_view("orders.view")
def aftersales_list(request: HttpRequest) -> HttpResponse:
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    form = AfterSalesFilterForm(request.GET or {"status": AfterSalesStatus.REQUESTED})
    status = form.cleaned_data["status"] if form.is_valid() else ""
    requests = selectors.aftersales_list(merchant=merchant, status=status, store_pks=store_scope(staff))
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "can_refund": has_permission(staff, "orders.refund")}
    return render_page(request, "dashboard/orders/aftersales.html", context)


@require_POST
@staff_view("orders.refund")
def aftersales_approve(request: HttpRequest, after_sales_request_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    found = selectors.aftersales_get(merchant=merchant, aftersales_id=after_sales_request_id)
    order = order_for(request, found.order.order_no)
    try:
        services.aftersales_approve(merchant=merchant, request=found, actor=actor_of(request))
    except WeloopError as error:
        return _failed(request, order, error)
    return _done(request, order, gettext("Request approved: the refund is on its way."))


@require_POST
@staff_view("orders.refund")
def aftersales_reject(request: HttpRequest, after_sales_request_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    found = selectors.aftersales_get(merchant=merchant, aftersales_id=after_sales_request_id)
    order = order_for(request, found.order.order_no)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, order)
    try:
        services.aftersales_reject(
            merchant=merchant, request=found, actor=actor_of(request), note=form.cleaned_data["note"]
        )
    except WeloopError as error:
        return _failed(request, order, error)
    return _done(request, order, gettext("Request rejected."))


# --- valet orders -----------------------------------------------------------------------------------


def sellable_sku_choices(merchant: Merchant) -> list[tuple[str, str]]:
    return [
        (
            s.public_id,
            f"{s.product.name} · {'/'.join(map(str, s.options.values())) or s.code} · {yuan_text(s.price_fen)}",
        )
        for s in sku_sellable_list(merchant=merchant)
    ]


def place_valet_order(request: HttpRequest, form: ValetForm, stores: list[Store]) -> Order:
    """The valet order the form describes, credited to the staff member (raises WeloopError)."""
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    data = form.cleaned_data
    member = member_find(merchant=merchant, text=data["member"])
    store = store_get(merchant=merchant, public_id=data["store"]) if data["store"] else None
    if store is not None and store not in stores:
        raise NotFound("No such store.", extra={"what": "store", "field": "store"})
    address = None
    if data["fulfilment_type"] == FulfilmentType.DELIVERY:
        address = Address(
            name=data["ship_name"], phone=data["ship_phone"], city=data["ship_city"], detail=data["ship_detail"]
        )
    fulfilment_store = store if data["fulfilment_type"] in (FulfilmentType.PICKUP, FulfilmentType.IN_STORE) else None
    return services.order_valet_create(
        merchant=merchant,
        staff=staff,
        member_openid=member.openid,
        lines=form.lines(),
        fulfilment=Fulfilment(
            type=data["fulfilment_type"], store=fulfilment_store, address=address, table_code=data["table_code"]
        ),
        note=data["note"],
        source_store=store,
    )


VALET_FIELDS_BY_ERROR = {
    "orders.invalid_address": ("ship_detail",),
    "orders.invalid_fulfilment": ("fulfilment_type",),
    "orders.empty": ("sku_0",),
    "orders.unknown_sku": ("sku_0",),
    "orders.insufficient_stock": ("sku_0",),
    "orders.purchase_limit": ("sku_0",),
}


@staff_view("orders.manage")
def order_valet_create(request: HttpRequest) -> HttpResponse:
    merchant, staff = request.merchant, request.staff  # type: ignore[attr-defined]
    stores = visible_stores(merchant, staff)
    choices = {"stores": [(s.public_id, s.name) for s in stores], "skus": sellable_sku_choices(merchant)}
    if request.method != "POST":
        initial = {"member": request.GET.get("member", "")}
        return render_page(request, "dashboard/orders/valet.html", {"form": ValetForm(initial=initial, **choices)})
    form = ValetForm(request.POST, **choices)
    if not form.is_valid():
        return render_page(request, "dashboard/orders/valet.html", {"form": form}, status=400)
    try:
        order = place_valet_order(request, form, stores)
    except WeloopError as error:
        attach_error(form, error, field_by_code=VALET_FIELDS_BY_ERROR)
        context = {"form": form, **error_context(error)}
        return render_page(request, "dashboard/orders/valet.html", context, status=error.status)
    messages.success(request, gettext("Order %(no)s placed: take the payment below.") % {"no": order.order_no})
    return redirect("dashboard:order_detail", order_no=order.order_no)


# --- rules: delivery fee and purchase limits -------------------------------------------------------


def _settings_page(
    request: HttpRequest,
    *,
    shipping_form: ShippingRuleForm | None = None,
    limit_form: PurchaseLimitForm | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    rule = ShippingRule.objects.for_merchant(merchant).first()
    products = [(p.public_id, p.name) for p in product_list(merchant=merchant)]
    initial = {
        "flat_fee": yuan_text(rule.flat_fee_fen if rule else 0),
        "free_above": yuan_text(rule.free_above_fen if rule else None),
    }
    context = {
        "rule": rule,
        "shipping_form": shipping_form or ShippingRuleForm(initial=initial),
        "limit_form": limit_form or PurchaseLimitForm(products=products),
        "limits": PurchaseLimit.objects.for_merchant(merchant).select_related("product").order_by("product__name"),
        **error_context(error),
    }
    return render_page(request, "dashboard/orders/settings.html", context, status=status)


@staff_view("orders.settings")
def order_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@require_POST
@staff_view("orders.settings")
def order_settings_shipping(request: HttpRequest) -> HttpResponse:
    form = ShippingRuleForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, shipping_form=form, status=400)
    try:
        flat = fen_or_none(form.cleaned_data["flat_fee"], field="flat_fee")
        services.shipping_rule_set(
            merchant=request.merchant,  # type: ignore[attr-defined]
            flat_fee_fen=flat if flat is not None else 0,
            free_above_fen=fen_or_none(form.cleaned_data["free_above"], field="free_above"),
        )
    except WeloopError as error:
        attach_error(form, error)
        return _settings_page(request, shipping_form=form, error=error, status=error.status)
    messages.success(request, gettext("Delivery fee saved."))
    return redirect("dashboard:order_settings")


@require_POST
@staff_view("orders.settings")
def order_settings_limit(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    products = {p.public_id: p for p in product_list(merchant=merchant)}
    form = PurchaseLimitForm(request.POST, products=[(pid, p.name) for pid, p in products.items()])
    if not form.is_valid():
        return _settings_page(request, limit_form=form, status=400)
    try:
        services.purchase_limit_set(
            merchant=merchant,
            product=products[form.cleaned_data["product_id"]],
            max_per_member=form.cleaned_data["max_per_member"],
        )
    except WeloopError as error:
        attach_error(form, error)
        return _settings_page(request, limit_form=form, error=error, status=error.status)
    messages.success(request, gettext("Purchase limit saved."))
    return redirect("dashboard:order_settings")
