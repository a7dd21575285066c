"""The member card's counter code: a short-lived signed token that names the member.

``<member public id>.<expiry, base 36 seconds>.<HMAC-SHA256, 12 hex>``, signed with the site's
secret and the merchant's pk (a code of one merchant is refused by another). It is valid for
``CARD_CODE_SECONDS``; the card page refreshes it, so a screenshot is useless minutes later.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings

from weloop.core import clock
from weloop.loyalty.errors import InvalidCardCode

CARD_CODE_SECONDS = 300


def _sign(merchant_pk: int, member_id: str, expires: str) -> str:
    message = f"loyalty-card:{merchant_pk}:{member_id}:{expires}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:12]


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out or "0"


def card_code(*, merchant: Any, member: Any) -> str:
    expires = _base36(int(clock.now().timestamp()) + CARD_CODE_SECONDS)
    return f"{member.public_id}.{expires}.{_sign(merchant.pk, member.public_id, expires)}"


def card_code_member_id(*, merchant: Any, code: str) -> str:
    """The member public id the code names; ``loyalty.invalid_card_code`` if forged, foreign or expired."""
    parts = (code or "").strip().split(".")
    if len(parts) != 3:
        raise InvalidCardCode()
    member_id, expires, signature = parts
    if not hmac.compare_digest(signature.lower(), _sign(merchant.pk, member_id, expires.lower())):
        raise InvalidCardCode()
    try:
        expires_at = int(expires, 36)
    except ValueError as exc:
        raise InvalidCardCode() from exc
    if expires_at < clock.now().timestamp():
        raise InvalidCardCode()
    return member_id
