"""The Official Account callback protocol: signatures and safe-mode encryption (WECHAT.md §1-2).

Both sides use this module: the platform opens what WeChat pushes (``open_inbound``) and seals its
replies (``seal_reply``); the simulator builds pushes exactly as WeChat does (``seal_inbound``).

Cipher: AES-256-CBC, key = base64(EncodingAESKey + "="), IV = key[:16], PKCS#7 padding to 32 bytes,
plaintext = 16 random bytes + 4-byte big-endian length + XML + appid. Checked against wechatpy's
``WeChatCrypto`` in the tests; written on ``cryptography`` directly so that padding and lengths are
validated strictly and signatures compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from weloop.core import clock
from weloop.wechat.errors import BadSignature, UndecryptablePayload, WrongAppId
from weloop.wechat.safexml import cdata, parse_xml, text

Mode = Literal["plaintext", "compatible", "safe"]
KeySlot = Literal["current", "previous", ""]

_BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16
_NO_REPLY = ("", "success")


@dataclass(frozen=True)
class CallbackCredentials:
    """What one Official Account's callback needs: its appid, Token and EncodingAESKey(s)."""

    appid: str
    token: str = ""
    encoding_aes_key: str = ""
    previous_encoding_aes_key: str = ""

    def __repr__(self) -> str:  # the token and keys are secrets: keep them out of logs
        return f"CallbackCredentials(appid={self.appid!r})"


@dataclass(frozen=True)
class Inbound:
    """One opened callback POST.

    ``xml`` is the plaintext message; ``mode`` what arrived (plaintext, compatible = plaintext fields
    plus ``Encrypt``, safe = ``Encrypt`` only); ``key_used`` which EncodingAESKey decrypted it
    ("" when nothing was decrypted), so that the reply is sealed with the same one.
    """

    xml: str
    encrypted: bool
    mode: Mode
    key_used: KeySlot = ""
    # ``xml`` as ``safexml.parse_xml`` read it (``parse_message`` takes it: no second parse)
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def sign(token: str, timestamp: str | int, nonce: str, *extra: str) -> str:
    """SHA-1 hex of the sorted, concatenated strings: ``signature`` (3 parts) or ``msg_signature`` (4)."""
    parts = sorted([token, str(timestamp), nonce, *extra])
    return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()


def _same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def check_url_signature(creds: CallbackCredentials, signature: str, timestamp: str, nonce: str) -> bool:
    """True when ``signature`` is WeChat's signature over our Token (URL check GET, and every POST)."""
    if not creds.token or not signature:
        return False
    return _same(sign(creds.token, timestamp, nonce), signature)


# --- the cipher --------------------------------------------------------------------------------


class _Undecryptable(Exception):
    pass


class _OtherAppId(Exception):
    pass


def _aes_key(encoding_aes_key: str) -> bytes | None:
    """The 32-byte AES key of a 43-character EncodingAESKey, or None when it is not one."""
    if len(encoding_aes_key) != 43:
        return None
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        return None
    return key if len(key) == 32 else None


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(encoding_aes_key: str, appid: str, xml: str) -> str:
    """The base64 ``Encrypt`` value for ``xml`` (what goes into the envelope)."""
    key = _aes_key(encoding_aes_key)
    if key is None:
        raise ValueError("an EncodingAESKey is 43 characters of [A-Za-z0-9]")
    message = xml.encode("utf-8")
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + appid.encode("utf-8")
    pad = _BLOCK - len(plain) % _BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def _decrypt(key: bytes, appid: str, encrypted: str) -> str:
    try:
        sealed = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise _Undecryptable from None
    if not sealed or len(sealed) % 16:
        raise _Undecryptable
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(sealed) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= _BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise _Undecryptable
    content = plain[16:-pad]
    if len(content) < 4:
        raise _Undecryptable
    (length,) = struct.unpack(">I", content[:4])
    if length > len(content) - 4:
        raise _Undecryptable
    try:
        xml = content[4 : 4 + length].decode("utf-8")
    except UnicodeDecodeError:
        raise _Undecryptable from None
    if not hmac.compare_digest(content[4 + length :], appid.encode("utf-8")):
        raise _OtherAppId
    return xml


def _decrypt_with_fallback(creds: CallbackCredentials, encrypted: str) -> tuple[str, KeySlot]:
    """Decrypt with the current EncodingAESKey, then the previous one (kept after a key change)."""
    slots: list[tuple[KeySlot, str]] = [("current", creds.encoding_aes_key)]
    if creds.previous_encoding_aes_key:
        slots.append(("previous", creds.previous_encoding_aes_key))
    wrong_appid = False
    for slot, encoding_aes_key in slots:
        key = _aes_key(encoding_aes_key)
        if key is None:
            continue
        try:
            return _decrypt(key, creds.appid, encrypted), slot
        except _OtherAppId:
            wrong_appid = True
        except _Undecryptable:
            pass
    if wrong_appid:
        raise WrongAppId
    raise UndecryptablePayload


# --- opening what WeChat pushes ------------------------------------------------------------------


