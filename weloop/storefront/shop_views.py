"""The consumer H5 shop under /m/<merchant_slug>/: cart, checkout, paying, my orders, one order.

Thin views: they parse the form, call ``weloop.orders.services`` (or ``payments``) and render
``shop_presenters``. A service error (stock gone, purchase limit, bad address…) is shown on the page
it came from, with its message and its HTTP status, never as a 500.

Pages addressed by an order number answer 404 for an order that is not this merchant's, before
asking anyone to sign in, and 404 for another member's order after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from weloop.core.errors import WeloopError
from weloop.core.ids import random_token
from weloop.core.money import format_fen, yuan_to_fen
from weloop.core.qr import qr_svg_inline
from weloop.loyalty import selectors as loyalty_selectors
from weloop.loyalty.errors import InsufficientBalance
from weloop.members.errors import WechatNotConnected
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.enums import AfterSalesKind, FulfilmentType, OrderStatus
from weloop.orders.errors import InvalidFulfilment, InvalidQuantity, OrderNotFound
from weloop.orders.selectors import order_payments
from weloop.orders.services import Address, Attribution, Fulfilment, LineInput
from weloop.orders.services.stored_value import order_pay_with_balance
from weloop.payments import services as payments
from weloop.payments.enums import PaymentMethod, PaymentStatus
from weloop.storefront import identity
from weloop.storefront.product_presenters import product_page
from weloop.storefront.referral_capture import referral_scene
from weloop.storefront.shell import consumer_view, render_page
from weloop.storefront.shop_presenters import (
    ORDER_TABS,
    cart_page,
    checkout_preview,
    lines_all_virtual,
    member_order,
    member_orders,
    order_exists,
    order_page,
    pickup_stores,
    store_for_checkout,
)

View = Callable[..., HttpResponse]

CHANNEL = "h5"
TABLE_LABEL_MAX = 32
# Polling the order after paying: every POLL_SECONDS, at most MAX_POLLS times (then a message and
# a link); at QUERY_AT_POLL the page asks WeChat once, in case its notification got lost.
POLL_SECONDS = 1.5
MAX_POLLS = 60
QUERY_AT_POLL = 10
ADDRESS_FIELDS = ("name", "phone", "province", "city", "district", "detail")


# --- helpers --------------------------------------------------------------------------------------


def _slug(request: HttpRequest) -> str:
    return request.merchant.slug  # type: ignore[attr-defined,no-any-return]


def _url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return reverse(f"storefront:{name}", kwargs={"merchant_slug": _slug(request), **kwargs})


def _actor(member: Member) -> str:
    return f"member:{member.public_id}"


def _message(error: WeloopError) -> str:
    return gettext(error.detail)


def _int_or_raw(value: str) -> int | str:
    """A form's whole number as an int; anything else is passed on for the service to refuse."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else text


def _member_or_sign_in(request: HttpRequest, next_path: str) -> Member | HttpResponse:
    """The signed-in member, or the redirect to WeChat's sign-in that comes back to ``next_path``."""
    member = identity.current_member(request)
    if member is not None:
        return member
    try:
        return identity.oauth_redirect(request, scope=identity.BASE, next_path=next_path)
    except WechatNotConnected as error:
        return _error_page(request, error)


def _error_page(request: HttpRequest, error: WeloopError) -> HttpResponse:
    response = render_page(request, "storefront/shop_error.html", {"message": _message(error), "error": error})
    response.status_code = error.status
    return response


