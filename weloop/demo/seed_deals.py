"""Demo deals for 麦田烘焙: a single-use café deal and a 10-visit salon punch card (from a partner
salon upstairs), each bought and paid by demo followers, one voucher redeemed, one card punched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from weloop.members.models import Member
from weloop.orders import deals
from weloop.orders import services as orders
from weloop.tenants.models import StaffMember
from weloop.vouchers import codes
from weloop.vouchers import services as vouchers
from weloop.vouchers.models import Voucher

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def _code(voucher: Voucher) -> str:
    return codes.unseal(voucher.code_sealed, voucher_id=voucher.public_id)


def seed_deals(ctx: DemoContext) -> None:
    """Two deals on sale; vouchers for demo followers (skipped without members, as in live mode)."""
    merchant = ctx.merchant
    cafe = deals.deal_launch(
        merchant=merchant,
        data=vouchers.DealInput(
            name="双人下午茶套餐 Afternoon tea for two",
            list_price_fen=12800,
            deal_price_fen=6990,
            valid_days=90,
            usage_rules="两杯饮品 + 两份甜点；周末通用，无需预约。\nTwo drinks and two pastries; weekends included.",
            per_member_limit=4,
            quota=500,
            platform_commission_bp=600,
            merchant_commission_bp=200,
        ),
        stores=ctx.stores[:3],
        description="任选两杯手冲或拿铁，搭配两份当日甜点。",
        actor="demo",
    )
    salon = deals.deal_launch(
        merchant=merchant,
        data=vouchers.DealInput(
            name="10 次洗吹护理次卡 Salon punch card (10 visits)",
            kind="punch",
            uses_per_voucher=10,
            list_price_fen=100000,
            deal_price_fen=68800,
            valid_days=365,
            usage_rules="每次一人，需提前预约。One person per visit, book ahead.",
            per_member_limit=1,
            quota=100,
            platform_commission_bp=500,
            merchant_commission_bp=300,
            refund_on_expiry=False,
        ),
        stores=[ctx.stores[0]],
        actor="demo",
    )
    for deal in (cafe, salon):
        deals.deal_change_status(merchant=merchant, deal_id=deal.public_id, status="active", actor="demo")
    buyers = list(Member.objects.for_merchant(merchant).order_by("id")[:2])
    if len(buyers) < 2:
        return
    clerk = StaffMember.objects.for_merchant(merchant).get(user__username="demo-clerk")
    bought = []
    for member, deal, quantity in ((buyers[0], cafe, 2), (buyers[1], salon, 1)):
        order = deals.deal_buy(
            merchant=merchant, member=member, deal_id=deal.public_id, quantity=quantity, actor="demo"
        )
        payment = orders.order_record_offline_payment(
            merchant=merchant, order=order, method="offline_cash", staff=clerk
        )
        orders.order_apply_payment(
            merchant=merchant,
            order_no=order.order_no,
            payment_id=payment.public_id,
            amount_fen=payment.amount_fen,
            actor="demo",
        )
        deals.deal_order_issue(merchant=merchant, order_no=order.order_no)
        bought.append(list(Voucher.objects.for_merchant(merchant).filter(order_no=order.order_no).order_by("seq")))
    actor = f"clerk:{clerk.user.get_username()}"
    vouchers.voucher_redeem(merchant=merchant, code=_code(bought[0][0]), store=ctx.stores[0], staff=clerk, actor=actor)
    vouchers.voucher_redeem(
        merchant=merchant, code=_code(bought[1][0]), store=ctx.stores[0], count=3, staff=clerk, actor=actor
    )
