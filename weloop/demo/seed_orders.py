"""Demo step "order states": orders in every state the console and the clerk page deal with.

After the "orders" step (a paid pickup, a shipped delivery, an unpaid order), this adds: a paid
delivery waiting to be shipped, a pickup order ready at the counter, a refunded order, a paid
delivery whose member asked for after-sales, and a virtual top-up delivered as codes. Everything
goes through the orders services and is paid in cash at the counter (applied at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from weloop.catalog.models import Sku
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.models import Order
from weloop.tenants.models import StaffMember

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def _paid(merchant, order: Order, clerk: StaffMember) -> Order:  # type: ignore[no-untyped-def]
    orders.order_pay_at_counter(merchant=merchant, order=order, method="offline_cash", staff=clerk)
    return Order.objects.for_merchant(merchant).get(pk=order.pk)


def seed_order_states(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    buyers = list(Member.objects.for_merchant(merchant).order_by("id")[:3])
    if len(buyers) < 3 or len(ctx.stores) < 2:
        return
    clerk = StaffMember.objects.for_merchant(merchant).get(user__username="demo-clerk")
    sku = {s.code: s for s in Sku.objects.for_merchant(merchant)}
    address = orders.Address(
        name="韩梅梅", phone="13900139000", city="深圳市", district="福田区", detail="深南大道 6008 号"
    )
    delivery = orders.Fulfilment(type="delivery", address=address)

    # Paid, waiting to be shipped (the warehouse stock comes from the "orders" step).
    waiting = orders.checkout_place(
        merchant=merchant,
        member=buyers[1],
        lines=[orders.LineInput(sku["BR-TOAST-WW"].public_id, 1)],
        fulfilment=delivery,
        actor="demo",
    )
    _paid(merchant, waiting, clerk)

    # Ready for pickup at the flagship: its code was shown once, when it was marked ready.
    pickup = orders.order_valet_create(
        merchant=merchant,
        staff=clerk,
        member_openid=buyers[2].openid,
        lines=[orders.LineInput(sku["BR-CROISSANT"].public_id, 1)],
        fulfilment=orders.Fulfilment(type="pickup", store=ctx.stores[0]),
    )
    orders.order_mark_ready_for_pickup(merchant=merchant, order=_paid(merchant, pickup, clerk), actor="demo")

    # Refunded in full (a counter payment is refunded at the counter: settled at once).
    refunded = orders.checkout_place(
        merchant=merchant,
        member=buyers[0],
        lines=[orders.LineInput(sku["CF-AMER-M-HOT"].public_id, 1)],
        fulfilment=orders.Fulfilment(type="pickup", store=ctx.stores[1]),
        actor="demo",
    )
    refunded = _paid(merchant, refunded, clerk)
    refund = orders.order_refund(
        merchant=merchant, order=refunded, amount_fen=refunded.total_fen, reason="顾客取消", actor="demo"
    )
    with transaction.atomic():  # what the refund event's handler does, now rather than from the queue
        orders.order_refund_settle(merchant=merchant, out_refund_no=refund.out_refund_no, succeeded=True, actor="demo")

    # Delivered bread that arrived squashed: the member asks for part of the money back.
    complaint = orders.checkout_place(
        merchant=merchant,
        member=buyers[0],
        lines=[orders.LineInput(sku["BR-TOAST-WW"].public_id, 2)],
        fulfilment=delivery,
        actor="demo",
    )
    complaint = _paid(merchant, complaint, clerk)
    orders.order_ship(merchant=merchant, order=complaint, carrier="顺丰速运", tracking_no="SF1000000002", actor="demo")
    orders.aftersales_request(
        merchant=merchant,
        order=complaint,
        member=buyers[0],
        kind="refund_only",
        amount_fen=min(500, complaint.total_fen),
        reason="面包压坏了",
    )

    # A stored-value top-up: paid, delivered as a code, completed without shipping.
    topup = orders.checkout_place(
        merchant=merchant,
        member=buyers[1],
        lines=[orders.LineInput(sku["GC-TOPUP-100"].public_id, 1)],
        fulfilment=orders.Fulfilment(type="virtual"),
        actor="demo",
    )
    _paid(merchant, topup, clerk)
