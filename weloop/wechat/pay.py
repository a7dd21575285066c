"""WeChat Pay API v3 for a direct merchant (直连商户): the platform's client (WECHAT.md §4).

``WeChatPayClient(credentials)`` places JSAPI and Native orders, queries and closes them, and asks for
refunds. Every request is signed with the merchant private key; every response, including an empty
204, must carry a valid platform signature (public-key mode) within ±5 minutes, or the call raises
``PaySignatureInvalid`` / ``PayStaleTimestamp``: an unsigned answer is treated as forged, so the
outcome is unknown and the caller should query later. WeChat's refusals raise ``PayApiError`` with
its ``code``/``message`` and ``retryable`` (5xx, 429, SYSTEM_ERROR, FREQUENCY_LIMITED, network).

``open_notification(credentials, headers, body)`` verifies and decrypts a payment or refund
notification. Fields are checked here against WeChat Pay's documented rules before any call
(``PayInvalidRequest``), so a bad order never reaches WeChat.

Paths, bodies and headers are WeChat Pay's own; only the base URL changes (``WECHAT_PAY_BASE``: the
simulator's /simulator/pay in simulator mode). The crypto (shared with the simulator) lives in
``weloop.wechat.pay_crypto`` and is re-exported here.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from django.conf import settings

from weloop.core import clock
from weloop.wechat.pay_crypto import (
    aes_gcm_decrypt,
    authorization_header,
    generate_rsa_keypair,
    has_signature,
    new_nonce,
    pay_sign,
    public_key_of,
    rfc3339,
    seal_notification,
    sign_response,
    validate_apiv3_key,
    validate_private_key_pem,
    validate_public_key_pem,
    verify_merchant_authorization,
    verify_pay_sign,
    verify_signed_headers,
)
from weloop.wechat.pay_errors import (
    PayApiError,
    PayCredentialsInvalid,
    PayInvalidRequest,
    PaySignatureInvalid,
    PayStaleTimestamp,
    PayUnavailable,
    PayUndecryptable,
)

__all__ = [
    "Notification",
    "PayApiError",
    "PayCredentials",
    "PayCredentialsInvalid",
    "PayInvalidRequest",
    "PaySignatureInvalid",
    "PayStaleTimestamp",
    "PayUnavailable",
    "PayUndecryptable",
    "WeChatPayClient",
    "generate_rsa_keypair",
    "generate_simulated_pay_credentials",
    "open_notification",
    "pay_sign",
    "public_key_of",
    "seal_notification",
    "sign_response",
    "simulator_scan_url",
    "simulator_wallet_url",
    "validate_credentials",
    "verify_merchant_authorization",
    "verify_pay_sign",
]

OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
DESCRIPTION_MAX = 127
ATTACH_MAX = 128
NOTIFY_URL_MAX = 255
REASON_MAX = 80
# Characters Django's request.get_full_path() leaves unescaped in a path: the client escapes a path
# segment the same way, so both sides sign and verify the same canonical URL.
_PATH_SAFE = "-_.!~*'()@:&+$,"
USER_AGENT = "WeLoop-WeChatPay/1"


@dataclass(frozen=True)
class PayCredentials:
    """One merchant's WeChat Pay v3 configuration (public-key mode).

    ``merchant_private_key_pem`` signs requests (apiclient_key.pem) and ``merchant_serial`` names its
    certificate; ``platform_public_key_pem`` and its id ``PUB_KEY_ID_…`` verify WeChat Pay's answers;
    ``apiv3_key`` (32 characters) decrypts notifications.
    """

    mchid: str
    appid: str
    apiv3_key: str
    merchant_private_key_pem: str
    merchant_serial: str
    platform_public_key_pem: str
    platform_public_key_id: str

    def __repr__(self) -> str:  # the keys are secrets: keep them out of logs and tracebacks
        return f"PayCredentials(mchid={self.mchid!r}, appid={self.appid!r}, serial={self.merchant_serial!r})"


def validate_credentials(credentials: PayCredentials) -> None:
    """Raise ``PayCredentialsInvalid`` (``extra["field"]``) when a key cannot be used."""
    for field in ("mchid", "appid", "merchant_serial", "platform_public_key_id"):
        if not str(getattr(credentials, field) or "").strip():
            raise PayCredentialsInvalid(field, f"{field} is required.")
    validate_apiv3_key(credentials.apiv3_key)
    validate_private_key_pem(credentials.merchant_private_key_pem, field="merchant_private_key_pem")
    validate_public_key_pem(credentials.platform_public_key_pem, field="platform_public_key_pem")


def generate_simulated_pay_credentials(mchid: str, appid: str) -> tuple[PayCredentials, str]:
    """Fresh credentials for a simulated merchant, and the platform private key the simulator signs with.

    The merchant public key (for the simulator's registry) is ``public_key_of(merchant_private_key_pem)``.
    """
    merchant_private, _ = generate_rsa_keypair()
    platform_private, platform_public = generate_rsa_keypair()
    credentials = PayCredentials(
        mchid=mchid,
        appid=appid,
        apiv3_key="".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)),
        merchant_private_key_pem=merchant_private,
        merchant_serial=secrets.token_hex(20).upper(),
        platform_public_key_pem=platform_public,
        platform_public_key_id="PUB_KEY_ID_" + "".join(secrets.choice(string.digits) for _ in range(28)),
    )
    return credentials, platform_private


# --- the client ------------------------------------------------------------------------------------


class WeChatPayClient:
    """The v3 APIs of one merchant (mchid + appid), signed and verified with ``credentials``."""

    def __init__(
        self,
        credentials: PayCredentials,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        allow_http_notify: bool | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = (base_url or settings.WECHAT_PAY_BASE).rstrip("/")
        parts = urlsplit(self.base_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path.rstrip("/")  # "/simulator/pay" in simulator mode, "" at WeChat
        self.timeout = float(timeout if timeout is not None else settings.WECHAT_HTTP_TIMEOUT)
        self.session = session or requests.Session()
        # Real WeChat Pay wants an https notify_url; the simulator serves plain http on a laptop.
        self.allow_http_notify = settings.WECHAT_MODE == "simulator" if allow_http_notify is None else allow_http_notify

    def __repr__(self) -> str:
        return f"WeChatPayClient(mchid={self.credentials.mchid!r}, base_url={self.base_url!r})"

    # --- orders (§4.3) ---------------------------------------------------------------------------

    def jsapi(
        self,
        *,
        out_trade_no: str,
        description: str,
        total_fen: int,
        payer_openid: str,
        notify_url: str,
        time_expire: datetime | None = None,
        attach: str = "",
        payer_client_ip: str = "",
        store_id: str = "",
    ) -> str:
        """Place a JSAPI order (paid inside WeChat's browser); returns its ``prepay_id``.

        Calling again with the same ``out_trade_no`` and the same parameters returns the current
        prepay_id; other parameters are refused (``PayApiError``).
        """
        if not isinstance(payer_openid, str) or not payer_openid or len(payer_openid) > 128:
            raise PayInvalidRequest("payer_openid", "payer_openid is required (at most 128 characters).")
        body = self._order_body(out_trade_no, description, total_fen, notify_url, time_expire, attach)
        body["payer"] = {"openid": payer_openid}
        self._scene(body, payer_client_ip, store_id)
        answer = self._request("POST", "/v3/pay/transactions/jsapi", body=body)
        return self._required(answer, "prepay_id", "/v3/pay/transactions/jsapi")

    def native(
        self,
        *,
        out_trade_no: str,
        description: str,
        total_fen: int,
        notify_url: str,
        time_expire: datetime | None = None,
        attach: str = "",
        payer_client_ip: str = "",
        store_id: str = "",
    ) -> str:
        """Place a Native order (a QR on a screen); returns the ``code_url`` to render as a QR code."""
        body = self._order_body(out_trade_no, description, total_fen, notify_url, time_expire, attach)
        self._scene(body, payer_client_ip, store_id)
        answer = self._request("POST", "/v3/pay/transactions/native", body=body)
        return self._required(answer, "code_url", "/v3/pay/transactions/native")

    def jsapi_pay_params(
        self, prepay_id: str, *, time_stamp: str | None = None, nonce_str: str | None = None
    ) -> dict[str, str]:
        """The object for ``WeixinJSBridge.invoke('getBrandWCPayRequest', …)`` (§4.4), with its paySign."""
        if not isinstance(prepay_id, str) or not prepay_id:
            raise PayInvalidRequest("prepay_id", "prepay_id is required.")
        creds = self.credentials
        time_stamp = time_stamp or str(int(clock.now().timestamp()))
        nonce_str = nonce_str or new_nonce()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": creds.appid,
            "timeStamp": time_stamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": pay_sign(creds.merchant_private_key_pem, creds.appid, time_stamp, nonce_str, package),
        }

    def query_by_out_trade_no(self, out_trade_no: str) -> dict[str, Any]:
        """The order as WeChat Pay sees it: ``trade_state`` (SUCCESS, NOTPAY, CLOSED, REFUND, …), amount, …"""
        _check_out_trade_no(out_trade_no)
        path = f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}"
        return self._request("GET", path, query={"mchid": self.credentials.mchid})

    def query_by_transaction_id(self, transaction_id: str) -> dict[str, Any]:
        if not isinstance(transaction_id, str) or not transaction_id.isalnum():
            raise PayInvalidRequest("transaction_id", "transaction_id must be WeChat Pay's order number.")
        path = f"/v3/pay/transactions/id/{transaction_id}"
        return self._request("GET", path, query={"mchid": self.credentials.mchid})

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid order (WeChat answers 204); a paid order cannot be closed (``PayApiError``)."""
        _check_out_trade_no(out_trade_no)
        path = f"/v3/pay/transactions/out-trade-no/{_segment(out_trade_no)}/close"
        self._request("POST", path, body={"mchid": self.credentials.mchid})

    # --- refunds (§4.6) --------------------------------------------------------------------------

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str = "",
        notify_url: str = "",
    ) -> dict[str, Any]:
        """Ask for a (partial) refund; returns the refund (``status`` PROCESSING, SUCCESS, ABNORMAL, CLOSED).

        The same ``out_refund_no`` only ever refunds once: retry a failed call with the same one.
        At most 50 refunds per order; the refunds together cannot exceed ``total_fen``.
        """
        _check_out_trade_no(out_trade_no)
        _check_out_refund_no(out_refund_no)
        _check_fen("total_fen", total_fen)
        _check_fen("refund_fen", refund_fen)
        if refund_fen > total_fen:
            raise PayInvalidRequest("refund_fen", "The refund cannot exceed the order total.")
        body: dict[str, Any] = {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no}
        if reason:
            if not isinstance(reason, str) or len(reason) > REASON_MAX:
                raise PayInvalidRequest("reason", f"reason is at most {REASON_MAX} characters.")
            body["reason"] = reason
        if notify_url:
            body["notify_url"] = self._checked_notify_url(notify_url)
        body["amount"] = {"refund": refund_fen, "total": total_fen, "currency": "CNY"}
        return self._request("POST", "/v3/refund/domestic/refunds", body=body)

    def query_refund(self, out_refund_no: str) -> dict[str, Any]:
        _check_out_refund_no(out_refund_no)
        return self._request("GET", f"/v3/refund/domestic/refunds/{_segment(out_refund_no)}")

    # --- building bodies -------------------------------------------------------------------------

    def _order_body(
        self,
        out_trade_no: str,
        description: str,
        total_fen: int,
        notify_url: str,
        time_expire: datetime | None,
        attach: str,
    ) -> dict[str, Any]:
        _check_out_trade_no(out_trade_no)
        if not isinstance(description, str) or not description.strip() or len(description) > DESCRIPTION_MAX:
            raise PayInvalidRequest("description", f"description is 1 to {DESCRIPTION_MAX} characters.")
        _check_fen("total_fen", total_fen)
        body: dict[str, Any] = {
            "appid": self.credentials.appid,
            "mchid": self.credentials.mchid,
            "description": description,
            "out_trade_no": out_trade_no,
        }
        if time_expire is not None:
            if not isinstance(time_expire, datetime) or time_expire.tzinfo is None:
                raise PayInvalidRequest("time_expire", "time_expire must be an aware datetime.")
            body["time_expire"] = rfc3339(time_expire)
        if attach:
            if not isinstance(attach, str) or len(attach) > ATTACH_MAX:
                raise PayInvalidRequest("attach", f"attach is at most {ATTACH_MAX} characters.")
            body["attach"] = attach
        body["notify_url"] = self._checked_notify_url(notify_url)
        body["amount"] = {"total": total_fen, "currency": "CNY"}
        return body

    @staticmethod
    def _scene(body: dict[str, Any], payer_client_ip: str, store_id: str) -> None:
        if payer_client_ip:
            scene: dict[str, Any] = {"payer_client_ip": payer_client_ip}
            if store_id:
                scene["store_info"] = {"id": store_id}
            body["scene_info"] = scene

    def _checked_notify_url(self, url: str) -> str:
        parts = urlsplit(url) if isinstance(url, str) else None
        schemes = ("https", "http") if self.allow_http_notify else ("https",)
        if parts is None or parts.scheme not in schemes or not parts.netloc or len(url) > NOTIFY_URL_MAX:
            raise PayInvalidRequest("notify_url", "notify_url must be an https:// URL of at most 255 characters.")
        if parts.query or parts.fragment:
            raise PayInvalidRequest("notify_url", "notify_url cannot carry a query string.")
        return url

    # --- HTTP --------------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, query: Mapping[str, str] | None = None, body: Any = None
    ) -> dict[str, Any]:
        canonical = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        creds = self.credentials
        headers = {
            "Authorization": authorization_header(
                mchid=creds.mchid,
                serial_no=creds.merchant_serial,
                private_key_pem=creds.merchant_private_key_pem,
                method=method,
                canonical_url=canonical,
                body=data,
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method, self._origin + canonical, data=data or None, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise PayUnavailable("WeChat Pay did not answer in time.", api=path) from None
        except requests.RequestException as error:
            raise PayUnavailable(f"WeChat Pay could not be reached ({type(error).__name__}).", api=path) from None
        return self._answer(response, path)

    def _answer(self, response: requests.Response, path: str) -> dict[str, Any]:
        status, content = response.status_code, response.content
        creds = self.credentials
        if 200 <= status < 300 or has_signature(response.headers):
            # A 2xx must be signed; an error that carries a signature must carry a valid one.
            verify_signed_headers(
                creds.platform_public_key_pem, creds.platform_public_key_id, response.headers, content
            )
        answer = _json_object(content)
        if 200 <= status < 300:
            if status == 204 or not content:
                return {}
            if answer is None:
                raise PayApiError("WeChat Pay answered something that is not a JSON object.", api=path, retryable=False)
            return answer
        answer = answer or {}
        raise PayApiError(
            http_status=status,
            wechat_code=str(answer.get("code") or ""),
            wechat_message=str(answer.get("message") or ""),
            api=path,
            extra={"request_id": response.headers.get("Request-ID", "")},
        )

    @staticmethod
    def _required(answer: Mapping[str, Any], name: str, api: str) -> str:
        value = answer.get(name)
        if not isinstance(value, str) or not value:
            raise PayApiError(f"WeChat Pay's answer has no {name}.", api=api, retryable=False)
        return value


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content) if content else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _segment(value: str) -> str:
    return quote(value, safe=_PATH_SAFE)


def _check_out_trade_no(value: str) -> None:
    if not isinstance(value, str) or not OUT_TRADE_NO.fullmatch(value):
        raise PayInvalidRequest("out_trade_no", "out_trade_no is 6 to 32 characters of 0-9 A-Z a-z _ - | *.")


def _check_out_refund_no(value: str) -> None:
    if not isinstance(value, str) or not OUT_REFUND_NO.fullmatch(value):
        raise PayInvalidRequest("out_refund_no", "out_refund_no is 1 to 64 characters of 0-9 A-Z a-z _ - | * @.")


def _check_fen(field: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PayInvalidRequest(field, f"{field} must be a whole number of fen greater than 0.")


# --- simulator mode: the pages that stand in for WeChat's own pay sheet ----------------------------


def simulator_wallet_url(pay_params: Mapping[str, str], return_url: str = "", *, pay_base: str | None = None) -> str:
    """Simulator mode only: the page that plays ``getBrandWCPayRequest`` for ``jsapi_pay_params(...)``.

    An ordinary browser has no WeixinJSBridge, so the H5 sends the user here instead. After "Pay" or
    "Cancel" the page goes to ``return_url`` (a path, or a URL on PUBLIC_URL's host) with
    ``result=ok`` or ``result=cancel``; like ``err_msg``, ``ok`` is not proof of payment.
    """
    query = {**pay_params, **({"return_url": return_url} if return_url else {})}
    return f"{(pay_base or settings.WECHAT_PAY_BASE).rstrip('/')}/wallet?{urlencode(query)}"


def simulator_scan_url(code_url: str, return_url: str = "", *, pay_base: str | None = None) -> str:
    """Simulator mode only: the phone "scanning" a Native ``code_url`` (link it beside the QR code)."""
    query = {"code_url": code_url, **({"return_url": return_url} if return_url else {})}
    return f"{(pay_base or settings.WECHAT_PAY_BASE).rstrip('/')}/scan?{urlencode(query)}"


# --- notifications (§4.5, §4.6) ------------------------------------------------------------------


@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification. ``resource`` is the transaction or refund as a dict.

    ``event_type``: TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED.
    ``id`` is the same for every delivery of one notification (WeChat sends duplicates).
    """

    id: str
    event_type: str
    resource_type: str
    summary: str
    resource: dict[str, Any]
    original_type: str = ""
    create_time: str = ""


def open_notification(
    credentials: PayCredentials, headers: Mapping[str, Any], body: bytes | str, *, now: datetime | None = None
) -> Notification:
    """Verify and decrypt a notification POSTed to a notify_url.

    ``headers`` may be ``request.headers``, ``request.META`` or any dict; ``body`` the raw bytes.
    Raises ``PaySignatureInvalid`` (401), ``PayStaleTimestamp`` (400) or ``PayUndecryptable`` (400).
    Checking the resource against our own order (mchid, appid, amount) is the caller's job.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    verify_signed_headers(
        credentials.platform_public_key_pem, credentials.platform_public_key_id, headers, raw, now=now
    )
    envelope = _json_object(raw)
    resource = envelope.get("resource") if envelope else None
    if not isinstance(resource, dict):
        raise PayUndecryptable("The notification has no resource.")
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise PayUndecryptable(f"Unsupported notification algorithm {resource.get('algorithm')!r}.")
    nonce, ciphertext = resource.get("nonce"), resource.get("ciphertext")
    associated_data = resource.get("associated_data") or ""  # may be empty
    if not (isinstance(nonce, str) and isinstance(ciphertext, str) and isinstance(associated_data, str)):
        raise PayUndecryptable("The notification resource is incomplete.")
    plaintext = aes_gcm_decrypt(credentials.apiv3_key, nonce, associated_data, ciphertext)
    decrypted = _json_object(plaintext)
    if decrypted is None:
        raise PayUndecryptable("The notification resource is not a JSON object.")
    assert envelope is not None
    return Notification(
        id=str(envelope.get("id") or ""),
        event_type=str(envelope.get("event_type") or ""),
        resource_type=str(envelope.get("resource_type") or ""),
        summary=str(envelope.get("summary") or ""),
        resource=decrypted,
        original_type=str(resource.get("original_type") or ""),
        create_time=str(envelope.get("create_time") or ""),
    )
