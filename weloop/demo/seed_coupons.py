"""Demo step "coupons": templates of every kind (a claimable 满减, a capped percent-off, a follow
gift, free shipping, a birthday gift, a first-payment gift, a product-scoped one), coupons in a few
members' card packs, one used at a counter, one voided, and a ¥0.01 price floor.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from weloop.catalog.models import Product
from weloop.core import clock
from weloop.coupons import services as coupons
from weloop.coupons.services import TemplateInput
from weloop.members.models import Member

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def seed_coupons(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    coupons.pricing_policy_set(merchant=merchant, floor_fen=1, floor_bps=0)
    product = Product.objects.for_merchant(merchant).filter(status="active").order_by("id").first()
    month_end = clock.now() + timedelta(days=30)
    specs = [
        TemplateInput(
            name="满100减20",
            kind="threshold",
            amount_fen=2000,
            threshold_fen=10000,
            valid_until=month_end,
            budget=500,
            claimable=True,
            stacking_group="order",
            description="全场通用，每人限领1张",
        ),
        TemplateInput(
            name="9折券 最高减¥30",
            kind="percent_off",
            percent_bps=1000,
            cap_fen=3000,
            valid_days=14,
            stacking_group="order",
            per_member_limit=2,
        ),
        TemplateInput(
            name="关注有礼 ¥5", kind="amount_off", amount_fen=500, valid_days=30, on_follow=True, stacking_group="gift"
        ),
        TemplateInput(
            name="免运费券", kind="shipping", amount_fen=0, valid_days=30, stacking_group="shipping", claimable=True
        ),
        TemplateInput(
            name="生日券 ¥30",
            kind="amount_off",
            amount_fen=3000,
            threshold_fen=6000,
            valid_days=30,
            is_birthday=True,
            stacking_group="gift",
            per_member_limit=20,
        ),
        TemplateInput(
            name="首单返券 ¥10",
            kind="amount_off",
            amount_fen=1000,
            threshold_fen=3000,
            valid_days=30,
            on_first_payment=True,
            stacking_group="gift",
        ),
    ]
    if product is not None:
        specs.append(
            TemplateInput(
                name=f"{product.name} 立减¥3",
                kind="amount_off",
                amount_fen=300,
                valid_days=30,
                product_ids=[product.public_id],
                stacking_group="item",
            )
        )
    templates = [coupons.template_create(merchant=merchant, data=spec, actor="demo") for spec in specs]
    people = list(Member.objects.for_merchant(merchant).order_by("id")[:4])
    if not people:
        return
    for member in people:
        for template in (templates[0], templates[1], templates[3]):
            coupons.coupon_issue(
                merchant=merchant, template=template, member=member, channel="campaign", source_ref="demo"
            )
    used = coupons.coupon_issue(
        merchant=merchant, template=templates[2], member=people[0], channel="follow", source_ref="follow"
    )
    store_id = ctx.stores[0].public_id if ctx.stores else ""
    coupons.coupon_redeem_offline(
        merchant=merchant, code=used.code, amount_fen=3800, store_id=store_id, actor="demo-clerk"
    )
    if len(people) > 1:
        voided = coupons.coupon_issue(merchant=merchant, template=templates[2], member=people[1], channel="clerk")
        coupons.coupon_void(merchant=merchant, coupon_id=voided.public_id, actor="demo", reason="issued by mistake")
