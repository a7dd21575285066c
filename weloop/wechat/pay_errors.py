"""Errors of the WeChat Pay v3 adapter (``weloop.wechat.pay``), each with a stable code.

- ``PayApiError``: WeChat Pay refused a call (its own ``code``/``message``) or could not be reached
  (``PayUnavailable``); ``retryable`` says whether the same call may succeed later.
- ``PaySignatureInvalid``, ``PayStaleTimestamp``, ``PayUndecryptable``: a response or notification
  that must not be believed. For a notification they map to the HTTP status WeChat should see.
- ``PayInvalidRequest``: refused locally, before calling WeChat Pay (a field breaks its rules).
"""

from __future__ import annotations

from typing import Any

from weloop.core.errors import WeloopError

# WeChat Pay's error codes after which the same request may succeed later. Everything else is final
# for these parameters (PARAM_ERROR, INVALID_REQUEST, ORDER_CLOSED, NOT_ENOUGH, ...).
RETRYABLE_CODES = frozenset({"SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "BANK_ERROR"})


class PayApiError(WeloopError):
    """WeChat Pay answered a call with an error status (``extra``: status, code, message)."""

    code = "wechatpay.api_error"
    status = 502
    message = "WeChat Pay refused the request."

    def __init__(
        self,
        message: str | None = None,
        *,
        http_status: int | None = None,
        wechat_code: str = "",
        wechat_message: str = "",
        api: str = "",
        retryable: bool | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.http_status = http_status
        self.wechat_code = wechat_code
        self.wechat_message = wechat_message
        self.api = api
        if retryable is None:
            retryable = (http_status or 0) >= 500 or http_status == 429 or wechat_code in RETRYABLE_CODES
        self.retryable = retryable
        if message is None:
            message = f"WeChat Pay answered HTTP {http_status} {wechat_code}: {wechat_message}".rstrip(": ")
        details = {"status": http_status, "code": wechat_code, "message": wechat_message, "api": api, **(extra or {})}
        super().__init__(message, extra=details)


class PayUnavailable(PayApiError):
    """WeChat Pay could not be reached or did not answer in time: the outcome is unknown, retry."""

    code = "wechatpay.unavailable"
    status = 503
    message = "WeChat Pay is not reachable at the moment; try again later."

    def __init__(self, message: str | None = None, *, api: str = "") -> None:
        super().__init__(message or self.message, api=api, retryable=True)


class PaySignatureInvalid(WeloopError):
    """A response or notification whose WeChat Pay signature is missing, malformed or wrong."""

    code = "wechatpay.bad_signature"
    status = 401
    message = "The WeChat Pay signature does not match."


class PayStaleTimestamp(WeloopError):
    """A signed message whose timestamp is more than 5 minutes away from our clock (a replay?)."""

    code = "wechatpay.stale_timestamp"
    status = 400
    message = "The WeChat Pay timestamp is too old or in the future."


class PayUndecryptable(WeloopError):
    """A notification whose resource cannot be decrypted with the APIv3 key (or is not JSON)."""

    code = "wechatpay.undecryptable"
    status = 400
    message = "The WeChat Pay notification could not be decrypted."


class PayInvalidRequest(WeloopError):
    """A request field breaks WeChat Pay's rules; refused before calling (``extra["field"]``)."""

    code = "wechatpay.invalid_request"
    status = 400
    message = "The payment request is not valid."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"field": field})


class PayCredentialsInvalid(WeloopError):
    """A key or APIv3 key that cannot be used (not PEM, not RSA-2048+, not 32 bytes...)."""

    code = "wechatpay.bad_credentials"
    status = 400
    message = "The WeChat Pay credentials are not valid."

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"field": field})
