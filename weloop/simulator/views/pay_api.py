"""WeChat Pay v3 endpoints (api.mch.weixin.qq.com) under /simulator/pay/v3/….

Each call must carry the merchant's ``Authorization`` (WECHATPAY2-SHA256-RSA2048, checked with the
merchant public key over the method, the path with its query as received, the timestamp (±5 min),
the nonce and the raw body), or it gets 401 SIGN_ERROR. Every answer, errors and empty 204s
included, is signed with the platform key (``Wechatpay-*`` headers) once the merchant is known.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from weloop.simulator import pay_server
from weloop.simulator.pay_enums import TradeType
from weloop.simulator.pay_registry import PayMerchant, pay_merchant_for
from weloop.simulator.pay_server import PayRefusal, param_error, sign_error
from weloop.simulator.views import enabled_only
from weloop.wechat.pay_crypto import parse_authorization, sign_response, verify_merchant_authorization
from weloop.wechat.pay_errors import PaySignatureInvalid, PayStaleTimestamp

logger = logging.getLogger(__name__)
Answer = tuple[int, dict[str, Any] | None]  # (HTTP status, JSON body or None for an empty body)


def signed_response(merchant: PayMerchant | None, status: int, data: dict[str, Any] | None) -> HttpResponse:
    body = b"" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    response["Request-ID"] = secrets.token_hex(16)
    if merchant is not None:  # an unknown merchant gets an unsigned 401: WeChat has no key to sign for it
        headers = sign_response(merchant.platform_private_key_pem, merchant.platform_public_key_id, body)
        for name, value in headers.items():
            response[name] = value
    return response


def canonical_urls(request: HttpRequest) -> list[str]:
    """The request's path + query as sent: the raw URI when the server reports it, else Django's."""
    raw = [request.META.get(key, "") for key in ("RAW_URI", "REQUEST_URI")]
    return [uri for uri in raw if uri.startswith("/")] + [request.get_full_path()]


def authenticate(request: HttpRequest) -> PayMerchant:
    """The merchant whose private key signed this request; ``PayRefusal`` 401 otherwise."""
    header = request.headers.get("Authorization", "")
    try:
        auth = parse_authorization(header)
        merchant = pay_merchant_for(auth.mchid)
        if merchant is None:
            raise sign_error("商户号不存在或未开通 APIv3")
        if merchant.merchant_serial and auth.serial_no != merchant.merchant_serial:
            raise sign_error("商户证书序列号有误")
        method, public_key = request.method or "", merchant.merchant_public_key_pem
        for url in dict.fromkeys(canonical_urls(request)):
            try:
                verify_merchant_authorization(header, method, url, request.body, public_key)
                return merchant
            except PaySignatureInvalid:
                continue
        raise sign_error("签名错误，请检查后再试")
    except PayStaleTimestamp:
        raise sign_error("请求的时间戳与当前时间相差超过 5 分钟") from None
    except PaySignatureInvalid as error:
        raise sign_error(f"Authorization 不合法：{error.detail}") from None


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = json.loads(request.body.decode("utf-8")) if request.body.strip() else None
    except (UnicodeDecodeError, ValueError):
        raise param_error("请求体不是合法的 JSON") from None
    if not isinstance(payload, dict):
        raise param_error("请求体应为 JSON 对象")
    return payload


def pay_api(*, method: str) -> Callable:
    """Wrap ``(request, merchant, payload, **kwargs) -> (status, dict | None)`` as a v3 endpoint."""

    def decorator(func: Callable[..., Answer]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(func)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                return signed_response(None, 405, {"code": "METHOD_NOT_ALLOWED", "message": f"请使用 {method}"})
            merchant: PayMerchant | None = None
            try:
                merchant = authenticate(request)
                payload = _json_body(request) if method == "POST" else {}
                status, data = func(request, merchant=merchant, payload=payload, **kwargs)
            except PayRefusal as refusal:
                status, data = refusal.http_status, {"code": refusal.wechat_code, "message": refusal.detail}
            except (TypeError, ValueError, KeyError, AttributeError):
                # A body shaped unlike the docs: WeChat answers PARAM_ERROR, never a 500.
                logger.warning("simulator pay %s: unexpected body shape", request.path, exc_info=True)
                status, data = 400, {"code": "PARAM_ERROR", "message": "参数格式错误"}
            return signed_response(merchant, status, data)

        return enabled_only(view)

    return decorator


@pay_api(method="POST")
def jsapi(request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any]) -> Answer:
    order = pay_server.order_place(merchant=merchant, trade_type=TradeType.JSAPI, payload=payload)
    return 200, {"prepay_id": order.prepay_id}


@pay_api(method="POST")
def native(request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any]) -> Answer:
    order = pay_server.order_place(merchant=merchant, trade_type=TradeType.NATIVE, payload=payload)
    return 200, {"code_url": order.code_url}


def _mchid_matches(request: HttpRequest, merchant: PayMerchant) -> None:
    if request.GET.get("mchid", "") != merchant.mchid:
        raise param_error("mchid 与请求头中的商户号不一致")


@pay_api(method="GET")
def query_by_out_trade_no(
    request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any], out_trade_no: str
) -> Answer:
    _mchid_matches(request, merchant)
    order = pay_server.order_find(merchant=merchant, out_trade_no=out_trade_no)
    return 200, pay_server.transaction_resource(order)


@pay_api(method="GET")
def query_by_transaction_id(
    request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any], transaction_id: str
) -> Answer:
    _mchid_matches(request, merchant)
    order = pay_server.order_find(merchant=merchant, transaction_id=transaction_id)
    return 200, pay_server.transaction_resource(order)


@pay_api(method="POST")
def close(request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any], out_trade_no: str) -> Answer:
    pay_server.order_close(merchant=merchant, out_trade_no=out_trade_no, payload=payload)
    return 204, None


@pay_api(method="POST")
def refund_create(request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any]) -> Answer:
    refund = pay_server.refund_create(merchant=merchant, payload=payload)
    return 200, pay_server.refund_resource(refund)


@pay_api(method="GET")
def refund_query(request: HttpRequest, *, merchant: PayMerchant, payload: dict[str, Any], out_refund_no: str) -> Answer:
    refund = pay_server.refund_find(merchant=merchant, out_refund_no=out_refund_no)
    return 200, pay_server.refund_resource(refund)
