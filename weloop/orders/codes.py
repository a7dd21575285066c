"""Codes of virtual goods: drawn with a CSPRNG, stored sealed and keyed-hashed, never in clear.

- ``code_new()`` draws 16 characters of the Crockford alphabet (80 bits), shown as ``ABCD-EFGH-JKMN-PQRS``.
- ``code_hash(merchant_id, code)``: HMAC-SHA256 under SECRET_KEY, to find a typed code (unique per merchant).
- ``code_seal`` / ``code_open``: AES-256-GCM under a key derived from SECRET_KEY (HKDF), with the
  merchant and the order line as associated data, so a sealed code copied to another row does not open.

Pickup codes (8 digits) are sealed the same way under their own derived key
(``pickup_seal`` / ``pickup_open``, the merchant and the order number as associated data), so the
order's member can see theirs again on the H5 order page.

Rotating SECRET_KEY makes the sealed codes unreadable (and their hashes unmatchable): keep the old key
while codes are still in use. A database dump alone reveals no code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16
_NONCE_BYTES = 12


def code_new() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def code_normalise(typed: str) -> str:
    """What a person typed, as stored codes are written: upper case, dashes every 4, O→0, I/L→1."""
    raw = "".join(ch for ch in str(typed or "").upper() if ch.isalnum())
    raw = raw.translate(str.maketrans("OIL", "011"))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def code_hash(merchant_id: int, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"virtual-code:{merchant_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _key(info: bytes = b"weloop virtual codes v1") -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(settings.SECRET_KEY.encode())


def _aad(merchant_id: int, line_id: str) -> bytes:
    return f"{merchant_id}:{line_id}".encode()


def code_seal(merchant_id: int, line_id: str, code: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key()).encrypt(nonce, code.encode(), _aad(merchant_id, line_id))
    return base64.b64encode(nonce + sealed).decode()


def code_open(merchant_id: int, line_id: str, sealed: str) -> str:
    """The code in clear; raises cryptography's InvalidTag when the key or the row does not match."""
    blob = base64.b64decode(sealed)
    return AESGCM(_key()).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(merchant_id, line_id)).decode()


_PICKUP_INFO = b"weloop pickup codes v1"


def _pickup_aad(merchant_id: int, order_no: str) -> bytes:
    return f"pickup:{merchant_id}:{order_no}".encode()


def pickup_seal(merchant_id: int, order_no: str, code: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(_PICKUP_INFO)).encrypt(nonce, code.encode(), _pickup_aad(merchant_id, order_no))
    return base64.b64encode(nonce + sealed).decode()


def pickup_open(merchant_id: int, order_no: str, sealed: str) -> str:
    """The pickup code in clear; raises InvalidTag when the key or the order does not match."""
    blob = base64.b64decode(sealed)
    return (
        AESGCM(_key(_PICKUP_INFO))
        .decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _pickup_aad(merchant_id, order_no))
        .decode()
    )
