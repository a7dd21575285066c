"""Voucher codes: 75 random bits, a check character, a keyed hash to find them, a sealed copy to show.

A code is 15 characters of Crockford base32 (5 bits each, 75 bits from ``secrets``) and one check
character, shown in groups of four: ``4K9Q-X2M7-PA8Z-3WDA``.

The check character is Damm's algorithm over a totally anti-symmetric quasigroup of order 32:
``x ∘ y = 2·x ⊕ y`` in GF(32) (the field GF(2)[t]/(t⁵+t²+1)). The check character makes the
whole code fold to 0. Changing one character changes the fold (each step is a bijection in both
arguments); swapping two neighbours x ≠ y changes it too, because ``(c∘x)∘y ⊕ (c∘y)∘x = 3·(x ⊕ y)``
is not 0 in a field. So every single substitution and every adjacent transposition is refused by
``parse`` before any database query (tests/test_codes.py checks all of them with Hypothesis).

Storage. The database never holds a code in clear:
- ``code_hash`` = HMAC-SHA256 under a key derived from the settings secret: redemption looks the
  code up by it. A leaked table gives hashes that cannot be turned back into codes without the key.
- ``code_sealed`` = AES-GCM of the code under a second derived key, with the voucher's public id
  as associated data: only the application can open it, to show the owning member their code
  ("my vouchers") as text and QR. A sealed value moved to another voucher row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type for what they see: Crockford's decoding aliases.
_ALIASES = {"I": "1", "L": "1", "O": "0"}
PAYLOAD_LENGTH = 15  # 15 × 5 = 75 bits
CODE_LENGTH = PAYLOAD_LENGTH + 1
GROUP = 4
_SEPARATORS = str.maketrans("", "", " -_\t")


def _times_two(v: int) -> int:
    v <<= 1
    return v ^ 0b100101 if v & 0b100000 else v


_DOUBLE = [_times_two(v) for v in range(32)]


def fold(values: list[int] | str) -> int:
    """Damm's interim digit over ``x ∘ y = 2x ⊕ y``; a valid full code folds to 0."""
    interim = 0
    for v in values:
        interim = _DOUBLE[interim] ^ (v if isinstance(v, int) else _VALUE[v])
    return interim


def check_character(payload: str) -> str:
    # interim ∘ c = 2·interim ⊕ c = 0  ⇔  c = 2·interim
    return ALPHABET[_DOUBLE[fold(payload)]]


def generate() -> str:
    """A new code (canonical form, no separators): 75 bits from ``secrets`` plus the check character."""
    payload = "".join(ALPHABET[secrets.randbits(5)] for _ in range(PAYLOAD_LENGTH))
    return payload + check_character(payload)


def normalise(text: str) -> str:
    """Upper-case, drop spaces and dashes, read I/L as 1 and O as 0."""
    cleaned = str(text or "").translate(_SEPARATORS).upper()
    return "".join(_ALIASES.get(ch, ch) for ch in cleaned)


# ``parse`` in a few C-level steps, no per-character Python loop (it runs on every scan, and a typo
# must be refused in well under 5 µs):
# 1. one ``str.translate`` drops separators and maps every accepted character (either case, and the
#    aliases) to the character whose code point is its value 0..31; control characters become
#    DEL (127), other ASCII stays itself (>= 32): a code is valid only if every result is < 32.
# 2. the 16 values as one 128-bit integer (a byte each). The fold is linear over GF(2)
#    (x ∘ y = 2x ⊕ y): a full code folds to XOR_j 2^(15-j)·v_j in GF(32). Each of its 5 bits is the
#    parity of the integer's bits under one mask (_FOLD_MASKS), so the check is five AND + bit_count.
_TO_VALUES: dict[int, int | str | None] = {ord(ch): None for ch in " -_\t"}
_TO_VALUES.update({c: "\x7f" for c in range(32) if chr(c) not in " -_\t"})
for _i, _ch in enumerate(ALPHABET):
    _TO_VALUES[ord(_ch)] = _TO_VALUES[ord(_ch.lower())] = _i
for _alias, _target in _ALIASES.items():
    _TO_VALUES[ord(_alias)] = _TO_VALUES[ord(_alias.lower())] = _VALUE[_target]
_FROM_VALUES = {i: ch for i, ch in enumerate(ALPHABET)}
_NOT_VALUES = int.from_bytes(b"\xe0" * CODE_LENGTH, "big")  # any value byte >= 32


def _gf_times(a: int, b: int) -> int:
    product = 0
    while b:
        if b & 1:
            product ^= a
        a, b = _times_two(a), b >> 1
    return product


def _fold_masks() -> tuple[int, ...]:
    masks = [0] * 5
    for position in range(CODE_LENGTH):
        weight, shift = 1, (CODE_LENGTH - 1 - position) * 8
        for _ in range(CODE_LENGTH - 1 - position):
            weight = _times_two(weight)
        for bit in range(5):
            term = _gf_times(1 << bit, weight)
            for k in range(5):
                if term >> k & 1:
                    masks[k] |= 1 << (shift + bit)
    return tuple(masks)


_FOLD_MASKS = _fold_masks()


def parse(text: str) -> str | None:
    """The canonical code typed or scanned as ``text``, or None when it cannot be a code.

    No database: a wrong length, a character outside the alphabet or a failed check is refused here.
    """
    values = (text if type(text) is str else str(text or "")).translate(_TO_VALUES)
    if len(values) != CODE_LENGTH or not values.isascii():
        return None
    x = int.from_bytes(values.encode(), "big")
    m0, m1, m2, m3, m4 = _FOLD_MASKS
    if (
        x & _NOT_VALUES
        or (x & m0).bit_count() & 1
        or (x & m1).bit_count() & 1
        or (x & m2).bit_count() & 1
        or (x & m3).bit_count() & 1
        or (x & m4).bit_count() & 1
    ):
        return None
    return values.translate(_FROM_VALUES)


def display(code: str) -> str:
    """``4K9QX2M7PA8Z3WDA`` → ``4K9Q-X2M7-PA8Z-3WDA``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


# --- keys, hash and seal ----------------------------------------------------------------------


def _key(label: bytes) -> bytes:
    secret = getattr(settings, "WELOOP_VOUCHER_KEY", "") or settings.SECRET_KEY
    return hmac.new(secret.encode(), b"weloop.vouchers." + label, hashlib.sha256).digest()


def code_hash(code: str) -> str:
    """The lookup key of a canonical code: HMAC-SHA256 under the hash key, hex."""
    return hmac.new(_key(b"hash"), code.encode(), hashlib.sha256).hexdigest()


def seal(code: str, *, voucher_id: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(b"seal")).encrypt(nonce, code.encode(), voucher_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str, *, voucher_id: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    return AESGCM(_key(b"seal")).decrypt(raw[:12], raw[12:], voucher_id.encode()).decode()
