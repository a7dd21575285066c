"""Pure fen maths of vouchers: shares of a price over uses, commissions, refunds. No database."""

from __future__ import annotations

from dataclasses import dataclass

from weloop.core.money import apply_basis_points, split_proportionally


def unit_prices(line_paid_fen: int, quantity: int) -> list[int]:
    """What each of ``quantity`` vouchers of one order line cost: parts that sum to the line exactly."""
    return split_proportionally(line_paid_fen, [1] * quantity)


def uses_share(total_fen: int, uses_total: int, start: int, count: int) -> int:
    """The share of ``total_fen`` carried by uses ``start`` … ``start + count`` (0-based) of ``uses_total``.

    Cumulative floors: all the uses of a voucher add up to ``total_fen`` exactly, in any grouping.
    """
    end = start + count

    def upto(n: int) -> int:
        return total_fen * n // uses_total

    return upto(end) - upto(start)


@dataclass(frozen=True)
class Commission:
    platform_fen: int
    merchant_fen: int

    @property
    def total_fen(self) -> int:
        return self.platform_fen + self.merchant_fen


def commission(paid_fen: int, *, platform_bp: int, merchant_bp: int) -> Commission:
    """Both commissions of an amount, half-up, never more than the amount together.

    The total is rounded once and the platform's part taken from it, so two half-fen round-ups can
    never sum to more than was paid.
    """
    total = apply_basis_points(paid_fen, platform_bp + merchant_bp)
    platform = min(apply_basis_points(paid_fen, platform_bp), total)
    return Commission(platform_fen=platform, merchant_fen=total - platform)


def refund_of_unused(paid_fen: int, uses_total: int, uses_remaining: int) -> int:
    """What refunding a voucher's remaining uses returns: the share of the price they carry."""
    return uses_share(paid_fen, uses_total, uses_total - uses_remaining, uses_remaining)
