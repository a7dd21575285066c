"""Public identifiers: what URLs and people see instead of primary keys."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from django.db import models

# Crockford-style alphabet without I, L, O, U: easy to read aloud at a counter.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_public_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def random_token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def public_id_field(prefix: str) -> models.CharField:
    """A ``public_id`` column filled with ``prefix`` + 10 random characters on creation."""
    default: Callable[[], str] = _PrefixedId(prefix)
    return models.CharField(max_length=24, default=default, editable=False, db_index=True)


class _PrefixedId:
    # A class, not a lambda, so migrations can serialize the default.
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self) -> str:
        return new_public_id(self.prefix)

    def deconstruct(self) -> tuple[str, tuple[str], dict]:
        return ("weloop.core.ids._PrefixedId", (self.prefix,), {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PrefixedId) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)
