"""Demo step "referrals": two levels of friends, commission in every status and a payout statement.

The second demo follower was referred by the first, the third by the second. Ten days ago the third
bought at the last demo store (pickup, completed at the counter): its commission (level 1 to the second
follower, level 2 to the first) has left the refund window and is on statements, the first one
already paid in cash. A newer order of the third follower is still frozen. All through the services.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.models import Order
from weloop.referrals import services as referrals
from weloop.referrals.models import Referrer
from weloop.tenants.models import StaffMember

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def _pickup_bought(
    ctx: DemoContext, buyer: Member, clerk: StaffMember, codes: tuple[str, ...], *, complete: bool
) -> Order:
    merchant = ctx.merchant
    sku = {s.code: s for s in Sku.objects.for_merchant(merchant)}
    order = orders.order_valet_create(
        merchant=merchant,
        staff=clerk,
        member_openid=buyer.openid,
        lines=[orders.LineInput(sku[code].public_id, 1) for code in codes],
        fulfilment=orders.Fulfilment(type="pickup", store=ctx.stores[-1]),
    )
    orders.order_pay_at_counter(merchant=merchant, order=order, method="offline_cash", staff=clerk)
    order = Order.objects.for_merchant(merchant).get(pk=order.pk)
    if complete:
        order, code = orders.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="demo")
        orders.pickup_verify(merchant=merchant, store=ctx.stores[-1], code=code, staff=clerk)
    # What the outbox handlers do, now rather than from the queue (they are idempotent).
    referrals.commissions_accrue(merchant=merchant, order_no=order.order_no)
    referrals.commissions_schedule_unfreeze(merchant=merchant, order_no=order.order_no)
    return order


def seed_referrals(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    people = list(Member.objects.for_merchant(merchant).order_by("id")[:3])
    if len(people) < 3 or not ctx.stores:
        return
    clerk = StaffMember.objects.for_merchant(merchant).get(user__username="demo-clerk")
    first, second, third = people
    referrals.settings_update(
        merchant=merchant, enabled=True, level1_bps=500, level2_bps=100, attribution_days=30, freeze_days=7
    )
    with clock.travel(-timedelta(days=12)):
        referrals.binding_create(
            merchant=merchant, member=second, code=referrals.referrer_for_member(merchant=merchant, member=first).code
        )
        referrals.binding_create(
            merchant=merchant,
            member=third,
            code=referrals.referrer_for_member(merchant=merchant, member=second).code,
            source="poster",
        )
    with clock.travel(-timedelta(days=10)):
        _pickup_bought(ctx, third, clerk, ("BR-CROISSANT", "CF-LATTE-M-HOT"), complete=True)
    referrals.referrer_for_member(merchant=merchant, member=third)  # the third has shared too
    referrals.commissions_unfreeze_due()
    statements = referrals.statements_create_all(merchant=merchant, actor="demo")
    first_referrer = Referrer.objects.for_merchant(merchant).get(member=first)
    for statement in statements:
        if statement.referrer_id == first_referrer.pk:
            referrals.statement_mark_paid(
                merchant=merchant, statement=statement, method="cash", note="门店现金", actor="demo"
            )
    _pickup_bought(ctx, third, clerk, ("CF-LATTE-M-HOT",), complete=False)  # this one is still frozen
