"""Pure fen maths of an order: line totals, shipping, discounts and refunds split over lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from weloop.core.money import split_proportionally
from weloop.orders.enums import FulfilmentType


@dataclass(frozen=True)
class Totals:
    subtotal_fen: int
    shipping_fen: int
    discount_fen: int
    total_fen: int
    line_discounts_fen: list[int]


def line_total(unit_price_fen: int, quantity: int) -> int:
    return unit_price_fen * quantity


def shipping_fee(*, fulfilment: str, subtotal_fen: int, flat_fee_fen: int, free_above_fen: int | None) -> int:
    """Pickup and in-store orders ship nothing; delivery pays the flat fee below the free threshold."""
    if fulfilment != FulfilmentType.DELIVERY:
        return 0
    if free_above_fen is not None and subtotal_fen >= free_above_fen:
        return 0
    return flat_fee_fen


def order_totals(*, line_totals: Sequence[int], shipping_fen: int, discount_fen: int = 0) -> Totals:
    """Sum the lines, cap the discount at the goods' value and spread it over the lines exactly.

    The discount never touches shipping and never makes anything negative.
    """
    subtotal = sum(line_totals)
    discount = min(max(discount_fen, 0), subtotal)
    return Totals(
        subtotal_fen=subtotal,
        shipping_fen=shipping_fen,
        discount_fen=discount,
        total_fen=subtotal + shipping_fen - discount,
        line_discounts_fen=split_proportionally(discount, list(line_totals)),
    )


def refund_allocation(amount_fen: int, line_remaining: Sequence[int], shipping_remaining: int) -> list[int]:
    """Split a refund over what each line (then shipping, last) still holds: parts sum exactly.

    Returns one part per line followed by the shipping part; no part exceeds what is left of it.
    """
    weights = [*line_remaining, shipping_remaining]
    if amount_fen > sum(weights):
        raise ValueError("refund larger than what is left")
    if amount_fen == sum(weights):
        return list(weights)
    parts = split_proportionally(amount_fen, weights)
    # Largest-remainder rounding can only add one fen to a part, never beyond its weight unless the
    # weight is 0, which gets 0 of a proportional split; so parts are within their weights.
    return parts
