"""WeChat Pay v3: signatures, notification crypto, paySign and the client's handling of answers.

The message formats are checked against strings built here by hand (and once with the openssl
command), not only by round trips through our own helpers, so a mistake shared by the signing and
the verifying side cannot hide. The client and the simulator meet over HTTP in the simulator's tests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from weloop.wechat import pay_crypto
from weloop.wechat.pay import (
    Notification,
    PayApiError,
    PayCredentials,
    PayCredentialsInvalid,
    PayInvalidRequest,
    PaySignatureInvalid,
    PayStaleTimestamp,
    PayUnavailable,
    PayUndecryptable,
    WeChatPayClient,
    generate_simulated_pay_credentials,
    open_notification,
    public_key_of,
    seal_notification,
    sign_response,
    validate_credentials,
    verify_merchant_authorization,
    verify_pay_sign,
)

NOW = datetime(2025, 1, 1, 2, 30, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
TRANSACTION = {
    "appid": "wxd678efh567hg6787",
    "mchid": "1900000109",
    "out_trade_no": "O20250101001",
    "transaction_id": "4200000000202501010000000001",
    "trade_state": "SUCCESS",
    "amount": {"total": 3200, "currency": "CNY"},
    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    "attach": "店铺=42",
}


@lru_cache(maxsize=1)
def _keys() -> tuple[PayCredentials, str]:
    # RSA key generation is the slow part: one set for the whole module.
    return generate_simulated_pay_credentials("1900000109", "wxd678efh567hg6787")


@pytest.fixture
def creds() -> PayCredentials:
    return _keys()[0]


@pytest.fixture
def platform_private() -> str:
    return _keys()[1]


def _raw_verify(public_pem: str, message: bytes, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


# --- keys and credentials ---------------------------------------------------------------------------


def test_simulated_credentials_are_usable_and_their_repr_hides_the_keys(creds, platform_private):
    validate_credentials(creds)
    assert creds.platform_public_key_id.startswith("PUB_KEY_ID_")
    assert len(creds.apiv3_key) == 32
    assert public_key_of(platform_private) == creds.platform_public_key_pem
    assert "PRIVATE" not in repr(creds) and creds.apiv3_key not in repr(creds)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"apiv3_key": "short"}, "apiv3_key"),
        ({"merchant_private_key_pem": "-----BEGIN PRIVATE KEY-----\nnope\n"}, "merchant_private_key_pem"),
        ({"platform_public_key_pem": "not a key"}, "platform_public_key_pem"),
        ({"mchid": ""}, "mchid"),
    ],
)
def test_unusable_credentials_are_refused_with_the_field(creds, change, field):
    from dataclasses import replace

    with pytest.raises(PayCredentialsInvalid) as caught:
        validate_credentials(replace(creds, **change))
    assert caught.value.extra["field"] == field and caught.value.code == "wechatpay.bad_credentials"


# --- the merchant's request signature (§4.1) ----------------------------------------------------------


def test_authorization_signs_the_five_line_message(creds):
    body = '{"mchid":"1900000109","description":"拿铁"}'.encode()
    header = pay_crypto.authorization_header(
        mchid=creds.mchid,
        serial_no=creds.merchant_serial,
        private_key_pem=creds.merchant_private_key_pem,
        method="POST",
        canonical_url="/v3/pay/transactions/jsapi",
        body=body,
        timestamp=TS,
        nonce="NONCE123",
    )
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="NONCE123",signature="')
    assert f'timestamp="{TS}",serial_no="{creds.merchant_serial}"' in header
    signature = pay_crypto.parse_authorization(header).signature
    message = f"POST\n/v3/pay/transactions/jsapi\n{TS}\nNONCE123\n".encode() + body + b"\n"
    assert _raw_verify(public_key_of(creds.merchant_private_key_pem), message, signature)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_agrees_with_the_request_signature(creds, tmp_path):
    message = f"GET\n/v3/refund/domestic/refunds/R1\n{TS}\nN\n\n".encode()
    signature = pay_crypto.rsa_sign(creds.merchant_private_key_pem, message)
    (tmp_path / "pub.pem").write_text(public_key_of(creds.merchant_private_key_pem))
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(base64.b64decode(signature))
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "Verified OK" in result.stdout


def _signed_header(creds, *, method="POST", url="/v3/pay/transactions/native", body=b"{}", timestamp=TS):
    return pay_crypto.authorization_header(
        mchid=creds.mchid,
        serial_no=creds.merchant_serial,
        private_key_pem=creds.merchant_private_key_pem,
        method=method,
        canonical_url=url,
        body=body,
        timestamp=timestamp,
    )


def test_the_server_verifies_a_genuine_request_with_fields_in_any_order(creds):
    header = _signed_header(creds)
    scheme, fields = header.split(" ", 1)
    shuffled = scheme + " " + ",".join(reversed(fields.split(",")))
    public = public_key_of(creds.merchant_private_key_pem)
    auth = verify_merchant_authorization(shuffled, "POST", "/v3/pay/transactions/native", b"{}", public, NOW)
    assert (auth.mchid, auth.serial_no, auth.timestamp) == (creds.mchid, creds.merchant_serial, TS)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v3/pay/transactions/native", b'{"x":1}'),  # another body
        ("POST", "/v3/pay/transactions/jsapi", b"{}"),  # another path
        ("GET", "/v3/pay/transactions/native", b"{}"),  # another method
    ],
)
def test_a_tampered_request_is_refused(creds, method, url, body):
    header = _signed_header(creds)
    public = public_key_of(creds.merchant_private_key_pem)
    with pytest.raises(PaySignatureInvalid):
        verify_merchant_authorization(header, method, url, body, public, NOW)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer x", 'WECHATPAY2-SHA256-RSA2048 mchid="1"', 'WECHATPAY2-SHA256-RSA2048 mchid=1,nonce_str="a"'],
)
def test_a_malformed_authorization_is_refused(creds, header):
    with pytest.raises(PaySignatureInvalid):
        verify_merchant_authorization(header, "GET", "/", b"", public_key_of(creds.merchant_private_key_pem), NOW)


def test_the_request_timestamp_window_is_five_minutes(creds):
    public = public_key_of(creds.merchant_private_key_pem)
    header = _signed_header(creds)
    ok = NOW + timedelta(seconds=300)
    verify_merchant_authorization(header, "POST", "/v3/pay/transactions/native", b"{}", public, ok)
    for moment in (NOW + timedelta(seconds=301), NOW - timedelta(seconds=301)):
        with pytest.raises(PayStaleTimestamp) as caught:
            verify_merchant_authorization(header, "POST", "/v3/pay/transactions/native", b"{}", public, moment)
        assert caught.value.code == "wechatpay.stale_timestamp" and caught.value.status == 400


# --- WeChat Pay's signature on answers and notifications (§4.2) ---------------------------------------


def test_signed_response_headers_cover_timestamp_nonce_and_body(creds, platform_private):
    headers = sign_response(platform_private, creds.platform_public_key_id, b'{"a":1}', timestamp=TS, nonce="N1")
    assert headers["Wechatpay-Serial"] == creds.platform_public_key_id
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    message = f'{TS}\nN1\n{{"a":1}}\n'.encode()
    assert _raw_verify(creds.platform_public_key_pem, message, headers["Wechatpay-Signature"])


def test_an_empty_body_is_signed_as_an_empty_last_line(creds, platform_private):
    headers = sign_response(platform_private, creds.platform_public_key_id, b"", timestamp=TS, nonce="N2")
    assert _raw_verify(creds.platform_public_key_pem, f"{TS}\nN2\n\n".encode(), headers["Wechatpay-Signature"])
    pay_crypto.verify_signed_headers(creds.platform_public_key_pem, creds.platform_public_key_id, headers, b"", now=NOW)


@pytest.mark.parametrize("style", ["canonical", "lower", "django_meta"])
def test_signature_headers_are_found_in_any_case_and_in_request_meta(creds, platform_private, style):
    headers = sign_response(platform_private, creds.platform_public_key_id, b"{}", timestamp=TS)
    if style == "lower":
        headers = {k.lower(): v for k, v in headers.items()}
    elif style == "django_meta":
        headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    pay_crypto.verify_signed_headers(
        creds.platform_public_key_pem, creds.platform_public_key_id, headers, b"{}", now=NOW
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: {**h, "Wechatpay-Nonce": h["Wechatpay-Nonce"] + "x"},
        lambda h: {**h, "Wechatpay-Serial": "PUB_KEY_ID_SOMEONE_ELSE"},
        lambda h: {**h, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"},
        lambda h: {k: v for k, v in h.items() if k != "Wechatpay-Signature"},
        lambda h: {**h, "Wechatpay-Signature": "bm90IGJhc2U2NA"},
    ],
)
def test_tampered_signature_headers_are_refused(creds, platform_private, tamper):
    headers = sign_response(platform_private, creds.platform_public_key_id, b"{}", timestamp=TS)
    with pytest.raises(PaySignatureInvalid):
        pay_crypto.verify_signed_headers(
            creds.platform_public_key_pem, creds.platform_public_key_id, tamper(headers), b"{}", now=NOW
        )


# --- notifications (§4.5) -------------------------------------------------------------------------


def _sealed(creds, platform_private, resource=TRANSACTION):
    """A notification sealed at NOW (its headers re-signed with the fixed timestamp)."""
    _, body = seal_notification(
        creds.apiv3_key,
        platform_private,
        creds.platform_public_key_id,
        "TRANSACTION.SUCCESS",
        "encrypt-resource",
        "transaction",
        resource,
        "支付成功",
        create_time=NOW,
    )
    return sign_response(platform_private, creds.platform_public_key_id, body, timestamp=TS), body


def test_a_sealed_notification_opens_to_the_resource(creds, platform_private):
    headers, body = _sealed(creds, platform_private)
    notification = open_notification(creds, headers, body, now=NOW)
    assert isinstance(notification, Notification)
    assert notification.event_type == "TRANSACTION.SUCCESS" and notification.resource_type == "encrypt-resource"
    assert notification.summary == "支付成功" and notification.original_type == "transaction"
    assert notification.resource == TRANSACTION
    assert notification.create_time == "2025-01-01T10:30:00+08:00"


def test_the_resource_is_aes_256_gcm_with_the_apiv3_key_nonce_and_associated_data(creds, platform_private):
    _, body = _sealed(creds, platform_private)
    resource = json.loads(body)["resource"]
    assert resource["algorithm"] == "AEAD_AES_256_GCM" and len(resource["nonce"]) == 12
    # decrypted by hand: key = the 32 ASCII bytes, nonce as UTF-8, AAD = associated_data, tag appended
    plain = AESGCM(creds.apiv3_key.encode()).decrypt(
        resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]), resource["associated_data"].encode()
    )
    assert json.loads(plain) == TRANSACTION


def test_a_notification_with_empty_associated_data_opens(creds, platform_private):
    ciphertext = AESGCM(creds.apiv3_key.encode()).encrypt(b"123456789012", json.dumps(TRANSACTION).encode(), b"")
    envelope = {
        "id": "EV-1",
        "event_type": "TRANSACTION.SUCCESS",
        "resource_type": "encrypt-resource",
        "resource": {
            "algorithm": "AEAD_AES_256_GCM",
            "nonce": "123456789012",
            "associated_data": "",
            "ciphertext": base64.b64encode(ciphertext).decode(),
        },
    }
    body = json.dumps(envelope).encode()
    headers = sign_response(platform_private, creds.platform_public_key_id, body, timestamp=TS)
    assert open_notification(creds, headers, body, now=NOW).resource["out_trade_no"] == "O20250101001"


def test_a_tampered_notification_body_is_a_bad_signature(creds, platform_private):
    headers, body = _sealed(creds, platform_private)
    with pytest.raises(PaySignatureInvalid) as caught:
        open_notification(creds, headers, body.replace(b"TRANSACTION.SUCCESS", b"REFUND.SUCCESS"), now=NOW)
    assert caught.value.status == 401 and caught.value.code == "wechatpay.bad_signature"


def test_a_stale_notification_is_refused(creds, platform_private):
    headers, body = _sealed(creds, platform_private)
    with pytest.raises(PayStaleTimestamp):
        open_notification(creds, headers, body, now=NOW + timedelta(minutes=6))


def _reseal(platform_private: str, creds, envelope: dict) -> tuple[dict, bytes]:
    body = json.dumps(envelope).encode()
    return sign_response(platform_private, creds.platform_public_key_id, body, timestamp=TS), body


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda r: r.update(ciphertext=base64.b64encode(b"x" * 40).decode()),  # garbage
        lambda r: r.update(associated_data="refund"),  # other AAD
        lambda r: r.update(nonce="000000000000"),  # other nonce
        lambda r: r.update(ciphertext="%%%"),  # not base64
        lambda r: r.update(algorithm="AES_128_CBC"),
        lambda r: r.pop("nonce"),
    ],
)
def test_a_signed_but_undecryptable_notification_is_refused(creds, platform_private, corrupt):
    _, body = _sealed(creds, platform_private)
    envelope = json.loads(body)
    corrupt(envelope["resource"])
    headers, body = _reseal(platform_private, creds, envelope)
    with pytest.raises(PayUndecryptable) as caught:
        open_notification(creds, headers, body, now=NOW)
    assert caught.value.status == 400 and caught.value.code == "wechatpay.undecryptable"


def test_a_notification_for_another_apiv3_key_is_undecryptable(creds, platform_private):
    from dataclasses import replace

    headers, body = _sealed(creds, platform_private)
    with pytest.raises(PayUndecryptable):
        open_notification(replace(creds, apiv3_key="A" * 32), headers, body, now=NOW)


# --- the JSAPI paySign (§4.4) -------------------------------------------------------------------------


def test_jsapi_pay_params_sign_appid_timestamp_nonce_and_package(creds):
    client = WeChatPayClient(creds, base_url="http://127.0.0.1:9")
    params = client.jsapi_pay_params("wx201410272009395522657a690389285100", time_stamp="1414561699")
    assert params["appId"] == creds.appid and params["timeStamp"] == "1414561699"
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100" and params["signType"] == "RSA"
    message = f"{creds.appid}\n1414561699\n{params['nonceStr']}\n{params['package']}\n".encode()
    public = public_key_of(creds.merchant_private_key_pem)
    assert _raw_verify(public, message, params["paySign"])
    fields = (creds.appid, "1414561699", params["nonceStr"], params["package"])
    assert verify_pay_sign(public, *fields, params["paySign"])
    assert not verify_pay_sign(public, creds.appid, "1414561700", *fields[2:], params["paySign"])


def test_the_default_timestamp_is_ten_digits_of_seconds(creds):
    params = WeChatPayClient(creds, base_url="http://127.0.0.1:9").jsapi_pay_params("wx1")
    assert params["timeStamp"].isdigit() and len(params["timeStamp"]) == 10


# --- the client: local validation ---------------------------------------------------------------------

ORDER = {
    "out_trade_no": "O20250101001",
    "description": "Latte x2",
    "total_fen": 3200,
    "notify_url": "https://shop.example/pay/notify",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"out_trade_no": "12345"}, "out_trade_no"),  # too short
        ({"out_trade_no": "O" * 33}, "out_trade_no"),
        ({"out_trade_no": "O2025 0101"}, "out_trade_no"),
        ({"description": "x" * 128}, "description"),
        ({"description": ""}, "description"),
        ({"total_fen": 0}, "total_fen"),
        ({"total_fen": -1}, "total_fen"),
        ({"total_fen": 12.5}, "total_fen"),
        ({"total_fen": True}, "total_fen"),
        ({"notify_url": "https://shop.example/notify?order=1"}, "notify_url"),
        ({"notify_url": "http://shop.example/notify"}, "notify_url"),
        ({"notify_url": "ftp://shop.example/notify"}, "notify_url"),
        ({"attach": "a" * 129}, "attach"),
        ({"time_expire": datetime(2025, 1, 1, 10, 30)}, "time_expire"),  # naive
    ],
)
def test_orders_breaking_wechat_rules_are_refused_before_calling(creds, change, field):
    client = WeChatPayClient(creds, base_url="http://127.0.0.1:9", allow_http_notify=False)
    with pytest.raises(PayInvalidRequest) as caught:
        client.native(**{**ORDER, **change})
    assert caught.value.extra == {"field": field}


def test_refunds_breaking_wechat_rules_are_refused_before_calling(creds):
    client = WeChatPayClient(creds, base_url="http://127.0.0.1:9")
    refund = {"out_trade_no": "O20250101001", "out_refund_no": "R1", "refund_fen": 100, "total_fen": 3200}
    for change, field_name in [
        ({"refund_fen": 3201}, "refund_fen"),
        ({"refund_fen": 0}, "refund_fen"),
        ({"out_refund_no": ""}, "out_refund_no"),
        ({"reason": "r" * 81}, "reason"),
    ]:
        with pytest.raises(PayInvalidRequest) as caught:
            client.refund(**{**refund, **change})
        assert caught.value.extra == {"field": field_name}


# --- the client against a local server that plays WeChat Pay ---------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, bytes, bool]  # status, body, signed?


@dataclass
class FakePay:
    platform_private: str
    key_id: str
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    reply: Callable[[Seen], Reply] = lambda seen: (200, b'{"code_url":"weixin://wxpay/bizpayurl?pr=abc"}', True)
    delay: float = 0.0


@pytest.fixture
def fake_pay(creds, platform_private) -> Iterator[FakePay]:
    fake = FakePay(platform_private, creds.platform_public_key_id)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            fake.seen.append(seen)
            time.sleep(fake.delay)
            status, body, signed = fake.reply(seen)
            self.send_response(status)
            if signed:
                for name, value in sign_response(fake.platform_private, fake.key_id, body).items():
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield fake
    server.shutdown()
    server.server_close()


def test_the_client_signs_the_path_under_the_base_url_and_the_exact_body(creds, fake_pay):
    client = WeChatPayClient(creds, base_url=fake_pay.url + "/simulator/pay", timeout=2)
    assert client.native(**ORDER) == "weixin://wxpay/bizpayurl?pr=abc"
    seen = fake_pay.seen[-1]
    assert seen.path == "/simulator/pay/v3/pay/transactions/native"
    body = json.loads(seen.body)
    assert body == {
        "appid": creds.appid,
        "mchid": creds.mchid,
        "description": "Latte x2",
        "out_trade_no": "O20250101001",
        "notify_url": "https://shop.example/pay/notify",
        "amount": {"total": 3200, "currency": "CNY"},
    }
    public = public_key_of(creds.merchant_private_key_pem)
    verify_merchant_authorization(seen.headers["Authorization"], "POST", seen.path, seen.body, public)
    assert seen.headers["Accept"] == "application/json" and seen.headers["Content-Type"] == "application/json"


def test_the_client_escapes_a_pipe_in_the_path_and_signs_the_escaped_form(creds, fake_pay):
    fake_pay.reply = lambda seen: (200, b'{"trade_state":"NOTPAY"}', True)
    client = WeChatPayClient(creds, base_url=fake_pay.url, timeout=2)
    assert client.query_by_out_trade_no("O2025|01*01")["trade_state"] == "NOTPAY"
    seen = fake_pay.seen[-1]
    assert seen.path == f"/v3/pay/transactions/out-trade-no/O2025%7C01*01?mchid={creds.mchid}"
    public = public_key_of(creds.merchant_private_key_pem)
    verify_merchant_authorization(seen.headers["Authorization"], "GET", seen.path, b"", public)


def test_a_signed_204_closes(creds, fake_pay):
    fake_pay.reply = lambda seen: (204, b"", True)
    WeChatPayClient(creds, base_url=fake_pay.url, timeout=2).close("O20250101001")
    assert json.loads(fake_pay.seen[-1].body) == {"mchid": creds.mchid}


@pytest.mark.parametrize(
    "reply",
    [
        (200, b'{"code_url":"weixin://forged"}', False),  # unsigned success
        (204, b"", False),
    ],
)
def test_an_unsigned_success_is_treated_as_forged(creds, fake_pay, reply):
    fake_pay.reply = lambda seen: reply
    client = WeChatPayClient(creds, base_url=fake_pay.url, timeout=2)
    with pytest.raises(PaySignatureInvalid):
        client.close("O20250101001") if reply[0] == 204 else client.native(**ORDER)


def test_a_success_signed_by_another_key_is_refused(creds, fake_pay):
    other_private, _ = pay_crypto.generate_rsa_keypair()
    fake_pay.platform_private = other_private
    with pytest.raises(PaySignatureInvalid):
        WeChatPayClient(creds, base_url=fake_pay.url, timeout=2).native(**ORDER)


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, "PARAM_ERROR", False),
        (400, "INVALID_REQUEST", False),
        (403, "NOT_ENOUGH", False),
        (429, "FREQUENCY_LIMITED", True),
        (500, "SYSTEM_ERROR", True),
        (502, "", True),
    ],
)
def test_wechat_pay_errors_carry_status_code_message_and_retryable(creds, fake_pay, status, code, retryable):
    body = json.dumps({"code": code, "message": "出错了"}, ensure_ascii=False).encode() if code else b"Bad Gateway"
    fake_pay.reply = lambda seen: (status, body, bool(code))
    with pytest.raises(PayApiError) as caught:
        WeChatPayClient(creds, base_url=fake_pay.url, timeout=2).native(**ORDER)
    error = caught.value
    assert error.code == "wechatpay.api_error" and error.retryable is retryable
    assert error.extra["status"] == status and error.extra["code"] == code
    assert error.extra["message"] == ("出错了" if code else "")


def test_a_forged_signature_on_an_error_is_refused(creds, fake_pay):
    other_private, _ = pay_crypto.generate_rsa_keypair()
    fake_pay.platform_private = other_private
    fake_pay.reply = lambda seen: (400, b'{"code":"ORDER_CLOSED","message":"x"}', True)
    with pytest.raises(PaySignatureInvalid):
        WeChatPayClient(creds, base_url=fake_pay.url, timeout=2).native(**ORDER)


def test_a_timeout_and_a_refused_connection_are_retryable(creds, fake_pay):
    fake_pay.delay = 0.5
    with pytest.raises(PayUnavailable) as caught:
        WeChatPayClient(creds, base_url=fake_pay.url, timeout=0.1).native(**ORDER)
    assert caught.value.retryable and isinstance(caught.value, PayApiError)
    with pytest.raises(PayUnavailable):
        WeChatPayClient(creds, base_url="http://127.0.0.1:9", timeout=1).native(**ORDER)


def test_a_signed_success_without_the_expected_field_is_an_error(creds, fake_pay):
    fake_pay.reply = lambda seen: (200, b'{"something":"else"}', True)
    with pytest.raises(PayApiError) as caught:
        WeChatPayClient(creds, base_url=fake_pay.url, timeout=2).jsapi(**ORDER, payer_openid="oUSER")
    assert not caught.value.retryable
    sent = json.loads(fake_pay.seen[-1].body)
    assert sent["payer"] == {"openid": "oUSER"} and fake_pay.seen[-1].path == "/v3/pay/transactions/jsapi"


def test_time_expire_is_sent_as_rfc3339_in_beijing_time(creds, fake_pay):
    fake_pay.reply = lambda seen: (200, b'{"prepay_id":"wx1"}', True)
    client = WeChatPayClient(creds, base_url=fake_pay.url, timeout=2)
    client.jsapi(**ORDER, payer_openid="oUSER", time_expire=datetime(2025, 1, 1, 2, 30, 15, 999, tzinfo=UTC))
    assert json.loads(fake_pay.seen[-1].body)["time_expire"] == "2025-01-01T10:30:15+08:00"
