"""Pure checks for quantities and subject keys: no database, no side effects."""

from __future__ import annotations

import os
import re

from weloop.inventory.errors import InvalidPool, InvalidQuantity

# Far below the 64-bit column limit, so counter + quantity can never overflow in SQL.
MAX_QUANTITY = 2**62
_SUBJECT = re.compile(r"^[a-z][a-z0-9_]{0,19}:[A-Za-z0-9_.:\-]{1,99}$")
_ID_ALPHABET = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 256 is a multiple of 32, so ``byte % 32`` picks every symbol with the same probability.
_BYTE_TO_SYMBOL = bytes(_ID_ALPHABET[b % 32] for b in range(256))


def require_quantity(value: object, *, field: str = "quantity") -> int:
    """Return ``value`` if it is a positive int; bools, floats, strings, zero and negatives are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        raise InvalidQuantity(extra={"field": field, "value": repr(value)})
    return value


def require_count(value: object, *, field: str = "available") -> int:
    """Like require_quantity, but zero is allowed (a count of units, not a movement)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUANTITY:
        raise InvalidQuantity(extra={"field": field, "value": repr(value)})
    return value


def require_delta(value: object, *, field: str = "delta") -> int:
    """A non-zero signed int: a restock (+) or a shrink (-)."""
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or abs(value) > MAX_QUANTITY:
        raise InvalidQuantity(extra={"field": field, "value": repr(value)})
    return value


def require_subject(subject: object) -> str:
    """A typed subject key: ``<type>:<id>``, e.g. ``sku:sku_8ZK2M4Q7PX`` or ``slot:room1:2026-12-01T10:00``."""
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise InvalidPool("A subject is '<type>:<id>', e.g. 'sku:sku_8ZK2M4Q7PX'.", extra={"subject": repr(subject)})
    return subject


def sku_subject(sku_public_id: str) -> str:
    """The subject of a SKU's goods stock."""
    return require_subject(f"sku:{sku_public_id}")


def fast_public_ids(prefix: str, count: int) -> list[str]:
    """``count`` public ids like core.ids.new_public_id makes, from one urandom call.

    A flash-sale batch mints hundreds of hold ids inside its transaction; drawing them one
    ``secrets.choice`` at a time cost more than the insert itself.
    """
    raw = os.urandom(10 * count).translate(_BYTE_TO_SYMBOL).decode("ascii")
    return [prefix + raw[i : i + 10] for i in range(0, 10 * count, 10)]
