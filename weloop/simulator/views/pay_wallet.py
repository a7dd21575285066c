"""The phone's wallet: what ``getBrandWCPayRequest`` and scanning a Native QR code show the user.

- ``/simulator/pay/wallet`` receives the six getBrandWCPayRequest fields (appId, timeStamp,
  nonceStr, package, signType, paySign; GET or POST) and ``return_url``. It checks ``paySign`` with
  the merchant public key, shows the order, and on "Pay" marks it paid, queues TRANSACTION.SUCCESS
  and goes back to ``return_url`` with ``result=ok`` (``result=cancel`` on "Cancel"), as the JS
  callback's ``err_msg`` would say. ``return_url`` must be a path, or a URL on this host or on
  PUBLIC_URL's host (where the merchant's H5 lives).
- ``/simulator/pay/scan?code_url=weixin://wxpay/bizpayurl?pr=…`` is the phone scanning the merchant's
  QR code: the same page, paid by the phone's current user for that account.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weloop.simulator import identifiers, pay_server
from weloop.simulator.pay_models import SimPayOrder
from weloop.simulator.pay_registry import PayMerchant
from weloop.simulator.pay_server import WalletRefusal
from weloop.simulator.views.phone import SESSION_APPID, SESSION_OPENID

BRIDGE_FIELDS = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")


def _return_url(request: HttpRequest, params) -> str:
    """A path, or a URL on this host or the platform's public host (the merchant H5 lives there)."""
    url = params.get("return_url", "")
    hosts = {request.get_host(), urlsplit(settings.PUBLIC_URL).netloc}
    if url and not url_has_allowed_host_and_scheme(url, allowed_hosts=hosts):
        raise WalletRefusal(_("return_url must be a path on this site"))
    return url


def _with_result(url: str, result: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "result"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("result", result)])))


def _error(request: HttpRequest, refusal: WalletRefusal) -> HttpResponse:
    return render(request, "simulator/pay_error.html", {"problem": refusal.detail}, status=400)


def _finish(request: HttpRequest, return_url: str, result: str, order: SimPayOrder) -> HttpResponse:
    if return_url:
        return HttpResponseRedirect(_with_result(return_url, result))
    return render(request, "simulator/pay_result.html", {"result": result, "order": order})


def _page(
    request: HttpRequest, order: SimPayOrder, merchant: PayMerchant, hidden: list[tuple[str, str]]
) -> HttpResponse:
    context = {"order": order, "merchant": merchant, "hidden": hidden, "action": request.path}
    return render(request, "simulator/pay_wallet.html", context)


@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    try:
        return_url = _return_url(request, params)
        bridge = {name: params.get(name, "") for name in BRIDGE_FIELDS}
        order, merchant = pay_server.wallet_order(bridge)
        action = params.get("action", "") if request.method == "POST" else ""
        if action == "cancel":
            return _finish(request, return_url, "cancel", order)
        if action == "pay":
            order = pay_server.order_pay(order=order, merchant=merchant, payer_openid=order.payer_openid)
            return _finish(request, return_url, "ok", order)
    except WalletRefusal as refusal:
        return _error(request, refusal)
    return _page(request, order, merchant, [*bridge.items(), ("return_url", return_url)])


def _scanning_user(request: HttpRequest, order: SimPayOrder) -> str:
    """The phone's user for the order's account, or a WeChat user that account has never seen."""
    if request.session.get(SESSION_APPID) == order.appid and request.session.get(SESSION_OPENID):
        return str(request.session[SESSION_OPENID])
    return identifiers.new_openid()


@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    try:
        return_url = _return_url(request, params)
        code_url = params.get("code_url", "")
        order, merchant = pay_server.scanned_order(code_url)
        action = params.get("action", "") if request.method == "POST" else ""
        if action == "cancel":
            return _finish(request, return_url, "cancel", order)
        if action == "pay":
            payer = _scanning_user(request, order)
            order = pay_server.order_pay(order=order, merchant=merchant, payer_openid=payer)
            return _finish(request, return_url, "ok", order)
    except WalletRefusal as refusal:
        return _error(request, refusal)
    return _page(request, order, merchant, [("code_url", code_url), ("return_url", return_url)])