def known_order(view: View) -> View:
    """404 for an order number this merchant does not have, before anyone is asked to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, order_no: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not order_exists(merchant=request.merchant, order_no=order_no):  # type: ignore[attr-defined]
            raise OrderNotFound()
        return view(request, order_no, *args, **kwargs)

    return wrapper


# --- in-store ordering from a table or shelf QR ----------------------------------------------------


def _table_key(request: HttpRequest) -> str:
    return f"weloop_table:{request.merchant.pk}"  # type: ignore[attr-defined]


def remember_table(request: HttpRequest) -> None:
    """``?store=<store id>&table=<label>`` (a table or shelf QR's link): order to that table from now on."""
    store_id, table = request.GET.get("store", ""), request.GET.get("table", "").strip()[:TABLE_LABEL_MAX]
    if store_id and table:
        store = store_for_checkout(merchant=request.merchant, store_id=store_id)  # type: ignore[attr-defined]
        if store is not None:
            request.session[_table_key(request)] = {"store": store.public_id, "table": table}


def _table(request: HttpRequest) -> tuple[Any, str]:
    remembered = request.session.get(_table_key(request)) or {}
    store = store_for_checkout(merchant=request.merchant, store_id=str(remembered.get("store", "")))  # type: ignore[attr-defined]
    return (store, str(remembered.get("table", ""))) if store is not None else (None, "")


# --- the cart -------------------------------------------------------------------------------------


@require_POST
@consumer_view
def cart_add(request: HttpRequest) -> HttpResponse:
    """The product page's buy area: ``sku_id``, ``quantity``, ``action=add|buy``, ``product_id`` to return to."""
    product_id = request.POST.get("product_id", "")[:40]
    back = _url(request, "product_detail", product_id=product_id) if product_id else _url(request, "product_list")
    member = _member_or_sign_in(request, back)
    if isinstance(member, HttpResponse):
        return member
    sku_id, quantity = request.POST.get("sku_id", "")[:40], _int_or_raw(request.POST.get("quantity", "1"))
    try:
        if request.POST.get("action") == "buy":
            # "Buy now" skips the cart: the checkout orders just this SKU (it checks the SKU).
            if not isinstance(quantity, int) or not 0 < quantity <= orders.MAX_QUANTITY:
                raise InvalidQuantity()
            return redirect(_url(request, "checkout") + "?" + urlencode({"buy": sku_id, "qty": quantity}))
        orders.cart_add(merchant=request.merchant, member=member, sku_id=sku_id, quantity=quantity)  # type: ignore[attr-defined,arg-type]
    except WeloopError as error:
        if not product_id:
            return _error_page(request, error)
        page = product_page(merchant=request.merchant, product_id=product_id, chosen={})  # type: ignore[attr-defined]
        response = render_page(
            request,
            "storefront/product_detail.html",
            {"page": page, "buy_error": _message(error), "buy_error_code": error.code},
            tab="products",
        )
        response.status_code = error.status
        return response
    return redirect(back + "?added=1")


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def cart(request: HttpRequest) -> HttpResponse:
    remember_table(request)
    return _cart_response(request)


def _cart_response(request: HttpRequest, error: WeloopError | None = None) -> HttpResponse:
    page = cart_page(merchant=request.merchant, member=request.member)  # type: ignore[attr-defined]
    context = {"cart": page, "error": _message(error) if error else "", "error_code": error.code if error else ""}
    response = render_page(request, "storefront/cart.html", context, tab="cart")
    if error is not None:
        response.status_code = error.status
    return response


@require_POST
@consumer_view
@identity.member_required()
def cart_update(request: HttpRequest) -> HttpResponse:
    """``sku_id`` and ``quantity`` (0 removes the line), or ``remove=1``."""
    sku_id = request.POST.get("sku_id", "")[:40]
    try:
        if request.POST.get("remove"):
            orders.cart_remove(merchant=request.merchant, member=request.member, sku_id=sku_id)  # type: ignore[attr-defined]
        else:
            quantity = _int_or_raw(request.POST.get("quantity", ""))
            orders.cart_update(merchant=request.merchant, member=request.member, sku_id=sku_id, quantity=quantity)  # type: ignore[attr-defined,arg-type]
    except WeloopError as error:
        return _cart_response(request, error)
    return redirect(_url(request, "cart"))


# --- checkout -------------------------------------------------------------------------------------


def _buy_now(source: Any) -> list[LineInput] | None:
    sku_id = str(source.get("buy", ""))[:40]
    if not sku_id:
        return None
    return [LineInput(sku_id, _int_or_raw(str(source.get("qty", "1"))))]


def _cart_lines(request: HttpRequest) -> list[LineInput]:
    return orders.cart_lines(merchant=request.merchant, member=request.member)  # type: ignore[attr-defined]


def _choice(request: HttpRequest, source: Any, *, virtual_only: bool = False) -> tuple[str, Any, str]:
    """(fulfilment type, store, table): what the form or the query chose, sensible defaults otherwise.

    An order of virtual products only is delivered as codes: no address, no store to choose.
    """
    if virtual_only:
        return FulfilmentType.VIRTUAL, None, ""
    table_store, table = _table(request)
    wanted = str(source.get("type", ""))
    if wanted not in FulfilmentType.values:
        wanted = FulfilmentType.IN_STORE if table_store is not None else FulfilmentType.DELIVERY
    if wanted == FulfilmentType.IN_STORE:
        return (wanted, table_store, table) if table_store is not None else (FulfilmentType.DELIVERY, None, "")
    store = store_for_checkout(merchant=request.merchant, store_id=str(source.get("store", "")))  # type: ignore[attr-defined]
    if wanted == FulfilmentType.PICKUP and store is None:
        stores = pickup_stores(merchant=request.merchant)  # type: ignore[attr-defined]
        store = stores[0] if stores else None
    return wanted, (store if wanted == FulfilmentType.PICKUP else None), ""


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@identity.member_required()
def checkout(request: HttpRequest) -> HttpResponse:
    """GET: the preview for the chosen way of receiving the order. POST: place it (once per form)."""
    if request.method != "POST":
        remember_table(request)
        return _checkout_page(request, request.GET, token=random_token(32))
    form = request.POST
    token = str(form.get("token", ""))[:64]
    buy = _buy_now(form)
    kind, store, table = _choice(request, form, virtual_only=_virtual_only(request, buy))
    address = Address(**{name: str(form.get(name, "")).strip() for name in ADDRESS_FIELDS})
    try:
        if not token:
            raise InvalidFulfilment("This form has expired. Please try again.")
        order = orders.checkout_place(
            merchant=request.merchant,  # type: ignore[attr-defined]
            member=request.member,  # type: ignore[attr-defined]
            lines=buy,
            from_cart=buy is None,
            fulfilment=Fulfilment(
                type=kind,
                store=store,
                address=address if kind == FulfilmentType.DELIVERY else None,
                table_code=table,
            ),
            attribution=Attribution(
                source_store=store,
                qr_scene=f"table:{table}" if table else referral_scene(request.merchant, request.member),  # type: ignore[attr-defined]
                channel=CHANNEL,
            ),
            actor=_actor(request.member),  # type: ignore[attr-defined]
            idempotency_key=f"h5:{token}",
            note=str(form.get("note", "")).strip(),
            coupon_ids=_chosen_coupons(form) or (),
            points=_points(form),
        )
    except WeloopError as error:
        return _checkout_page(request, form, token=token or random_token(32), error=error)
    return redirect(_url(request, "order_pay", order_no=order.order_no))


def _chosen_coupons(source: Any) -> list[str] | None:
    """The coupons ticked on the page; None when the member has not chosen yet (suggest the best)."""
    if not str(source.get("coupons_chosen", "")):
        return None
    getlist = getattr(source, "getlist", None)
    return [str(c)[:24] for c in (getlist("coupon") if getlist else [])][:10]


def _points(source: Any) -> int:
    try:
        return max(0, min(int(str(source.get("points", "0") or "0")), 10**9))
    except ValueError:
        return 0


def _coupon_context(request: HttpRequest, source: Any, lines: list[LineInput], kind: str, store: Any) -> dict[str, Any]:
    """The member's coupons for this order, the chosen (or suggested) ones and the breakdown."""
    member = getattr(request, "member", None)
    if member is None or not lines:
        return {}
    chosen = _chosen_coupons(source)
    fulfilment = Fulfilment(type=kind, store=store)
    points = _points(source)
    try:
        first = orders.checkout_preview(
            merchant=request.merchant,  # type: ignore[attr-defined]
            member=member,
            lines=lines,
            fulfilment=fulfilment,
            coupon_ids=[],
            points=0,
        )
    except WeloopError:
        return {}
    ids = list(first.suggestions.best_ids) if chosen is None else chosen
    coupon_error = ""
    quote = first.quote
    if ids or points:
        try:
            quote = orders.checkout_preview(
                merchant=request.merchant,  # type: ignore[attr-defined]
                member=member,
                lines=lines,
                fulfilment=fulfilment,
                coupon_ids=ids,
                points=points,
            ).quote
        except WeloopError as error:
            coupon_error, ids = _message(error), []
    return {
        "coupon_choices": first.suggestions.choices,
        "coupon_best_ids": list(first.suggestions.best_ids),
        "coupon_ids": ids,
        "coupon_error": coupon_error,
        "quote": quote.pricing,
        "benefits": quote.benefits,
        "points": points,
    }


def _virtual_only(request: HttpRequest, buy: list[LineInput] | None) -> bool:
    lines = buy if buy is not None else _cart_lines(request)
    return lines_all_virtual(merchant=request.merchant, lines=lines)  # type: ignore[attr-defined]


def _checkout_page(request: HttpRequest, source: Any, *, token: str, error: WeloopError | None = None) -> HttpResponse:
    buy = _buy_now(source)
    lines = buy if buy is not None else _cart_lines(request)
    virtual_only = lines_all_virtual(merchant=request.merchant, lines=lines)  # type: ignore[attr-defined]
    kind, store, table = _choice(request, source, virtual_only=virtual_only)
    safe_lines = [line for line in lines if isinstance(line.quantity, int) and line.quantity > 0]
    preview = checkout_preview(merchant=request.merchant, lines=safe_lines, fulfilment_type=kind, store=store)  # type: ignore[attr-defined]
    table_store, table_label = _table(request)
    context = {
        "preview": preview,
        "kind": kind,
        "store": store,
        "table": table,
        "table_store": table_store,
        "table_label": table_label,
        "stores": pickup_stores(merchant=request.merchant),  # type: ignore[attr-defined]
        "kinds": [(FulfilmentType.VIRTUAL.value, FulfilmentType.VIRTUAL.label)]
        if virtual_only
        else [
            (choice.value, choice.label)
            for choice in (FulfilmentType.DELIVERY, FulfilmentType.PICKUP, FulfilmentType.IN_STORE)
            if choice != FulfilmentType.IN_STORE or table_store is not None
        ],
        "virtual_only": virtual_only,
        "buy": buy[0] if buy else None,
        "token": token,
        "address": {name: str(source.get(name, "")) for name in ADDRESS_FIELDS},
        "note": str(source.get("note", ""))[:200],
        "error": _message(error) if error else "",
        "error_code": error.code if error else "",
        "error_field": str(error.extra.get("field", "")) if error else "",
    }
    if not preview.has_problem:
        context.update(_coupon_context(request, source, safe_lines, kind, store))
    response = render_page(request, "storefront/checkout.html", context, tab="cart")
    if error is not None:
        response.status_code = error.status
    return response


# --- paying ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@consumer_view
@known_order
@identity.member_required()
def order_pay(request: HttpRequest, order_no: str) -> HttpResponse:
    """GET: the amount, the deadline and a "Pay" button (and "Pay with balance" when the member's
    stored-value balance covers the total). POST: start the JSAPI payment and pay it: WeixinJSBridge
    inside WeChat, the simulator's wallet in simulator mode; or, with ``method=balance``, pay from
    the balance (``_pay_with_balance``)."""
    order = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
    detail_url = _url(request, "order_detail", order_no=order.order_no)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect(detail_url)
    page = order_page(merchant=request.merchant, order=order)  # type: ignore[attr-defined]
    balance_fen = loyalty_selectors.account_of(merchant=request.merchant, member=request.member).balance_fen  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "page": page,
        "order": order,
        "detail_url": detail_url,
        "balance_fen": balance_fen,
        "balance_covers": balance_fen >= order.total_fen,
    }
    if request.method != "POST":
        return render_page(request, "storefront/pay.html", context)
    if request.POST.get("method") == "balance":
        return _pay_with_balance(request, order, context)
    try:
        payment = orders.order_start_payment(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            method=PaymentMethod.WECHAT_JSAPI,
            payer_openid=request.member.openid,  # type: ignore[attr-defined]
        )
        params = payments.payment_jsapi_params(
            merchant=request.merchant,  # type: ignore[attr-defined]
            payment=payment,
            return_url=detail_url + "?paying=1",
        )
    except WeloopError as error:
        failed = {**context, "error": _message(error), "error_code": error.code}
        response = render_page(request, "storefront/pay.html", failed)
        response.status_code = error.status
        return response
    if params.wallet_url:
        # Simulator mode: a browser has no WeixinJSBridge; the simulated WeChat's pay sheet plays it.
        return HttpResponseRedirect(params.wallet_url)
    return render_page(request, "storefront/pay.html", {**context, "bridge": params.bridge})


