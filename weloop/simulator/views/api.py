"""The frame of every WeChat API view: method, access_token, JSON body and errcode rendering.

Like WeChat, errors are HTTP 200 with ``{"errcode": N, "errmsg": "... rid: ..."}``; a success has no
errcode at all on data endpoints (token, menu/get, tags/get, ...) and ``errcode: 0`` on actions.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from weloop.simulator import errors
from weloop.simulator.errors import WechatApiError
from weloop.simulator.tokens import account_for_token

logger = logging.getLogger(__name__)
OK = {"errcode": 0, "errmsg": "ok"}


def _rid() -> str:
    return f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def wechat_json(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def error_response(error: WechatApiError) -> JsonResponse:
    return wechat_json({"errcode": error.errcode, "errmsg": f"{error.errmsg} rid: {_rid()}", **error.fields})


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        raise WechatApiError(errors.EMPTY_POST_DATA)
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WechatApiError(errors.DATA_FORMAT_ERROR) from None
    if not isinstance(payload, dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    return payload


def wechat_api(*, method: str, authenticated: bool = True) -> Callable:
    """Wrap a view ``(request, account, payload) -> dict | HttpResponse`` as a WeChat API endpoint."""

    def decorator(func: Callable[..., dict[str, Any] | HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
        @csrf_exempt
        @functools.wraps(func)
        def view(request: HttpRequest) -> HttpResponse:
            try:
                account = account_for_token(request.GET.get("access_token", "")) if authenticated else None
                if request.method != method:
                    raise WechatApiError(errors.REQUIRE_POST if method == "POST" else errors.REQUIRE_GET)
                payload = _json_body(request) if method == "POST" else {}
                result = func(request, account=account, payload=payload)
            except WechatApiError as error:
                return error_response(error)
            except (TypeError, ValueError, KeyError, AttributeError):
                # A body shaped unlike the docs: WeChat answers "data format error", never a 500.
                logger.warning("simulator %s: unexpected body shape", request.path, exc_info=True)
                return error_response(WechatApiError(errors.DATA_FORMAT_ERROR))
            return result if isinstance(result, HttpResponse) else wechat_json(result)

        return view

    return decorator
