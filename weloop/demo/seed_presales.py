"""Demo step "presales" (预售, 以销定产): one open presale with progress, one that succeeded (deposit
mode, one balance paid), one that failed and refunded everybody. All through the services; what
the outbox handlers would do is called directly (they are idempotent, the queue repeats it later).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.models import OrderRefund
from weloop.presales import services as presales
from weloop.presales.models import Presale, PresaleEntry
from weloop.presales.services import PresaleInput
from weloop.tenants.models import StaffMember

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def _join_and_pay(
    ctx: DemoContext, presale: Presale, member: Member, quantity: int, clerk: StaffMember
) -> PresaleEntry:
    merchant = ctx.merchant
    entry = presales.presale_join(merchant=merchant, presale=presale, member=member, quantity=quantity, actor="demo")
    orders.order_pay_at_counter(merchant=merchant, order=entry.order, method="offline_cash", staff=clerk)
    presales.entry_order_paid(merchant=merchant, order_no=entry.order.order_no)  # the order_paid handler
    return entry


def _settle_refunds(ctx: DemoContext, presale: Presale) -> None:
    """A counter payment is refunded at the counter: settle at once, as the refund handlers would."""
    merchant = ctx.merchant
    for refund in OrderRefund.objects.for_merchant(merchant).filter(
        order__channel=presales.CHANNEL, reason=presales.REFUND_REASON, status="pending"
    ):
        with transaction.atomic():
            orders.order_refund_settle(
                merchant=merchant, out_refund_no=refund.out_refund_no, succeeded=True, actor="demo"
            )
        order = refund.order
        order.refresh_from_db()
        presales.entry_order_refunded(merchant=merchant, order_no=order.order_no, order_status=order.status)


def seed_presales(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    skus = list(Sku.objects.for_merchant(merchant).filter(is_active=True, product__status="active").order_by("-id")[:3])
    people = list(Member.objects.for_merchant(merchant).order_by("id")[:6])
    clerk = StaffMember.objects.for_merchant(merchant).filter(user__username="demo-clerk").first()
    if len(skus) < 3 or len(people) < 4 or clerk is None or not ctx.stores:
        return
    store = ctx.stores[0]

    # Open: 全款预售, target 30, 7 units paid by three members, one order waiting for payment.
    open_presale = presales.presale_create(
        merchant=merchant,
        data=PresaleInput(
            sku=skus[0],
            mode="full",
            price_fen=max(skus[0].price_fen * 8 // 10, 1),
            target_quantity=30,
            max_quantity=60,
            per_member_limit=5,
            deadline=clock.now() + timedelta(days=6),
            lead_time_text="成团后 10 天内到店自提",
            title="新品预售：手工季节限定",
            description="满 30 份开工制作；未成团全额退款。",
            store=store,
        ),
        actor="demo",
        open_now=True,
    )
    for member, quantity in zip(people[:3], (3, 2, 2), strict=True):
        _join_and_pay(ctx, open_presale, member, quantity, clerk)
    presales.presale_join(merchant=merchant, presale=open_presale, member=people[3], quantity=1, actor="demo")

    # Succeeded (定金预售): target 3 met by the deadline three days ago; one balance paid, one due.
    with clock.travel(-timedelta(days=10)):
        deposit = presales.presale_create(
            merchant=merchant,
            data=PresaleInput(
                sku=skus[1],
                mode="deposit",
                price_fen=max(skus[1].price_fen, 200),
                deposit_fen=max(skus[1].price_fen, 200) // 5,
                target_quantity=3,
                per_member_limit=3,
                deadline=clock.now() + timedelta(days=7),
                balance_window_hours=24 * 7,
                lead_time_text="尾款付清后 7 天内发货",
                title="定金预售：冬季礼盒",
                description="定金可在未成团时全额退回；成团后未在 7 天内支付尾款的，定金不退。",
                store=store,
            ),
            actor="demo",
            open_now=True,
        )
        first = _join_and_pay(ctx, deposit, people[0], 2, clerk)
        _join_and_pay(ctx, deposit, people[1], 1, clerk)
    with clock.travel(-timedelta(days=3)):
        presales.presale_settle(merchant=merchant, presale=deposit, actor="demo")
    first.refresh_from_db()
    balance = presales.presale_balance_order(merchant=merchant, entry=first, member=people[0], actor="demo")
    orders.order_pay_at_counter(merchant=merchant, order=balance, method="offline_cash", staff=clerk)
    presales.entry_order_paid(merchant=merchant, order_no=balance.order_no)

    # Failed and refunded: target 50, two members paid, deadline two days ago: everybody refunded.
    with clock.travel(-timedelta(days=9)):
        failed = presales.presale_create(
            merchant=merchant,
            data=PresaleInput(
                sku=skus[2],
                mode="full",
                price_fen=max(skus[2].price_fen, 100),
                target_quantity=50,
                deadline=clock.now() + timedelta(days=7),
                lead_time_text="成团后 15 天发货",
                title="众筹预售：限量周边（未成团）",
                store=store,
            ),
            actor="demo",
            open_now=True,
        )
        _join_and_pay(ctx, failed, people[2], 1, clerk)
        _join_and_pay(ctx, failed, people[3], 2, clerk)
    presales.presale_settle(merchant=merchant, presale=failed, actor="demo")
    _settle_refunds(ctx, failed)
    presales.presale_refunds_run(merchant=merchant, presale=failed, actor="demo")