def _pay_with_balance(request: HttpRequest, order: Any, context: dict[str, Any]) -> HttpResponse:
    """Pay the whole order from the member's stored-value balance, then show the paid order.

    A double submit pays once: the second request finds the order paid (it waits for the first on
    the order's row lock) and is sent to the order too. A balance short of the total writes nothing.
    """
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    detail_url = context["detail_url"]
    try:
        order_pay_with_balance(merchant=merchant, order=order, actor=_actor(member))
    except WeloopError as error:
        fresh = member_order(merchant=merchant, member=member, order_no=order.order_no)
        if fresh.status != OrderStatus.PENDING_PAYMENT:  # paid meanwhile (a double submit) or closed
            return redirect(detail_url)
        balance_fen = loyalty_selectors.account_of(merchant=merchant, member=member).balance_fen
        message = _message(error)
        if isinstance(error, InsufficientBalance):
            message = gettext("Your balance (%(balance)s) does not cover this order (%(total)s).") % {
                "balance": format_fen(balance_fen),
                "total": format_fen(fresh.total_fen),
            }
        failed = {
            **context,
            "order": fresh,
            "balance_fen": balance_fen,
            "balance_covers": balance_fen >= fresh.total_fen,
            "error": message,
            "error_code": error.code,
        }
        response = render_page(request, "storefront/pay.html", failed)
        response.status_code = error.status
        return response
    return redirect(detail_url + "?paid=balance")


