"""What an order costs after the member level, coupons and points: the checkout's price engine.

The maths (application order, stacking, floor, per-line split) is ``coupons.calculations``; this
module gathers its inputs (the member's chosen coupons, their level benefits and points balance,
the merchant's floor), refuses coupons that do not apply with a reason, suggests the best
combination, and — inside the order's transaction — locks the coupons, spends the points and
records the breakdown as ``OrderDiscount`` rows.

Level benefits and points come from ``loyalty`` (same layer as coupons, below orders):
``loyalty.selectors.checkout_benefits`` and ``loyalty.services.points_spend / points_return``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from weloop.core import clock
from weloop.core.errors import ValidationFailed
from weloop.coupons import selectors as coupon_selectors
from weloop.coupons import services as coupon_services
from weloop.coupons.calculations import Offer, PriceLine, Pricing, best_combination, combination_problem, price_order
from weloop.coupons.errors import CouponNotUsable, CouponsDoNotCombine, CouponThresholdNotMet, UnknownCoupon
from weloop.coupons.models import Coupon
from weloop.orders.models import Order, OrderDiscount
from weloop.tenants.models import Merchant


class InvalidPoints(ValidationFailed):
    code = "orders.invalid_points"
    message = "The number of points is a whole number of at least 0."


@dataclass(frozen=True)
class Benefits:
    level_name: str = ""
    discount_bps: int = 0
    free_shipping: bool = False
    points_balance: int = 0
    fen_per_point: int = 1
    max_points_share_bps: int = 0


def member_benefits(*, merchant: Merchant, member: Any) -> Benefits:
    """The member's level discount, free shipping and points (none when loyalty is not set up)."""
    try:
        from weloop.loyalty.selectors import checkout_benefits
    except ImportError:  # the loyalty app has no selectors yet
        return Benefits()
    b = checkout_benefits(merchant=merchant, member=member)
    return Benefits(
        level_name=str(b.level_name or ""),
        discount_bps=int(b.discount_bps or 0),
        free_shipping=bool(b.free_shipping),
        points_balance=int(b.points_balance or 0),
        fen_per_point=int(b.fen_per_point or 0),
        max_points_share_bps=int(b.max_points_share_bps or 0),
    )


@dataclass(frozen=True)
class Quote:
    pricing: Pricing
    benefits: Benefits
    coupons: tuple[Coupon, ...] = ()
    points_asked: int = 0


