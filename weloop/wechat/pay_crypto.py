"""WeChat Pay v3 cryptography, for both sides of the protocol (WECHAT.md §4.1, §4.2, §4.4, §4.5).

The platform signs its requests and the JSAPI ``paySign`` with the merchant's private key, and
verifies responses and notifications with the WeChat Pay platform public key ("public-key mode":
``Wechatpay-Serial`` is the key's id ``PUB_KEY_ID_…``). The simulator does the mirror image: it
verifies the merchant's ``Authorization`` and ``paySign`` with the merchant public key and signs and
encrypts with the platform key. One implementation serves both, so the tests check the message
formats independently (with ``openssl`` and hand-built strings) to keep a shared mistake from hiding.

- Request signature: RSA-SHA256 (PKCS#1 v1.5) over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``, URL
  = path + ``?query`` as sent on the wire, BODY = the exact bytes sent ("" for GET).
- Response/notification signature: the same algorithm over ``TIMESTAMP\\nNONCE\\nBODY\\n``.
- Notification resource: AES-256-GCM with the APIv3 key (32 ASCII bytes), nonce = the 12-character
  ``nonce`` as UTF-8, AAD = ``associated_data``; ``ciphertext`` = base64(ciphertext + 16-byte tag).
- Timestamps are seconds; a message more than 5 minutes away from ``weloop.core.clock`` is stale.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from weloop.core import clock
from weloop.wechat.pay_errors import PayCredentialsInvalid, PaySignatureInvalid, PayStaleTimestamp, PayUndecryptable

SCHEMA = "WECHATPAY2-SHA256-RSA2048"  # the Authorization scheme and the Wechatpay-Signature-Type
TIMESTAMP_WINDOW_SECONDS = 300
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
MIN_RSA_BITS = 2048

HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_SERIAL = "Wechatpay-Serial"
HEADER_SIGNATURE_TYPE = "Wechatpay-Signature-Type"

_NONCE_ALPHABET = string.ascii_uppercase + string.digits
_AUTH_FIELD = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*')
_AUTH_FIELDS = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")


# --- keys ------------------------------------------------------------------------------------------


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """A fresh RSA key pair as PEM text: (PKCS#8 private key, SubjectPublicKeyInfo public key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private_pem.decode("ascii"), public_key_of(private_pem.decode("ascii"))


def public_key_of(private_key_pem: str) -> str:
    """The public half of a private key, as PEM text."""
    public = _private_key(private_key_pem).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def validate_private_key_pem(pem: str, *, field: str = "private_key") -> None:
    """Raise ``PayCredentialsInvalid`` unless ``pem`` is an unencrypted RSA private key of 2048+ bits."""
    _private_key_checked(pem, field)


def validate_public_key_pem(pem: str, *, field: str = "public_key") -> None:
    """Raise ``PayCredentialsInvalid`` unless ``pem`` is an RSA public key (or certificate) of 2048+ bits."""
    _public_key_checked(pem, field)


def validate_apiv3_key(key: str, *, field: str = "apiv3_key") -> bytes:
    """The APIv3 key as bytes; ``PayCredentialsInvalid`` unless it is 32 ASCII characters."""
    raw = key.encode("utf-8") if isinstance(key, str) else b""
    if len(raw) != 32 or not key.isascii():
        raise PayCredentialsInvalid(field, "The APIv3 key must be exactly 32 ASCII characters.")
    return raw


def _private_key_checked(pem: str, field: str) -> rsa.RSAPrivateKey:
    try:
        return _private_key(pem)
    except (ValueError, TypeError):
        raise PayCredentialsInvalid(field, "Not an unencrypted RSA private key (PEM) of 2048 bits or more.") from None


def _public_key_checked(pem: str, field: str) -> rsa.RSAPublicKey:
    try:
        return _public_key(pem)
    except (ValueError, TypeError):
        raise PayCredentialsInvalid(field, "Not an RSA public key (PEM) of 2048 bits or more.") from None


@lru_cache(maxsize=128)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    # Parsing a PEM costs about a millisecond; the same few keys sign every request.
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise ValueError("not an RSA-2048 private key")
    return key


@lru_cache(maxsize=128)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.strip().encode("ascii")
    if b"BEGIN CERTIFICATE" in data:  # certificate mode: the key inside the platform certificate
        from cryptography import x509

        key: Any = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise ValueError("not an RSA-2048 public key")
    return key


# --- RSA-SHA256 signatures -------------------------------------------------------------------------


def new_nonce(length: int = 32) -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def rsa_sign(private_key_pem: str, message: bytes) -> str:
    """base64(SHA256withRSA(message)) with PKCS#1 v1.5 padding."""
    key = _private_key_checked(private_key_pem, "private_key")
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa_verify(public_key_pem: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64) is a valid SHA256withRSA signature of ``message``."""
    key = _public_key_checked(public_key_pem, "public_key")
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True


def request_message(method: str, canonical_url: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``: what the merchant signs for each request."""
    head = f"{method.upper()}\n{canonical_url}\n{timestamp}\n{nonce}\n".encode()
    return head + body + b"\n"


def response_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """``TIMESTAMP\\nNONCE\\nBODY\\n``: what WeChat Pay signs for responses and notifications."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def check_timestamp(timestamp: str, now: datetime | None = None) -> None:
    """Raise ``PayStaleTimestamp`` when ``timestamp`` (seconds) is more than 5 minutes from now."""
    try:
        seconds = int(timestamp)
    except (TypeError, ValueError):
        raise PaySignatureInvalid("The WeChat Pay timestamp is not a number of seconds.") from None
    moment = (now or clock.now()).timestamp()
    if abs(moment - seconds) > TIMESTAMP_WINDOW_SECONDS:
        raise PayStaleTimestamp(extra={"timestamp": seconds, "now": int(moment)})


def _as_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


# --- the merchant's Authorization header (§4.1) -----------------------------------------------------


@dataclass(frozen=True)
class MerchantAuthorization:
    """The fields of an ``Authorization: WECHATPAY2-SHA256-RSA2048 …`` header."""

    mchid: str
    serial_no: str
    nonce_str: str
    timestamp: str
    signature: str


def authorization_header(
    *,
    mchid: str,
    serial_no: str,
    private_key_pem: str,
    method: str,
    canonical_url: str,
    body: bytes | str | None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header value for one request, signed with the merchant private key."""
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or new_nonce()
    signature = rsa_sign(private_key_pem, request_message(method, canonical_url, timestamp, nonce, _as_bytes(body)))
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str | None) -> MerchantAuthorization:
    """The five fields of an Authorization header, in any order; ``PaySignatureInvalid`` if malformed."""
    scheme, _, rest = (header or "").strip().partition(" ")
    if scheme != SCHEMA:
        raise PaySignatureInvalid("The Authorization header is missing or not WECHATPAY2-SHA256-RSA2048.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        match = _AUTH_FIELD.fullmatch(part)
        if match is None:
            raise PaySignatureInvalid("The Authorization header is malformed.")
        fields[match.group(1)] = match.group(2)
    missing = [name for name in _AUTH_FIELDS if not fields.get(name)]
    if missing:
        raise PaySignatureInvalid(f"The Authorization header lacks {', '.join(missing)}.")
    return MerchantAuthorization(**{name: fields[name] for name in _AUTH_FIELDS})


def verify_merchant_authorization(
    header: str | None,
    method: str,
    path: str,
    body: bytes | str | None,
    merchant_public_key_pem: str,
    now: datetime | None = None,
) -> MerchantAuthorization:
    """Check a request's Authorization against the merchant public key (WeChat Pay's side).

    ``path`` is the canonical URL: path + ``?query`` exactly as received. Raises
    ``PaySignatureInvalid`` (malformed or wrong signature) or ``PayStaleTimestamp`` (±5 min).
    """
    auth = parse_authorization(header)
    check_timestamp(auth.timestamp, now)
    message = request_message(method, path, auth.timestamp, auth.nonce_str, _as_bytes(body))
    if not rsa_verify(merchant_public_key_pem, message, auth.signature):
        raise PaySignatureInvalid("The request signature does not match the merchant's public key.")
    return auth


# --- signed responses and notifications (§4.2) ------------------------------------------------------


def sign_response(
    platform_private_key_pem: str,
    platform_public_key_id: str,
    body: bytes | str | None,
    *,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The ``Wechatpay-*`` headers WeChat Pay sends with a response or notification ``body``."""
    timestamp = timestamp or str(int(clock.now().timestamp()))
    nonce = nonce or new_nonce()
    signature = rsa_sign(platform_private_key_pem, response_message(timestamp, nonce, _as_bytes(body)))
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature,
        HEADER_SERIAL: platform_public_key_id,
        HEADER_SIGNATURE_TYPE: SCHEMA,
    }


def header_value(headers: Mapping[str, Any], name: str) -> str | None:
    """``headers[name]`` in any case, or as Django's ``request.META`` key (``HTTP_WECHATPAY_…``)."""
    value = headers.get(name)
    if value is None:
        wanted, meta_key = name.lower(), "HTTP_" + name.upper().replace("-", "_")
        for key, candidate in headers.items():
            if isinstance(key, str) and (key.lower() == wanted or key == meta_key):
                value = candidate
                break
    return None if value is None else str(value)


def has_signature(headers: Mapping[str, Any]) -> bool:
    return bool(header_value(headers, HEADER_SIGNATURE))


def verify_signed_headers(
    platform_public_key_pem: str,
    platform_public_key_id: str,
    headers: Mapping[str, Any],
    body: bytes | str | None,
    *,
    now: datetime | None = None,
) -> None:
    """Check the ``Wechatpay-*`` headers of a response or notification (the merchant's side).

    Raises ``PaySignatureInvalid`` (missing headers, another key id, wrong signature) or
    ``PayStaleTimestamp`` (more than 5 minutes off).
    """
    timestamp = header_value(headers, HEADER_TIMESTAMP)
    nonce = header_value(headers, HEADER_NONCE)
    signature = header_value(headers, HEADER_SIGNATURE)
    serial = header_value(headers, HEADER_SERIAL)
    if not (timestamp and nonce and signature and serial):
        raise PaySignatureInvalid("The WeChat Pay signature headers are missing.")
    signature_type = header_value(headers, HEADER_SIGNATURE_TYPE)
    if signature_type not in (None, "", SCHEMA):
        raise PaySignatureInvalid(f"Unsupported Wechatpay-Signature-Type {signature_type!r}.")
    if serial != platform_public_key_id:
        # Signed with a key we do not hold (a rotation we missed, or a forgery): do not believe it.
        raise PaySignatureInvalid("Wechatpay-Serial is not our platform public key id.", extra={"serial": serial})
    check_timestamp(timestamp, now)
    if not rsa_verify(platform_public_key_pem, response_message(timestamp, nonce, _as_bytes(body)), signature):
        raise PaySignatureInvalid()


# --- AES-256-GCM notification resources (§4.5) ------------------------------------------------------


def aes_gcm_encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes) -> str:
    """base64(ciphertext + tag), as in a notification's ``resource.ciphertext``."""
    key = validate_apiv3_key(apiv3_key)
    sealed = AESGCM(key).encrypt(nonce.encode("utf-8"), plaintext, associated_data.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")


def aes_gcm_decrypt(apiv3_key: str, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    """The plaintext of a ``resource``; ``PayUndecryptable`` when the key, nonce, AAD or data are wrong."""
    key = validate_apiv3_key(apiv3_key)
    try:
        sealed = base64.b64decode(ciphertext, validate=True)
        return AESGCM(key).decrypt(nonce.encode("utf-8"), sealed, associated_data.encode("utf-8"))
    except (InvalidTag, binascii.Error, ValueError, TypeError):
        raise PayUndecryptable() from None


def seal_notification(
    apiv3_key: str,
    platform_private_key_pem: str,
    platform_public_key_id: str,
    event_type: str,
    resource_type: str,
    original_type: str,
    resource: Mapping[str, Any],
    summary: str,
    *,
    notification_id: str | None = None,
    create_time: datetime | None = None,
) -> tuple[dict[str, str], bytes]:
    """A notification as WeChat Pay posts it: (signature headers, JSON body with the encrypted resource).

    A retry or a duplicate delivery re-sends the same body with fresh headers:
    ``sign_response(platform_private_key_pem, platform_public_key_id, body)``.
    """
    nonce = new_nonce(12)
    plaintext = json.dumps(dict(resource), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    envelope = {
        "id": notification_id or str(uuid.uuid4()),
        "create_time": rfc3339(create_time or clock.now()),
        "resource_type": resource_type,
        "event_type": event_type,
        "summary": summary,
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": aes_gcm_encrypt(apiv3_key, nonce, original_type, plaintext),
            "associated_data": original_type,
            "nonce": nonce,
        },
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return sign_response(platform_private_key_pem, platform_public_key_id, body), body


# --- the JSAPI paySign (§4.4) ------------------------------------------------------------------------


def pay_sign_message(app_id: str, time_stamp: str, nonce_str: str, package: str) -> bytes:
    return f"{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n".encode()


def pay_sign(merchant_private_key_pem: str, app_id: str, time_stamp: str, nonce_str: str, package: str) -> str:
    """``paySign`` for getBrandWCPayRequest (``signType`` is not part of what is signed)."""
    return rsa_sign(merchant_private_key_pem, pay_sign_message(app_id, time_stamp, nonce_str, package))


def verify_pay_sign(
    merchant_public_key_pem: str, app_id: str, time_stamp: str, nonce_str: str, package: str, signature: str
) -> bool:
    return rsa_verify(merchant_public_key_pem, pay_sign_message(app_id, time_stamp, nonce_str, package), signature)


# --- time --------------------------------------------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    """``2025-01-01T10:30:00+08:00``: WeChat Pay's time format (Beijing time, whole seconds)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def parse_rfc3339(value: str) -> datetime | None:
    """The aware datetime of an RFC 3339 string with an offset, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None and "T" in value else None
