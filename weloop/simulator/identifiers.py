"""Identifiers shaped like the ones WeChat issues (lengths and alphabets), so nothing downstream can tell."""

from __future__ import annotations

import base64
import os
import secrets
import string

from weloop.core.ids import random_token

_URLSAFE = string.ascii_letters + string.digits + "_-"


def new_openid() -> str:
    """28 characters starting with "o", like ``oUpF8uMuAJO_M2pxb1Q9zNjWeS6o``."""
    return "o" + random_token(27, _URLSAFE)


def new_unionid() -> str:
    return "o" + random_token(27, _URLSAFE)


def new_access_token() -> str:
    # Real tokens are ~150 characters today and WeChat reserves 512; callers must not assume a length.
    return random_token(157, _URLSAFE)


def new_code() -> str:
    return random_token(32)


def new_msgid() -> int:
    """A 64-bit message id (kept below 2**62 so every database stores it as a signed bigint)."""
    return 10**15 + secrets.randbelow(2**62 - 10**15)


def new_ticket() -> str:
    # Real tickets are base64 with "+", "/" and "=": a client that forgets to URL-encode breaks here too.
    return "gQ" + base64.b64encode(os.urandom(48)).decode("ascii")


def new_qr_path() -> str:
    return random_token(22, _URLSAFE)


def new_media_id() -> str:
    return random_token(64, _URLSAFE)


def new_nonce() -> str:
    return random_token(10, string.digits)