def _points(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidPoints(extra={"field": "points"})
    return value


def chosen_coupons(
    *, merchant: Merchant, member: Any, coupon_ids: Sequence[str], store_id: str = "", lock: bool = False
) -> list[Coupon]:
    """The member's coupons ``coupon_ids``, each usable now (in ``store_id``) and combinable.

    Raises UnknownCoupon, CouponNotUsable / CouponExpired / CouponAlreadyUsed / CouponWrongStore,
    CouponsDoNotCombine. ``lock`` takes row locks (in pk order) for the caller's transaction.
    """
    ids = list(dict.fromkeys(str(c) for c in coupon_ids or ()))
    if not ids:
        return []
    qs = Coupon.objects.for_merchant(merchant).filter(public_id__in=ids, member_id=member.pk)
    coupons = list((qs.select_for_update() if lock else qs).select_related("template").order_by("pk"))
    if len(coupons) != len(ids):
        missing = sorted(set(ids) - {c.public_id for c in coupons})
        raise UnknownCoupon("No such coupon.", extra={"coupon_ids": missing})
    now = clock.now()
    for coupon in coupons:
        coupon_services.coupon_check_usable(coupon, now=now, store_id=store_id)
    problem = combination_problem([coupon_selectors.offer_of(c) for c in coupons])
    if problem:
        raise CouponsDoNotCombine(extra={"reason": problem})
    return coupons


def quote(
    *,
    merchant: Merchant,
    member: Any,
    lines: Sequence[PriceLine],
    shipping_fen: int,
    coupon_ids: Sequence[str] = (),
    points: int = 0,
    store_id: str = "",
    lock: bool = False,
) -> Quote:
    """Price ``lines`` for ``member`` with the coupons and points asked for.

    Raises the errors of ``chosen_coupons``, CouponThresholdNotMet / CouponNotUsable for a coupon
    that takes nothing off this order (so nobody spends a coupon for nothing), InvalidPoints.
    """
    points = _points(points)
    coupons = chosen_coupons(merchant=merchant, member=member, coupon_ids=coupon_ids, store_id=store_id, lock=lock)
    benefits = member_benefits(merchant=merchant, member=member)
    floor_fen, floor_bps = coupon_selectors.pricing_floor(merchant=merchant)
    pricing = price_order(
        lines=lines,
        shipping_fen=shipping_fen,
        offers=[coupon_selectors.offer_of(c) for c in coupons],
        level_discount_bps=benefits.discount_bps,
        level_label=benefits.level_name,
        free_shipping=benefits.free_shipping,
        points=min(points, benefits.points_balance),
        fen_per_point=benefits.fen_per_point,
        max_points_share_bps=benefits.max_points_share_bps,
        floor_fen=floor_fen,
        floor_bps=floor_bps,
    )
    if pricing.refused:
        coupon_id, reason = pricing.refused[0]
        if reason == "threshold_not_met":
            raise CouponThresholdNotMet(
                "The order does not reach this coupon's minimum spend.", extra={"coupon_id": coupon_id}
            )
        messages = {
            "no_eligible_goods": "This coupon is for products that are not in the order.",
            "no_shipping": "This order has no shipping fee for this coupon to waive.",
            "floor": "The order is already at its lowest price; this coupon would take nothing off.",
        }
        raise CouponNotUsable(messages.get(reason), extra={"coupon_id": coupon_id, "reason": reason})
    return Quote(pricing=pricing, benefits=benefits, coupons=tuple(coupons), points_asked=points)


@dataclass(frozen=True)
class CouponChoice:
    coupon: Coupon
    saving_fen: int  # what it saves alone (after the level discount)
    reason: str = ""  # why it does not apply to this order ("" when it does)


@dataclass(frozen=True)
class Suggestions:
    choices: list[CouponChoice] = field(default_factory=list)
    best_ids: tuple[str, ...] = ()


def suggest(
    *, merchant: Merchant, member: Any, lines: Sequence[PriceLine], shipping_fen: int, store_id: str = ""
) -> Suggestions:
    """The member's usable coupons with what each saves on these lines, and the best combination."""
    coupons = coupon_selectors.member_usable_coupons(merchant=merchant, member=member, store_id=store_id)
    if not coupons or not lines:
        return Suggestions(choices=[CouponChoice(c, 0, "no_goods") for c in coupons])
    benefits = member_benefits(merchant=merchant, member=member)
    floor_fen, floor_bps = coupon_selectors.pricing_floor(merchant=merchant)
    context: dict[str, Any] = {
        "lines": list(lines),
        "shipping_fen": shipping_fen,
        "level_discount_bps": benefits.discount_bps,
        "level_label": benefits.level_name,
        "free_shipping": benefits.free_shipping,
        "floor_fen": floor_fen,
        "floor_bps": floor_bps,
    }
    offers: list[Offer] = [coupon_selectors.offer_of(c) for c in coupons]
    choices = []
    for coupon, offer in zip(coupons, offers, strict=True):
        result = price_order(offers=[offer], **context)
        reason = result.refused[0][1] if result.refused else ""
        choices.append(CouponChoice(coupon, result.coupon_fen(offer.coupon_id), reason))
    choices.sort(key=lambda c: (c.reason != "", -c.saving_fen, c.coupon.valid_until))
    return Suggestions(choices=choices, best_ids=best_combination(offers=offers, **context))


def discounts_record(*, merchant: Merchant, member: Any, order: Order, quoted: Quote, store_id: str = "") -> None:
    """Inside the order's transaction: lock the coupons for the order, spend the points and write
    the breakdown. Raises what ``coupons_lock`` and ``loyalty.points_spend`` raise (the order's
    transaction then writes nothing)."""
    pricing = quoted.pricing
    if quoted.coupons:
        coupon_services.coupons_lock(
            merchant=merchant,
            member=member,
            coupon_ids=[c.public_id for c in quoted.coupons],
            order_no=order.order_no,
            store_id=store_id,
        )
    if pricing.points_used:
        from weloop.loyalty.services import points_spend

        points_spend(merchant=merchant, member=member, points=pricing.points_used, ref=points_ref(order.order_no))
    OrderDiscount.objects.bulk_create(
        [
            OrderDiscount(
                merchant=merchant,
                order=order,
                source=a.source,
                ref=a.ref[:64],
                label=a.label[:120],
                stage=a.stage,
                goods_fen=a.goods_fen,
                shipping_fen=a.shipping_fen,
                points=a.points,
                line_shares=list(a.line_fen),
            )
            for a in pricing.adjustments
        ]
    )


def points_ref(order_no: str) -> str:
    return f"order:{order_no}"


def order_coupon_amounts(*, merchant: Merchant, order: Order) -> dict[str, int]:
    """What each coupon took off ``order`` (goods + shipping), by coupon public id."""
    amounts: dict[str, int] = {}
    for d in OrderDiscount.objects.for_merchant(merchant).filter(order=order, source="coupon"):
        amounts[d.ref] = amounts.get(d.ref, 0) + d.goods_fen + d.shipping_fen
    return amounts


def order_points_used(*, merchant: Merchant, order: Order) -> int:
    return sum(
        OrderDiscount.objects.for_merchant(merchant)
        .filter(order=order, source="points")
        .values_list("points", flat=True)
    )
