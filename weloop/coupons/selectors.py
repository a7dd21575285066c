"""Reads of coupons: templates, a member's card pack, what an order could use, statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.coupons.calculations import Offer
from weloop.coupons.enums import CouponStatus, TemplateStatus
from weloop.coupons.models import Coupon, CouponTemplate, PricingPolicy
from weloop.tenants.models import Merchant


def offer_of(coupon: Coupon) -> Offer:
    """The coupon as calculations.price_order sees it."""
    t = coupon.template
    return Offer(
        coupon_id=coupon.public_id,
        kind=t.kind,
        label=t.name,
        amount_fen=t.amount_fen,
        percent_bps=t.percent_bps,
        cap_fen=t.cap_fen,
        threshold_fen=t.threshold_fen,
        product_ids=frozenset(t.product_ids or ()),
        free_sku_id=t.free_sku_id,
        stacking_group=t.stacking_group,
        combinable=t.combinable,
    )


def template_list(*, merchant: Merchant, status: str = "") -> QuerySet[CouponTemplate]:
    qs = CouponTemplate.objects.for_merchant(merchant)
    return qs.filter(status=status) if status else qs


def template_get(*, merchant: Merchant, template_id: str) -> CouponTemplate:
    return get_or_not_found(
        CouponTemplate.objects.for_merchant(merchant), what="coupon template", public_id=template_id
    )


def template_by_claim_token(*, merchant: Merchant, claim_token: str) -> CouponTemplate:
    return get_or_not_found(
        CouponTemplate.objects.for_merchant(merchant).filter(claimable=True),
        what="coupon template",
        claim_token=str(claim_token or "") or "-",
    )


def template_stats(*, merchant: Merchant, template: CouponTemplate) -> dict[str, int]:
    """Issued, by status, and budget left."""
    by_status = dict(
        Coupon.objects.for_merchant(merchant).filter(template=template).values_list("status").annotate(n=Count("id"))
    )
    return {
        "issued": template.issued_count,
        "budget_left": -1 if template.budget is None else template.budget - template.issued_count,
        **{s: int(by_status.get(s, 0)) for s in CouponStatus.values},
    }


def coupon_list(
    *, merchant: Merchant, template_id: str = "", status: str = "", channel: str = "", member_id: str = ""
) -> QuerySet[Coupon]:
    qs = Coupon.objects.for_merchant(merchant).select_related("template", "member")
    if template_id:
        qs = qs.filter(template__public_id=template_id)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if member_id:
        qs = qs.filter(member__public_id=member_id)
    return qs


def coupon_get(*, merchant: Merchant, coupon_id: str) -> Coupon:
    return get_or_not_found(
        Coupon.objects.for_merchant(merchant).select_related("template", "member"), what="coupon", public_id=coupon_id
    )


def member_coupon_get(*, merchant: Merchant, member: Any, coupon_id: str) -> Coupon:
    return get_or_not_found(
        Coupon.objects.for_merchant(merchant).filter(member_id=member.pk).select_related("template"),
        what="coupon",
        public_id=coupon_id,
    )


@dataclass(frozen=True)
class CardPack:
    available: list[Coupon]
    used: list[Coupon]
    expired: list[Coupon]


def member_card_pack(*, merchant: Merchant, member: Any, now: datetime | None = None) -> CardPack:
    """A member's coupons: usable now (and locked in unpaid orders), used, expired or void."""
    now = now or clock.now()
    coupons = list(
        Coupon.objects.for_merchant(merchant)
        .filter(member_id=member.pk)
        .select_related("template")
        .order_by("valid_until", "id")[:500]
    )
    available = [
        c for c in coupons if c.status in (CouponStatus.AVAILABLE, CouponStatus.LOCKED) and c.valid_until > now
    ]
    used = [c for c in coupons if c.status == CouponStatus.USED]
    expired = [c for c in coupons if c not in available and c not in used]
    return CardPack(available=available, used=used[::-1], expired=expired[::-1])


def member_usable_coupons(
    *, merchant: Merchant, member: Any, store_id: str = "", now: datetime | None = None
) -> list[Coupon]:
    """The member's coupons that an order (in ``store_id``) could use now, before the maths."""
    now = now or clock.now()
    coupons = (
        Coupon.objects.for_merchant(merchant)
        .filter(member_id=member.pk, status=CouponStatus.AVAILABLE, valid_from__lte=now, valid_until__gt=now)
        .select_related("template")
        .order_by("valid_until", "id")[:100]
    )
    return [c for c in coupons if not c.template.store_ids or store_id in c.template.store_ids]


def claimable_templates(*, merchant: Merchant) -> QuerySet[CouponTemplate]:
    now = clock.now()
    return CouponTemplate.objects.for_merchant(merchant).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now), status=TemplateStatus.ACTIVE, claimable=True
    )


def coupons_of_order(*, merchant: Merchant, order_no: str) -> list[Coupon]:
    return list(Coupon.objects.for_merchant(merchant).filter(order_no=order_no).select_related("template"))


def pricing_floor(*, merchant: Merchant) -> tuple[int, int]:
    """(floor_fen, floor_bps) of the merchant: ¥0.01 and no share unless they set one."""
    policy = PricingPolicy.objects.for_merchant(merchant).first()
    return (policy.floor_fen, policy.floor_bps) if policy else (1, 0)


def templates_by_ids(*, merchant: Merchant, template_ids: Sequence[str]) -> dict[str, CouponTemplate]:
    return {
        t.public_id: t for t in CouponTemplate.objects.for_merchant(merchant).filter(public_id__in=list(template_ids))
    }