# --- my orders ------------------------------------------------------------------------------------


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def order_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("status", "all")
    tab = tab if tab in ORDER_TABS else "all"
    rows = member_orders(merchant=request.merchant, member=request.member, tab=tab)  # type: ignore[attr-defined]
    context = {"orders": rows, "status_tab": tab, "status_tabs": _status_tabs()}
    return render_page(request, "storefront/orders.html", context, tab="me")


def _status_tabs() -> list[tuple[str, str]]:
    labels = {
        "all": gettext("All"),
        "to_pay": gettext("To pay"),
        "in_progress": gettext("In progress"),
        "completed": gettext("Completed"),
        "refunds": gettext("Refunds"),
        "closed": gettext("Closed"),
    }
    return [(key, labels[key]) for key in ORDER_TABS]


@never_cache
@require_safe
@consumer_view
@known_order
@identity.member_required()
def order_detail(request: HttpRequest, order_no: str) -> HttpResponse:
    order = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
    return _order_response(request, order)


def _order_response(request: HttpRequest, order: Any, error: WeloopError | None = None) -> HttpResponse:
    """The member's own order (the caller checked): with its pickup code and its virtual goods' codes."""
    merchant = request.merchant  # type: ignore[attr-defined]
    page = order_page(merchant=merchant, order=order)
    pickup_code = orders.pickup_code_for_member(merchant=merchant, order=order)
    paying = bool(request.GET.get("paying")) and request.GET.get("result") != "cancel"
    context = {
        "page": page,
        "order": order,
        "watching": paying and order.status == OrderStatus.PENDING_PAYMENT,
        "pay_cancelled": request.GET.get("result") == "cancel",
        "poll_seconds": POLL_SECONDS,
        "aftersales_kinds": AfterSalesKind.choices,
        "error": _message(error) if error else "",
        "error_code": error.code if error else "",
        "requested": bool(request.GET.get("requested")),
        "paid_with_balance": request.GET.get("paid") == "balance" and order.status != OrderStatus.PENDING_PAYMENT,
        "pickup_code": pickup_code or "",
        "pickup_qr": mark_safe(qr_svg_inline(pickup_code)) if pickup_code else "",  # our own SVG of the digits
        "codes": orders.virtual_codes_for_member(merchant=merchant, order=order),
    }
    response = render_page(request, "storefront/order_detail.html", context, tab="me")
    if error is not None:
        response.status_code = error.status
    return response