def open_inbound(creds: CallbackCredentials, query: Mapping[str, str], body: bytes) -> Inbound:
    """Check and open one callback POST; return its plaintext XML.

    ``signature`` is checked on every POST. When the body carries ``Encrypt`` (compatible or safe
    mode) it is verified against ``msg_signature`` and decrypted, preferring the encrypted copy over
    any plaintext fields, with the current key and then the previous one.

    Raises ``BadSignature`` (403), ``MalformedXml``, ``UndecryptablePayload`` or ``WrongAppId`` (400).
    """
    timestamp, nonce = query.get("timestamp") or "", query.get("nonce") or ""
    if not check_url_signature(creds, query.get("signature") or "", timestamp, nonce):
        raise BadSignature
    envelope = parse_xml(body)
    encrypted = text(envelope, "Encrypt")
    if not encrypted:
        if query.get("encrypt_type") == "aes":
            raise UndecryptablePayload("Safe mode was announced but the body has no Encrypt element.")
        return Inbound(xml=body.decode("utf-8"), encrypted=False, mode="plaintext", document=envelope)
    if not _same(sign(creds.token, timestamp, nonce, encrypted), query.get("msg_signature")):
        raise BadSignature("The msg_signature does not match.")
    xml, slot = _decrypt_with_fallback(creds, encrypted)
    document = parse_xml(xml)  # the decrypted document gets the same checks as a plaintext one
    mode: Mode = "compatible" if text(envelope, "MsgType") else "safe"
    return Inbound(xml=xml, encrypted=True, mode=mode, key_used=slot, document=document)


def _envelope(creds: CallbackCredentials, key_slot: KeySlot, xml: str, timestamp: str, nonce: str) -> tuple[str, str]:
    key = creds.previous_encoding_aes_key if key_slot == "previous" else creds.encoding_aes_key
    encrypted = encrypt(key, creds.appid, xml)
    return encrypted, sign(creds.token, timestamp, nonce, encrypted)


def seal_reply(
    creds: CallbackCredentials,
    inbound: Inbound,
    reply_xml: str,
    nonce: str | None = None,
    timestamp: str | int | None = None,
) -> str:
    """The HTTP body answering ``inbound``: encrypted with the key that opened it, else plain.

    ``success`` and the empty body are WeChat's "no reply" and always stay plain. Without ``nonce``
    and ``timestamp`` a random nonce and ``clock.now()`` are used.
    """
    if not inbound.encrypted or reply_xml.strip() in _NO_REPLY:
        return reply_xml
    nonce = nonce or secrets.token_hex(8)
    timestamp = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    encrypted, signature = _envelope(creds, inbound.key_used or "current", reply_xml, timestamp, nonce)
    return (
        f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )


def open_reply(creds: CallbackCredentials, body: str) -> str:
    """The plaintext of a reply the platform sent back to a push (what WeChat does with it).

    A plain reply (or ``success``/empty) is returned as it is. An encrypted one must carry a valid
    ``MsgSignature`` over our Token, its own ``TimeStamp`` and ``Nonce``.
    """
    if body.strip() in _NO_REPLY:
        return body
    document = parse_xml(body)
    encrypted = text(document, "Encrypt")
    if not encrypted:
        return body
    expected = sign(creds.token, text(document, "TimeStamp"), text(document, "Nonce"), encrypted)
    if not _same(expected, text(document, "MsgSignature")):
        raise BadSignature("The reply's MsgSignature does not match.")
    xml, _slot = _decrypt_with_fallback(creds, encrypted)
    return xml


# --- building what WeChat pushes (the simulator's side) ------------------------------------------


def seal_inbound(
    creds: CallbackCredentials, xml: str, mode: Mode, timestamp: str | int, nonce: str
) -> tuple[dict[str, str], bytes]:
    """The query parameters and body WeChat would POST to the callback URL for ``xml``.

    Plaintext: the XML as it is. Compatible: the plaintext elements plus ``Encrypt``. Safe: only
    ``ToUserName`` and ``Encrypt``. Encrypted modes add ``encrypt_type=aes`` and ``msg_signature``.
    """
    timestamp = str(timestamp)
    message = parse_xml(xml)
    query = {
        "signature": sign(creds.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": text(message, "FromUserName"),
    }
    if mode == "plaintext":
        return query, xml.encode("utf-8")
    if mode not in ("compatible", "safe"):
        raise ValueError(f"unknown message mode {mode!r}")
    encrypted, signature = _envelope(creds, "current", xml, timestamp, nonce)
    query.update(encrypt_type="aes", msg_signature=signature)
    encrypt_element = f"<Encrypt>{cdata(encrypted)}</Encrypt>"
    if mode == "safe":
        body = f"<xml><ToUserName>{cdata(text(message, 'ToUserName'))}</ToUserName>{encrypt_element}</xml>"
    else:
        stripped = xml.rstrip()
        if not stripped.endswith("</xml>"):
            raise ValueError("compatible mode needs the message to end with </xml>")
        body = stripped[: -len("</xml>")] + encrypt_element + "</xml>"
    return query, body.encode("utf-8")
