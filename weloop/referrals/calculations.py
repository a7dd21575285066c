"""Commission maths in fen: the one place where a commission is rounded (half-up, once per entry)."""

from __future__ import annotations

from collections.abc import Iterable

from weloop.core.money import BASIS_POINTS, round_half_up

MAX_LEVELS = 2  # WeChat forbids deeper distribution chains (三级及以上分销)


def commission_fen(parts: Iterable[tuple[int, int]]) -> int:
    """Commission on ``(goods paid fen, rate bps)`` parts: sum of amount x rate, rounded half-up once.

    Summing before rounding means a many-line order earns exactly what one line of the same total at
    the same rate would: no fen is lost or gained line by line.
    """
    return round_half_up(sum(amount * bps for amount, bps in parts), BASIS_POINTS)


def reversal_fen(*, basis: list[dict], refunded_by_line: dict[str, int], accrued_fen: int, reversed_fen: int) -> int:
    """How much more to reverse so that the commission matches what the member kept.

    ``basis`` is the accrual's snapshot (``[{"line", "paid_fen", "bps"}]``), ``refunded_by_line`` what
    has been refunded of each line's goods so far (shipping excluded), ``reversed_fen`` what earlier
    reversals took back (positive). The result is never negative and never more than what is left,
    so events arriving late, twice or out of order converge on the same total.
    """
    kept = commission_fen(
        (max(part["paid_fen"] - refunded_by_line.get(part["line"], 0), 0), part["bps"]) for part in basis
    )
    owed_back = accrued_fen - kept
    return max(min(owed_back - reversed_fen, accrued_fen - reversed_fen), 0)