@never_cache
@require_GET
@consumer_view
@known_order
@identity.member_required()
def order_status(request: HttpRequest, order_no: str) -> HttpResponse:
    """The htmx poll of the order page while a payment is being confirmed (``?n=`` counts the polls).

    Once the order is no longer waiting for payment, ``HX-Refresh`` reloads the whole page.
    """
    order = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
    polls = int(request.GET["n"]) if request.GET.get("n", "").isdigit() else 0
    if order.status == OrderStatus.PENDING_PAYMENT and polls == QUERY_AT_POLL:
        order = _ask_wechat(request, order)
    done = order.status != OrderStatus.PENDING_PAYMENT
    context = {
        "merchant": request.merchant,  # type: ignore[attr-defined]
        "order": order,
        "done": done,
        "gave_up": not done and polls >= MAX_POLLS,
        "next_poll": polls + 1,
        "poll_seconds": POLL_SECONDS,
        "status_label": OrderStatus(order.status).label,
    }
    response = render(request, "storefront/_order_status.html", context)
    if done:
        response["HX-Refresh"] = "true"
    return response


def _ask_wechat(request: HttpRequest, order: Any) -> Any:
    """A notification may be lost: ask WeChat about the open payment once (its answer is applied)."""
    merchant = request.merchant  # type: ignore[attr-defined]
    for payment in order_payments(merchant=merchant, order=order):
        if payment.method == PaymentMethod.WECHAT_JSAPI and payment.status == PaymentStatus.PENDING:
            # WeChat may not answer: then the notification, or the background sweep, will tell.
            with contextlib.suppress(WeloopError):
                payments.payment_query_and_sync(merchant=merchant, payment=payment)
    return member_order(merchant=merchant, member=request.member, order_no=order.order_no)  # type: ignore[attr-defined]


