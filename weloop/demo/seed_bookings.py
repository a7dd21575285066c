"""Demo step "bookings": a latte-art session (paid at the store), a baking class (deposit, a room
for six), a custom-cake consultation (opens a lead), resources with weekly shifts, a few bookings
in different states, a lead and a goods reservation to pay and collect in the first store."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from weloop.bookings import services as bookings
from weloop.bookings.calculations import Shift
from weloop.bookings.services import ResourceInput, ServiceInput
from weloop.catalog.models import Sku
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.models import Order
from weloop.tenants.models import StaffMember


def seed_bookings(ctx: Any) -> None:
    merchant = ctx.merchant
    if not ctx.stores:
        return
    store = ctx.stores[0]
    every_day = [Shift(w, time(9), time(18)) for w in range(7)]
    barista = bookings.resource_create(
        merchant=merchant, data=ResourceInput(store=store, kind="staff", name="Lily 咖啡师"), shifts=every_day
    )
    bookings.resource_create(
        merchant=merchant, data=ResourceInput(store=store, kind="staff", name="Tom 裱花师"), shifts=every_day
    )
    room = bookings.resource_create(
        merchant=merchant,
        data=ResourceInput(store=store, kind="room", name="烘焙教室", capacity=6, slot_minutes=60),
        shifts=[Shift(w, time(10), time(17)) for w in (5, 6)] + [Shift(w, time(14), time(17)) for w in range(5)],
    )
    latte = bookings.service_create(
        merchant=merchant,
        data=ServiceInput(
            name="咖啡拉花体验 Latte art",
            duration_minutes=60,
            price_fen=9800,
            payment_mode="at_store",
            resource_kind="staff",
            free_cancel_hours=2,
            description="一对一，60 分钟。",
        ),
        stores=[store],
        actor="demo",
    )
    baking = bookings.service_create(
        merchant=merchant,
        data=ServiceInput(
            name="周末烘焙课 Baking class",
            duration_minutes=120,
            price_fen=29800,
            payment_mode="deposit",
            deposit_fen=5000,
            resource_kind="room",
            free_cancel_hours=24,
            description="6 人小班；定金 ¥50，开课前 24 小时内取消不退定金。",
        ),
        stores=[store],
        actor="demo",
    )
    consult = bookings.service_create(
        merchant=merchant,
        data=ServiceInput(
            name="定制蛋糕咨询 Custom cake consultation",
            duration_minutes=30,
            price_fen=0,
            payment_mode="at_store",
            resource_kind="staff",
            is_consultation=True,
            free_cancel_hours=0,
        ),
        stores=list(ctx.stores[:2]),
        actor="demo",
    )
    members = list(Member.objects.for_merchant(merchant).order_by("id")[:4])
    if len(members) < 3:
        return
    day = timezone.localdate() + timedelta(days=1)

    def at(h: int, m: int = 0, on: Any = day) -> datetime:
        return timezone.make_aware(datetime.combine(on, time(h, m)))

    clerk = StaffMember.objects.filter(merchant=merchant).order_by("id").first()
    b1 = bookings.booking_create(
        merchant=merchant,
        member=members[0],
        service=latte,
        resource=barista,
        starts_at=at(10),
        actor="demo",
        contact_name="陈女士",
        contact_phone="13800000001",
    )
    b2 = bookings.booking_create(
        merchant=merchant, member=members[1], service=latte, resource=barista, starts_at=at(14), actor="demo"
    )
    bookings.booking_complete(merchant=merchant, booking=b2, actor="demo")
    class_day = day + timedelta(days=(5 - day.weekday()) % 7)  # the next Saturday
    b3 = bookings.booking_create(
        merchant=merchant,
        member=members[2],
        service=baking,
        resource=room,
        starts_at=at(10, on=class_day),
        actor="demo",
    )
    if clerk is not None:
        order = Order.objects.for_merchant(merchant).get(order_no=b3.order_no)
        orders.order_pay_at_counter(merchant=merchant, order=order, method="offline_cash", staff=clerk)
        bookings.booking_confirm_paid(merchant=merchant, order_no=b3.order_no)
    bookings.booking_create(  # waiting for its deposit
        merchant=merchant,
        member=members[0],
        service=baking,
        resource=room,
        starts_at=at(10, on=class_day),
        actor="demo",
    )
    visit = bookings.booking_create(
        merchant=merchant,
        member=members[1],
        service=consult,
        resource=barista,
        starts_at=at(16),
        actor="demo",
        contact_name="王先生",
        contact_phone="13800000002",
        interest="婚礼三层蛋糕，约 80 人",
    )
    lead = visit.lead  # type: ignore[attr-defined]
    bookings.lead_move(merchant=merchant, lead=lead, to="contacted", actor="demo", note="电话确认口味")
    bookings.lead_create(
        merchant=merchant,
        name="李小姐",
        phone="13800000003",
        store=store,
        interest="公司年会 200 份甜点台",
        actor="demo",
    )
    _ = b1
    # reserve online, pay and collect in the store: a SKU that has stock in the first store
    pool = (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=PoolKind.GOODS_STOCK, location__store=store, capacity__gt=5)
        .order_by("id")
        .first()
    )
    if pool is not None:
        sku = Sku.objects.for_merchant(merchant).get(public_id=pool.subject.split(":", 1)[1])
        bookings.reservation_create(
            merchant=merchant, member=members[2], store=store, sku=sku, quantity=2, actor="demo"
        )
