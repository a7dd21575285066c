from __future__ import annotations

from datetime import date

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.loyalty import selectors, services
from weloop.loyalty.errors import AlreadySignedIn, InsufficientPoints, ReasonRequired
from weloop.loyalty.models import MemberAccount, PointsEntry
from weloop.loyalty.services import LevelInput

pytestmark = pytest.mark.django_db


def freeze_time(text: str):
    from datetime import datetime

    from django.utils import timezone

    moment = datetime.fromisoformat(text if " " in text else text + " 12:00")
    return clock.frozen_at(timezone.make_aware(moment))


def balance(merchant, member) -> int:
    return selectors.account_of(merchant=merchant, member=member).points_balance


def lots_sum(merchant, member) -> int:
    return sum(PointsEntry.objects.for_merchant(merchant).filter(member=member).values_list("remaining", flat=True))


def test_checkout_benefits_without_anything_set_up(merchant, member):
    b = selectors.checkout_benefits(merchant=merchant, member=member)
    assert b.level_name == "" and b.discount_bps == 0 and b.points_balance == 0 and not b.free_shipping
    assert b.fen_per_point == 1 and b.max_points_share_bps == 5000


def test_benefits_follow_level_and_points(merchant, member):
    services.level_create(merchant=merchant, data=LevelInput(name="普通", growth_threshold=0))
    services.level_create(
        merchant=merchant, data=LevelInput(name="金卡", growth_threshold=10000, discount_bps=500, free_shipping=True)
    )
    services.points_for_order_paid(merchant=merchant, member=member, order_no="A1", paid_fen=12345)
    b = selectors.checkout_benefits(merchant=merchant, member=member)
    assert (b.level_name, b.discount_bps, b.free_shipping, b.points_balance) == ("金卡", 500, True, 123)
    assert OutboxEvent.objects.filter(name="loyalty.level_changed").count() == 1


def test_spend_is_idempotent_and_refuses_overdraft(merchant, member):
    services.points_adjust(merchant=merchant, member=member, delta=100, reason="gift")
    services.points_spend(merchant=merchant, member=member, points=60, ref="order:X")
    services.points_spend(merchant=merchant, member=member, points=60, ref="order:X")
    assert balance(merchant, member) == 40
    with pytest.raises(InsufficientPoints):
        services.points_spend(merchant=merchant, member=member, points=41, ref="order:Y")
    assert balance(merchant, member) == 40
    assert not PointsEntry.objects.filter(ref="order:Y").exists()


def test_return_gives_back_once(merchant, member):
    services.points_adjust(merchant=merchant, member=member, delta=100, reason="gift")
    services.points_spend(merchant=merchant, member=member, points=70, ref="order:X")
    assert services.points_return(merchant=merchant, member=member, ref="order:X") == 70
    assert services.points_return(merchant=merchant, member=member, ref="order:X") == 0
    assert services.points_return(merchant=merchant, member=member, ref="order:unknown") == 0
    assert balance(merchant, member) == 100 == lots_sum(merchant, member)


def test_spending_takes_the_lots_expiring_first_and_expiry_takes_the_rest(merchant, member):
    with freeze_time("2026-01-01"):
        services.points_earn(merchant=merchant, member=member, points=50, ref="a")
    with freeze_time("2026-03-01"):
        services.points_earn(merchant=merchant, member=member, points=50, ref="b")
        services.points_spend(merchant=merchant, member=member, points=30, ref="s")
    first, second = PointsEntry.objects.filter(ref__in=["a", "b"]).order_by("id")
    assert (first.remaining, second.remaining) == (20, 50)
    with freeze_time("2027-01-01"):  # 12 months (360 days) after January: the first lot lapses
        assert services.points_expire_due() == 20
        assert services.points_expire_due() == 0
    assert balance(merchant, member) == 50 == lots_sum(merchant, member)


def test_refund_reverses_points_and_growth_proportionally(merchant, member):
    services.level_create(merchant=merchant, data=LevelInput(name="普通", growth_threshold=0))
    services.level_create(merchant=merchant, data=LevelInput(name="银卡", growth_threshold=10000))
    services.points_for_order_paid(merchant=merchant, member=member, order_no="A1", paid_fen=20000)
    services.points_for_order_refunded(
        merchant=merchant, member=member, order_no="A1", total_fen=20000, refunded_fen=5000
    )
    services.points_for_order_refunded(
        merchant=merchant, member=member, order_no="A1", total_fen=20000, refunded_fen=5000
    )
    account = MemberAccount.objects.get(member=member)
    assert (account.points_balance, account.growth, account.level.name) == (150, 15000, "银卡")
    services.points_for_order_refunded(
        merchant=merchant, member=member, order_no="A1", total_fen=20000, refunded_fen=20000
    )
    account.refresh_from_db()
    assert (account.points_balance, account.growth, account.level.name) == (0, 0, "普通")


def test_daily_signin_once_per_day(merchant, member):
    with freeze_time("2026-05-01 09:00"):
        services.points_signin(merchant=merchant, member=member)
        with pytest.raises(AlreadySignedIn):
            services.points_signin(merchant=merchant, member=member)
    with freeze_time("2026-05-02 09:00"):
        services.points_signin(merchant=merchant, member=member)
    assert balance(merchant, member) == 10


def test_adjust_needs_a_reason_and_cannot_go_below_zero(merchant, member):
    with pytest.raises(ReasonRequired):
        services.points_adjust(merchant=merchant, member=member, delta=5, reason=" ")
    with pytest.raises(InsufficientPoints):
        services.points_adjust(merchant=merchant, member=member, delta=-5, reason="typo")


def test_birthday_gift_due_once_a_year(merchant, member):
    member.birthday = date(1990, 6, 1)
    member.save()
    services.level_create(
        merchant=merchant, data=LevelInput(name="普通", growth_threshold=0, birthday_template_id="cpt_X")
    )
    services.points_earn(merchant=merchant, member=member, points=1, ref="x")
    assert services.birthdays_due(today=date(2026, 6, 1)) == 1
    assert services.birthdays_due(today=date(2026, 6, 1)) == 0
    assert services.birthdays_due(today=date(2026, 6, 2)) == 0
    event = OutboxEvent.objects.get(name="loyalty.birthday_gift_due")
    assert event.payload == {"member_id": member.public_id, "template_id": "cpt_X", "year": 2026}
    assert services.birthdays_due(today=date(2027, 6, 1)) == 1


def test_earn_from_paid_order_and_review_events(merchant, member, sku, stock, place, pay):
    stock(sku, 5)
    order = place([(sku, 1)])
    pay(order)
    deliver_due()  # order_paid is published by the payment's own handler
    assert balance(merchant, member) == order.total_fen // 100
    assert MemberAccount.objects.get(member=member).growth == order.total_fen