@require_POST
@consumer_view
@known_order
@identity.member_required()
def order_cancel(request: HttpRequest, order_no: str) -> HttpResponse:
    order = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
    try:
        order = orders.order_cancel(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            actor=_actor(request.member),  # type: ignore[attr-defined]
            reason="cancelled by the member",
        )
    except WeloopError as error:
        fresh = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
        return _order_response(request, fresh, error)
    return redirect(_url(request, "order_detail", order_no=order.order_no))


@require_POST
@consumer_view
@known_order
@identity.member_required()
def order_aftersales(request: HttpRequest, order_no: str) -> HttpResponse:
    """Ask for money back: ``kind`` (refund_only | return_and_refund), ``amount`` in yuan, ``reason``."""
    order = member_order(merchant=request.merchant, member=request.member, order_no=order_no)  # type: ignore[attr-defined]
    try:
        amount_fen = yuan_to_fen(request.POST.get("amount", "").strip() or "x")
        orders.aftersales_request(
            merchant=request.merchant,  # type: ignore[attr-defined]
            order=order,
            member=request.member,  # type: ignore[attr-defined]
            kind=request.POST.get("kind", ""),
            amount_fen=amount_fen,
            reason=request.POST.get("reason", "").strip(),
        )
    except WeloopError as error:
        return _order_response(request, order, error)
    return redirect(_url(request, "order_detail", order_no=order.order_no) + "?requested=1")
