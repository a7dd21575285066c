"""One JSON request to a WeChat API, with WeChat's error conventions mapped to our errors.

URLs carry the AppSecret or an access_token in their query, and requests' exceptions quote the URL,
so nothing of the original exception is kept (``from None``) and only the path is reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from weloop.wechat.errors import WeChatApiError, WeChatUnavailable


def request_json(
    session: requests.Session | None,
    method: str,
    base_url: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    body: Any = None,
    timeout: float,
    accept_errcodes: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """Call ``base_url + path`` and return the JSON object WeChat answered.

    Raises ``WeChatUnavailable`` for network errors, timeouts, 5xx and answers that are not JSON,
    and ``WeChatApiError`` for a non-zero ``errcode`` (unless listed in ``accept_errcodes``).
    """
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        # WeChat wants UTF-8 text, not \\u escapes (some APIs would show the escapes to users).
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    try:
        send = session.request if session is not None else requests.request
        response = send(method, base_url + path, params=params, data=data, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise WeChatUnavailable("WeChat did not answer in time.", api=path) from None
    except requests.RequestException as error:
        raise WeChatUnavailable(f"WeChat could not be reached ({type(error).__name__}).", api=path) from None
    return _decode(response, path, accept_errcodes)


def _decode(response: requests.Response, path: str, accept_errcodes: frozenset[int]) -> dict[str, Any]:
    if response.status_code >= 500 or response.status_code == 429:
        raise WeChatUnavailable(f"WeChat answered HTTP {response.status_code}.", api=path)
    try:
        answer = json.loads(response.content)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if response.status_code >= 400:
            raise WeChatApiError(f"WeChat answered HTTP {response.status_code}.", api=path, retryable=False)
        raise WeChatUnavailable("WeChat answered something that is not a JSON object.", api=path)
    raw_errcode = answer.get("errcode") or 0
    errcode = as_int(raw_errcode)
    if errcode is None:
        raise WeChatApiError(f"WeChat answered errcode {raw_errcode!r}.", api=path, retryable=False)
    if errcode and errcode not in accept_errcodes:
        raise WeChatApiError(errcode=errcode, errmsg=str(answer.get("errmsg", "")), api=path)
    return answer


def require(answer: Mapping[str, Any], name: str, api: str) -> Any:
    """``answer[name]``; an answer without it is WeChat's fault, reported as a WeChatApiError."""
    value = answer.get(name)
    if value is None or value == "":
        raise WeChatApiError(f"WeChat's answer has no {name}.", api=api, retryable=False)
    return value


def as_int(value: Any, default: int | None = None) -> int | None:
    """``int(value)``, or ``default`` when WeChat sent something that is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
