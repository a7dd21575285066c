"""Demo step "loyalty": levels 普通 / 银卡 / 金卡 (discount, free shipping), earn rules with a top-up
bonus (充500送50), points and growth from the demo's paid orders (as the order_paid handler would),
a sign-in and a welcome adjustment for a few members, and a stored-value balance for the first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weloop.loyalty import services as loyalty
from weloop.loyalty.services import LevelInput
from weloop.members.models import Member
from weloop.orders.models import Order

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def seed_loyalty(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    loyalty.settings_update(
        merchant=merchant,
        points_per_yuan=1,
        points_per_review=10,
        points_daily_signin=5,
        expiry_months=12,
        fen_per_point=1,
        max_points_share_bps=5000,
        topup_bonuses=[{"min_fen": 50000, "bonus_fen": 5000}, {"min_fen": 100000, "bonus_fen": 12000}],
    )
    for name, threshold, discount, shipping in (
        ("普通", 0, 0, False),
        ("银卡", 50000, 300, False),
        ("金卡", 200000, 500, True),
    ):
        loyalty.level_create(
            merchant=merchant,
            data=LevelInput(name=name, growth_threshold=threshold, discount_bps=discount, free_shipping=shipping),
        )
    for order in Order.objects.for_merchant(merchant).filter(paid_at__isnull=False).select_related("member"):
        loyalty.points_for_order_paid(
            merchant=merchant, member=order.member, order_no=order.order_no, paid_fen=order.total_fen
        )
    members = list(Member.objects.for_merchant(merchant).order_by("id")[:5])
    for i, member in enumerate(members):
        loyalty.points_adjust(merchant=merchant, member=member, delta=100 * (i + 1), reason="开卡礼", actor="demo")
        loyalty.points_signin(merchant=merchant, member=member)
    if members:
        first = members[0]
        loyalty.value_topup(
            merchant=merchant, member=first, amount_fen=50000, method="cash", ref="demo-1", actor="demo"
        )
        loyalty.value_spend(merchant=merchant, member=first, amount_fen=3800, ref="demo-coffee", actor="demo")
        # a gold member for the card page: growth from a counter purchase
        loyalty.points_for_offline_purchase(
            merchant=merchant, member=first, amount_fen=250000, ref="demo-gold", actor="demo"
        )
