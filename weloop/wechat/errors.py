"""Errors raised by the WeChat adapters, each with a stable code.

The callback errors (signature, decryption, appid, XML) map to the HTTP status WeChat should see.
The outbound API errors carry WeChat's own ``errcode``/``errmsg`` and say whether retrying can help.
"""

from __future__ import annotations

from typing import Any

from weloop.core.errors import WeloopError


class BadSignature(WeloopError):
    code = "wechat.bad_signature"
    status = 403
    message = "The WeChat signature does not match."


class UndecryptablePayload(WeloopError):
    code = "wechat.undecryptable"
    status = 400
    message = "The encrypted WeChat payload could not be decrypted."


class WrongAppId(WeloopError):
    code = "wechat.wrong_appid"
    status = 400
    message = "The encrypted WeChat payload was sealed for another appid."


class MalformedXml(WeloopError):
    code = "wechat.malformed_xml"
    status = 400
    message = "The WeChat XML is malformed."


class InvalidMenu(WeloopError):
    code = "wechat.invalid_menu"
    status = 400
    message = "The custom menu is not valid."


class LimitExceeded(WeloopError):
    """A request breaks one of WeChat's documented limits; refused before calling WeChat."""

    code = "wechat.limit_exceeded"
    status = 400
    message = "The request breaks a WeChat limit."


# Codes after which the same call may succeed later (back off first). Everything else is final:
# 45015 (outside the customer-service window), 45047 (quota), 40003 (invalid openid), ...
RETRYABLE_ERRCODES = frozenset(
    {
        -1,  # system busy
        45009,  # API call quota reached: back off
        45011,  # API minute-level frequency limit
    }
)


class WeChatApiError(WeloopError):
    """WeChat answered an outbound API call with a non-zero ``errcode``."""

    code = "wechat.api_error"
    status = 502
    message = "WeChat refused the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        errcode: int | None = None,
        errmsg: str = "",
        api: str = "",
        retryable: bool | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
        self.retryable = (errcode in RETRYABLE_ERRCODES) if retryable is None else retryable
        if message is None and errcode is not None:
            message = f"WeChat returned error {errcode}: {errmsg}".rstrip(": ")
        details = {"errcode": errcode, "errmsg": errmsg, "api": api, **(extra or {})}
        super().__init__(message, extra=details)


class WeChatUnavailable(WeChatApiError):
    """WeChat could not be reached or answered garbage (network error, timeout, 5xx): retry later."""

    code = "wechat.unavailable"
    status = 503
    message = "WeChat is not reachable at the moment; try again later."

    def __init__(self, message: str | None = None, *, api: str = "", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.message, api=api, retryable=True, extra=extra)
