"""The whole path over real HTTP: an order-paid event -> a template message at the simulated WeChat,
visible in the simulator's sent log -> TEMPLATESENDJOBFINISH pushed back to the callback -> delivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due, publish
from weloop.members.selectors import member_find_by_openid
from weloop.messaging.enums import NotificationKind, NotificationStatus
from weloop.messaging.models import Notification
from weloop.messaging.notifications import TemplateInput, notifications_send_due, template_set
from weloop.simulator import phone
from weloop.simulator.accounts import account_for_appid
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimOutboundMessage, SimUser

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still not true after {timeout} s")


def follower_on_the_phone(new_merchant, base: str, nickname: str, *, blocks_templates: bool = False) -> SimUser:
    account = account_for_appid(new_merchant.wechat.appid)
    user = phone.user_create(account=account, nickname=nickname, simulator_base=base + "/simulator")
    if blocks_templates:
        user.blocks_templates = True
        user.save(update_fields=["blocks_templates"])
    phone.follow(account=account, user=user)
    # the follow is pushed to the platform's callback, which creates the member
    wait_for(
        lambda: (m := member_find_by_openid(merchant=new_merchant.merchant, openid=user.openid)) and m.is_following
    )
    return user


def tell_payment(merchant, member, order_no: str) -> Notification:
    payload = {"order_no": order_no, "member_id": member.public_id, "openid": member.openid, "total_fen": 1990}
    publish(merchant=merchant, name="orders.order_paid", payload=payload)
    deliver_due()
    notification = Notification.objects.for_merchant(merchant).get(dedup_key=f"payment_succeeded:{order_no}")
    # The queue (immediate in tests) sent it already, unless a busy machine made the call time out:
    # then it waits for its retry, which we bring forward.
    for _ in range(5):
        notification.refresh_from_db()
        if notification.status != NotificationStatus.PENDING or notification.errcode == 45009:
            break
        Notification.objects.filter(pk=notification.pk).update(next_attempt_at=clock.now())
        notifications_send_due()
    return notification


@pytest.fixture
def mapped(simulated_wechat, new_merchant):
    template_set(
        merchant=new_merchant.merchant,
        data=TemplateInput(
            kind=NotificationKind.PAYMENT_SUCCEEDED,
            template_id="TPL_PAYMENT_OK",
            fields={"keyword1": "{order_no}", "keyword2": "{total}"},
        ),
    )
    return simulated_wechat


def test_order_paid_reaches_the_phone_as_a_template_and_is_reported_delivered(mapped, new_merchant):
    merchant = new_merchant.merchant
    user = follower_on_the_phone(new_merchant, mapped, "小麦")
    member = member_find_by_openid(merchant=merchant, openid=user.openid)
    notification = tell_payment(merchant, member, "O2026000000001")
    # the simulator's sent log holds the template message, with our rendered fields
    sent = SimOutboundMessage.objects.get(user=user, kind=OutboundKind.TEMPLATE)
    assert sent.body["template_id"] == "TPL_PAYMENT_OK"
    assert sent.body["data"] == {"keyword1": {"value": "O2026000000001"}, "keyword2": {"value": "¥19.90"}}
    assert str(sent.msgid) == Notification.objects.get(pk=notification.pk).msg_id
    # WeChat's TEMPLATESENDJOBFINISH comes back through the callback and settles it
    wait_for(lambda: Notification.objects.get(pk=notification.pk).status == NotificationStatus.DELIVERED)


def test_a_user_who_blocked_templates_is_reported_as_user_block(mapped, new_merchant):
    merchant = new_merchant.merchant
    user = follower_on_the_phone(new_merchant, mapped, "不打扰", blocks_templates=True)
    member = member_find_by_openid(merchant=merchant, openid=user.openid)
    notification = tell_payment(merchant, member, "O2026000000002")
    wait_for(lambda: Notification.objects.get(pk=notification.pk).status == NotificationStatus.FAILED)
    assert Notification.objects.get(pk=notification.pk).reason == "user block"


def test_the_simulator_answers_45009_past_the_daily_quota(mapped, new_merchant, settings):
    settings.SIMULATOR_TEMPLATE_DAILY_QUOTA = 0
    merchant = new_merchant.merchant
    user = follower_on_the_phone(new_merchant, mapped, "配额")
    member = member_find_by_openid(merchant=merchant, openid=user.openid)
    notification = tell_payment(merchant, member, "O2026000000003")
    waiting = Notification.objects.get(pk=notification.pk)
    assert (waiting.status, waiting.errcode) == (NotificationStatus.PENDING, 45009)
    assert not SimOutboundMessage.objects.filter(user=user, kind=OutboundKind.TEMPLATE).exists()
