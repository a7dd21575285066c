"""Money is an int of fen (分). This module is the only place that rounds or splits it.

Rates are basis points (1 bp = 0.01 %). Rounding is half-up, the way a Chinese till rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from weloop.core.errors import WeloopError

Fen = int
BASIS_POINTS = 10_000
# The largest amount a BigIntegerField column holds: anything above is bad input, not a crash.
MAX_FEN = 2**63 - 1


class InvalidAmount(WeloopError):
    code = "money.invalid_amount"
    message = "The amount is not a valid, non-negative amount of money."
    status = 400


def require_fen(value: object, *, field: str = "amount") -> Fen:
    """Return ``value`` as fen, refusing floats, bools, fractions and negatives."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(extra={"field": field, "value": repr(value)})
    if not 0 <= value <= MAX_FEN:
        raise InvalidAmount(extra={"field": field, "value": value})
    return value


def yuan_to_fen(yuan: str | int | Decimal) -> Fen:
    """Parse a yuan amount such as ``"12.30"`` into fen; more than 2 decimals is an error."""
    try:
        amount = Decimal(str(yuan).strip())
    except InvalidOperation as exc:
        raise InvalidAmount(extra={"value": str(yuan)}) from exc
    if not amount.is_finite() or amount < 0 or amount * 100 > MAX_FEN:
        raise InvalidAmount(extra={"value": str(yuan)})
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount(extra={"value": str(yuan)})
    return int(amount * 100)


def format_fen(fen: Fen) -> str:
    """Render fen the way customers read it: ``1230 -> "¥12.30"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def yuan_text(fen: Fen | None) -> str:
    """Fen as typed in a yuan box or a spreadsheet: ``1230 -> "12.30"``; None -> ``""``."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide two ints and round half away from zero, exactly (no floats)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    # Integer arithmetic, not Decimal: Decimal division keeps 28 digits, so large amounts either
    # raised InvalidOperation or were rounded twice.
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def apply_basis_points(amount: Fen, basis_points: int) -> Fen:
    """``amount × bp / 10000``, half-up: the commission or percentage of an amount."""
    return round_half_up(amount * basis_points, BASIS_POINTS)


def split_proportionally(total: Fen, weights: Sequence[int]) -> list[Fen]:
    """Split ``total`` over ``weights`` so that the parts sum to ``total`` exactly.

    Largest-remainder method: each part gets its floor share, then the fen left over go to the
    parts with the largest remainders (earliest first on ties), so the result is deterministic.
    A discount spread over order lines uses this, so the lines always add up to the order.
    """
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("cannot split a non-zero total over zero weights")
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return floors
