"""Pure fen maths of discounts: which coupons combine, in what order they apply, and the floor.

THE ORDER (fixed; every step sees what the steps before it left):

1. member level discount (``level_discount_bps`` of the goods),
2. product-scoped coupons and free items (in the order given; free items first),
3. order-level threshold (满减) and amount-off coupons,
4. order-level percent-off coupons (with their cap),
5. points (at most ``max_points_share_bps`` of the subtotal, whole points only),
6. shipping: the level's free shipping, then shipping coupons, on the shipping fee only.

A threshold is measured on what is left of the goods it covers when its step comes (after the
level discount and earlier coupons), the way a till applies 满减 after single-item discounts.

THE FLOOR: goods never cost less than ``floor_of(subtotal)`` = max(floor_fen, floor_bps of the
subtotal), never more than the subtotal itself. Steps 1-5 each take at most what is left above
the floor, so no combination makes an order free by accident; a coupon the floor leaves nothing
for is refused ("floor") rather than wasted. Shipping has no floor (free shipping is meant).

COMBINING: at most one coupon per ``stacking_group``; a coupon with ``combinable=False`` is
used alone (no coupon of another group beside it); one coupon once. ``combination_problem``
says why a set does not combine.

Every step's amount is split over the lines it covers with ``split_proportionally`` of what each
line has left, so the line discounts sum exactly to the goods discount and no line goes negative.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from weloop.core.money import BASIS_POINTS, round_half_up, split_proportionally

STAGE_LEVEL = 1
STAGE_ITEM = 2
STAGE_ORDER = 3
STAGE_PERCENT = 4
STAGE_POINTS = 5
STAGE_SHIPPING = 6

KIND_SHIPPING = "shipping"
KIND_FREE_ITEM = "free_item"
KIND_PERCENT = "percent_off"

MAX_COUPONS_PER_ORDER = 5
BEST_OF = 10  # the best combination is searched among the 10 coupons that save most alone


@dataclass(frozen=True)
class PriceLine:
    sku_id: str
    product_id: str
    unit_price_fen: int
    quantity: int

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


@dataclass(frozen=True)
class Offer:
    """A coupon as the maths sees it (built from a Coupon and its template)."""

    coupon_id: str
    kind: str
    label: str = ""
    amount_fen: int = 0
    percent_bps: int = 0
    cap_fen: int = 0
    threshold_fen: int = 0
    product_ids: frozenset[str] = frozenset()  # empty: every product
    free_sku_id: str = ""
    stacking_group: str = "default"
    combinable: bool = True

    @property
    def stage(self) -> int:
        if self.kind == KIND_SHIPPING:
            return STAGE_SHIPPING
        if self.kind == KIND_FREE_ITEM or self.product_ids:
            return STAGE_ITEM
        if self.kind == KIND_PERCENT:
            return STAGE_PERCENT
        return STAGE_ORDER


@dataclass(frozen=True)
class Adjustment:
    source: str  # "level" | "coupon" | "points"
    ref: str  # the coupon's public id, the level name, or "points"
    label: str
    stage: int
    goods_fen: int
    shipping_fen: int
    line_fen: tuple[int, ...]
    points: int = 0


@dataclass(frozen=True)
class Pricing:
    subtotal_fen: int
    shipping_fen: int  # before any shipping discount
    goods_discount_fen: int
    shipping_discount_fen: int
    floor_fen: int
    line_discounts_fen: tuple[int, ...]
    adjustments: tuple[Adjustment, ...]
    points_used: int = 0
    refused: tuple[tuple[str, str], ...] = field(default=())  # (coupon id, reason)

    @property
    def goods_payable_fen(self) -> int:
        return self.subtotal_fen - self.goods_discount_fen

    @property
    def net_shipping_fen(self) -> int:
        return self.shipping_fen - self.shipping_discount_fen

    @property
    def total_fen(self) -> int:
        return self.goods_payable_fen + self.net_shipping_fen

    @property
    def saving_fen(self) -> int:
        return self.goods_discount_fen + self.shipping_discount_fen

    def coupon_fen(self, coupon_id: str) -> int:
        return sum(
            a.goods_fen + a.shipping_fen for a in self.adjustments if a.source == "coupon" and a.ref == coupon_id
        )


def floor_of(subtotal_fen: int, *, floor_fen: int, floor_bps: int) -> int:
    """The least the goods may cost after discounts (never more than the goods themselves)."""
    return min(subtotal_fen, max(floor_fen, round_half_up(subtotal_fen * floor_bps, BASIS_POINTS)))


def combination_problem(offers: Sequence[Offer]) -> str | None:
    """Why ``offers`` cannot be used together ("duplicate", "same_group", "not_combinable",
    "too_many"), or None when they can."""
    if len({o.coupon_id for o in offers}) != len(offers):
        return "duplicate"
    if len(offers) > MAX_COUPONS_PER_ORDER:
        return "too_many"
    groups = Counter(o.stacking_group for o in offers)
    if any(n > 1 for n in groups.values()):
        return "same_group"
    if len(groups) > 1 and any(not o.combinable for o in offers):
        return "not_combinable"
    return None


def _application_order(offers: Sequence[Offer]) -> list[Offer]:
    # Stable: within a stage, free items first, then the order given.
    return sorted(offers, key=lambda o: (o.stage, 0 if o.kind == KIND_FREE_ITEM else 1))


def price_order(
    *,
    lines: Sequence[PriceLine],
    shipping_fen: int,
    offers: Sequence[Offer] = (),
    level_discount_bps: int = 0,
    level_label: str = "",
    free_shipping: bool = False,
    points: int = 0,
    fen_per_point: int = 1,
    max_points_share_bps: int = 0,
    floor_fen: int = 1,
    floor_bps: int = 0,
) -> Pricing:
    """Apply the level discount, ``offers``, ``points`` and shipping benefits in THE ORDER.

    Does not check that the offers combine (``combination_problem`` does); an offer whose
    threshold is not met, whose goods are not in the order or that the floor leaves nothing for
    is refused with a reason and takes nothing.
    """
    remaining = [line.total_fen for line in lines]
    subtotal = sum(remaining)
    floor = floor_of(subtotal, floor_fen=max(floor_fen, 0), floor_bps=max(floor_bps, 0))
    adjustments: list[Adjustment] = []
    refused: list[tuple[str, str]] = []
    every = list(range(len(lines)))

    def take(amount: int, covered: list[int]) -> tuple[int, tuple[int, ...]]:
        room = max(sum(remaining) - floor, 0)
        amount = max(min(amount, sum(remaining[i] for i in covered), room), 0)
        parts = [0] * len(lines)
        if amount:
            for i, part in zip(covered, split_proportionally(amount, [remaining[i] for i in covered]), strict=True):
                parts[i] = part
                remaining[i] -= part
        return amount, tuple(parts)

    # 1. level discount
    if level_discount_bps > 0 and subtotal:
        wanted = round_half_up(subtotal * min(level_discount_bps, BASIS_POINTS), BASIS_POINTS)
        amount, parts = take(wanted, every)
        if amount:
            adjustments.append(Adjustment("level", level_label or "level", level_label, STAGE_LEVEL, amount, 0, parts))

    shipping_left = max(shipping_fen, 0)
    ordered = _application_order(offers)
    goods_offers = [o for o in ordered if o.stage != STAGE_SHIPPING]
    shipping_offers = [o for o in ordered if o.stage == STAGE_SHIPPING]

    # 2-4. coupons on goods
    for offer in goods_offers:
        scope = [i for i in every if not offer.product_ids or lines[i].product_id in offer.product_ids]
        base = sum(remaining[i] for i in scope)
        if not scope:
            refused.append((offer.coupon_id, "no_eligible_goods"))
            continue
        if base < offer.threshold_fen:
            refused.append((offer.coupon_id, "threshold_not_met"))
            continue
        covered = scope
        if offer.kind == KIND_FREE_ITEM:
            covered = [i for i in scope if lines[i].sku_id == offer.free_sku_id]
            if not covered:
                refused.append((offer.coupon_id, "no_eligible_goods"))
                continue
            wanted = lines[covered[0]].unit_price_fen
            covered = covered[:1]
        elif offer.kind == KIND_PERCENT:
            wanted = round_half_up(base * min(offer.percent_bps, BASIS_POINTS), BASIS_POINTS)
            if offer.cap_fen:
                wanted = min(wanted, offer.cap_fen)
        else:
            wanted = offer.amount_fen
        amount, parts = take(wanted, covered)
        if wanted > 0 and amount == 0:
            refused.append((offer.coupon_id, "floor"))
            continue
        adjustments.append(Adjustment("coupon", offer.coupon_id, offer.label, offer.stage, amount, 0, parts))

    # 5. points
    points_used = 0
    if points > 0 and fen_per_point > 0 and max_points_share_bps > 0:
        share = round_half_up(subtotal * min(max_points_share_bps, BASIS_POINTS), BASIS_POINTS)
        room = max(sum(remaining) - floor, 0)
        points_used = min(points, share // fen_per_point, room // fen_per_point)
        if points_used:
            amount, parts = take(points_used * fen_per_point, every)
            adjustments.append(Adjustment("points", "points", "", STAGE_POINTS, amount, 0, parts, points_used))

    # 6. shipping
    if free_shipping and shipping_left:
        adjustments.append(
            Adjustment("level", level_label or "level", level_label, STAGE_SHIPPING, 0, shipping_left, ())
        )
        shipping_left = 0
    for offer in shipping_offers:
        if sum(remaining) < offer.threshold_fen:
            refused.append((offer.coupon_id, "threshold_not_met"))
            continue
        if not shipping_left:
            refused.append((offer.coupon_id, "no_shipping"))
            continue
        amount = min(offer.amount_fen or shipping_left, shipping_left)
        shipping_left -= amount
        adjustments.append(Adjustment("coupon", offer.coupon_id, offer.label, STAGE_SHIPPING, 0, amount, ()))

    line_discounts = tuple(line.total_fen - left for line, left in zip(lines, remaining, strict=True))
    return Pricing(
        subtotal_fen=subtotal,
        shipping_fen=max(shipping_fen, 0),
        goods_discount_fen=sum(line_discounts),
        shipping_discount_fen=max(shipping_fen, 0) - shipping_left,
        floor_fen=floor,
        line_discounts_fen=line_discounts,
        adjustments=tuple(adjustments),
        points_used=points_used,
        refused=tuple(refused),
    )


def best_combination(*, offers: Sequence[Offer], **pricing: object) -> tuple[str, ...]:
    """The coupon ids that together save most under the rules (ties: fewer coupons, then the
    ones listed first). ``pricing`` are ``price_order``'s other arguments."""
    alone: list[tuple[int, int, Offer]] = []
    for index, offer in enumerate(offers):
        result = price_order(offers=[offer], **pricing)  # type: ignore[arg-type]
        saving = result.coupon_fen(offer.coupon_id)
        if saving > 0 and not result.refused:
            alone.append((saving, index, offer))
    candidates = [o for _s, _i, o in sorted(alone, key=lambda t: (-t[0], t[1]))[:BEST_OF]]
    best: tuple[int, int, tuple[str, ...]] = (0, 0, ())
    for size in range(1, min(len(candidates), MAX_COUPONS_PER_ORDER) + 1):
        for combo in combinations(candidates, size):
            if combination_problem(combo) is not None:
                continue
            result = price_order(offers=combo, **pricing)  # type: ignore[arg-type]
            if result.refused:
                continue
            if result.saving_fen > best[0]:
                best = (result.saving_fen, size, tuple(o.coupon_id for o in combo))
    return best[2]
