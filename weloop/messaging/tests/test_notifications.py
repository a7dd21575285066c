"""Notifications: channel choice and the customer-service window, dedup, preferences, retries, reports.

WeChat is replaced here by a recorder patched onto ``WeChatApi`` (no HTTP); the journey over real
HTTP to the simulator is in test_notifications_live.py.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due, publish
from weloop.core.models import StateTransition
from weloop.members.enums import TouchKind
from weloop.members.services import member_follow, member_touch
from weloop.messaging.enums import NotificationChannel, NotificationKind, NotificationStatus
from weloop.messaging.errors import InvalidNotificationTemplate
from weloop.messaging.inbound import inbound_handle
from weloop.messaging.models import Notification, NotificationSettings
from weloop.messaging.notifications import (
    BASE_BACKOFF,
    MAX_ATTEMPTS,
    QUOTA_BACKOFF,
    REASON_NO_CHANNEL,
    TemplateInput,
    notification_enqueue,
    notification_job_report,
    notifications_send_due,
    preference_set,
    settings_update,
    template_set,
)
from weloop.messaging.tests.builders import event_xml, parsed
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable

pytestmark = pytest.mark.django_db

_orders = itertools.count(1)
_msgids = itertools.count(900_000_001)


class Recorder:
    """Stands in for WeChat: records sends, or raises the queued errors one call at a time."""

    def __init__(self) -> None:
        self.templates: list[dict] = []
        self.texts: list[tuple[str, str]] = []
        self.errors: list[Exception] = []

    def _maybe_fail(self) -> None:
        if self.errors:
            raise self.errors.pop(0)

    def template_send(self, api, openid, template_id, data, url=None, client_msg_id=None):
        self._maybe_fail()
        msgid = next(_msgids)
        self.templates.append({"openid": openid, "template_id": template_id, "data": dict(data), "msgid": msgid})
        return msgid

    def custom_send_text(self, api, openid, content):
        self._maybe_fail()
        self.texts.append((openid, content))


@pytest.fixture
def wechat(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(WeChatApi, "template_send", lambda api, *a, **k: recorder.template_send(api, *a, **k))
    monkeypatch.setattr(WeChatApi, "custom_send_text", lambda api, *a, **k: recorder.custom_send_text(api, *a, **k))
    return recorder


@pytest.fixture
def follower(merchant):
    """A member who followed three days ago: no customer-service window is open."""
    return member_follow(merchant=merchant, openid="oFOLLOWER0000000000000000001", at=clock.now() - timedelta(days=3))


def said_hello(merchant, member, *, hours_ago):
    """The member sent a message ``hours_ago``: a 48 h window with 5 messages opened then."""
    at = clock.now() - timedelta(hours=hours_ago)
    member_touch(merchant=merchant, openid=member.openid, kind=TouchKind.MESSAGE, at=at)


def paid_payload(member, **extra):
    return {
        "order_no": f"O{next(_orders):012d}",
        "status": "paid",
        "member_id": member.public_id,
        "openid": member.openid,
        "total_fen": 3250,
        "store_id": None,
        **extra,
    }


def map_payment_template(merchant):
    return template_set(
        merchant=merchant,
        data=TemplateInput(
            kind=NotificationKind.PAYMENT_SUCCEEDED,
            template_id="TPL_PAID",
            fields={"keyword1": "{order_no}", "keyword2": "{total}"},
        ),
    )


def enqueue(merchant, member, kind=NotificationKind.PAYMENT_SUCCEEDED, **extra):
    return notification_enqueue(merchant=merchant, kind=kind, payload=paid_payload(member, **extra))


def fresh(notification):
    return Notification.objects.get(pk=notification.pk)


# --- channel choice and the window ---------------------------------------------------------------


def test_mapped_kind_is_sent_as_a_template_with_the_rendered_fields(merchant, follower, wechat):
    map_payment_template(merchant)
    notification = enqueue(merchant, follower)
    notifications_send_due()
    sent = fresh(notification)
    assert sent.status == NotificationStatus.SENT and sent.channel == NotificationChannel.TEMPLATE
    assert wechat.templates[0]["data"] == {"keyword1": notification.context["order_no"], "keyword2": "¥32.50"}
    assert sent.msg_id == str(wechat.templates[0]["msgid"]) and sent.attempts == 1


def test_unmapped_kind_inside_the_48h_window_goes_as_a_customer_service_message(merchant, follower, wechat):
    member_touch(
        merchant=merchant, openid=follower.openid, kind=TouchKind.MESSAGE, at=clock.now() - timedelta(hours=47)
    )
    notification = enqueue(merchant, follower)
    notifications_send_due()
    sent = fresh(notification)
    assert sent.status == NotificationStatus.DELIVERED and sent.channel == NotificationChannel.CUSTOMER_SERVICE
    assert wechat.texts and notification.context["order_no"] in wechat.texts[0][1]


def test_unmapped_kind_outside_every_window_fails_with_no_channel_and_calls_nobody(merchant, follower, wechat):
    member_touch(
        merchant=merchant, openid=follower.openid, kind=TouchKind.MESSAGE, at=clock.now() - timedelta(hours=49)
    )
    notification = enqueue(merchant, follower)
    notifications_send_due()
    failed = fresh(notification)
    assert (failed.status, failed.reason, failed.channel) == (NotificationStatus.FAILED, REASON_NO_CHANNEL, "")
    assert wechat.texts == [] and wechat.templates == []


def test_a_follow_opens_only_a_one_minute_window(merchant, wechat):
    member = member_follow(merchant=merchant, openid="oFRESH00000000000000000000001")
    first = enqueue(merchant, member)
    notifications_send_due()
    assert fresh(first).channel == NotificationChannel.CUSTOMER_SERVICE
    with clock.travel(timedelta(minutes=2)):
        late = enqueue(merchant, member)
        notifications_send_due()
    assert fresh(late).reason == REASON_NO_CHANNEL


def test_the_window_quota_of_five_after_a_message_is_respected(merchant, follower, wechat):
    said_hello(merchant, follower, hours_ago=1)
    rows = [enqueue(merchant, follower) for _ in range(6)]
    notifications_send_due()
    statuses = sorted(fresh(n).status for n in rows)
    assert statuses.count(NotificationStatus.DELIVERED) == 5 and statuses.count(NotificationStatus.FAILED) == 1
    assert len(wechat.texts) == 5


def test_a_paid_order_opens_an_unlimited_window(merchant, follower, wechat, place, sku, stock, pay):
    stock(sku, 10)
    order = place([(sku, 1)], who=follower)
    pay(order)
    deliver_due()  # orders.order_paid, published by the payment handler
    notifications_send_due()
    sent = Notification.objects.for_merchant(merchant).get(kind=NotificationKind.PAYMENT_SUCCEEDED)
    assert sent.channel == NotificationChannel.CUSTOMER_SERVICE and sent.status == NotificationStatus.DELIVERED


def test_a_member_who_does_not_follow_is_not_called(merchant, wechat):
    member = member_touch(merchant=merchant, openid="oNOTFOLLOWING000000000000001", kind=TouchKind.OAUTH).member
    map_payment_template(merchant)
    notification = enqueue(merchant, member)
    notifications_send_due()
    assert fresh(notification).status == NotificationStatus.FAILED and wechat.templates == []


# --- dedup and preferences -----------------------------------------------------------------------


def test_the_same_event_delivered_twice_notifies_once(merchant, follower, wechat):
    map_payment_template(merchant)
    payload = paid_payload(follower)
    publish(merchant=merchant, name="orders.order_paid", payload=payload)
    publish(merchant=merchant, name="orders.order_paid", payload=payload)
    deliver_due()
    notifications_send_due()
    assert Notification.objects.for_merchant(merchant).filter(kind=NotificationKind.PAYMENT_SUCCEEDED).count() == 1
    assert len(wechat.templates) == 1


def test_opted_out_kind_is_skipped_with_its_reason_and_other_kinds_still_go(merchant, follower, wechat):
    map_payment_template(merchant)
    preference_set(merchant=merchant, member=follower, muted=False, opted_out=[NotificationKind.PAYMENT_SUCCEEDED])
    skipped = enqueue(merchant, follower)
    shipped = enqueue(merchant, follower, kind=NotificationKind.ORDER_SHIPPED, shipment_id="sh_1", carrier="SF")
    notifications_send_due()
    assert (fresh(skipped).status, fresh(skipped).reason) == (
        NotificationStatus.SKIPPED,
        "member opted out of this kind",
    )
    assert fresh(shipped).status != NotificationStatus.SKIPPED
    assert wechat.templates == []


def test_a_muted_member_gets_nothing(merchant, follower, wechat):
    map_payment_template(merchant)
    preference_set(merchant=merchant, member=follower, muted=True, opted_out=[])
    assert enqueue(merchant, follower).status == NotificationStatus.SKIPPED


def test_merchant_switch_off_skips(merchant, follower):
    settings_update(merchant=merchant, is_enabled=False, customer_service_fallback=True, follow_prompt="")
    assert enqueue(merchant, follower).reason == "notifications are switched off"


# --- retries -------------------------------------------------------------------------------------


def test_a_busy_wechat_is_retried_with_backoff_then_succeeds(merchant, follower, wechat):
    map_payment_template(merchant)
    wechat.errors = [WeChatApiError(errcode=-1, errmsg="system busy"), WeChatUnavailable()]
    notification = enqueue(merchant, follower)
    start = clock.now()
    notifications_send_due()
    first = fresh(notification)
    assert (first.status, first.attempts, first.errcode) == (NotificationStatus.PENDING, 1, -1)
    assert first.next_attempt_at >= start + BASE_BACKOFF
    assert notifications_send_due() == 0  # not due yet
    with clock.travel(BASE_BACKOFF + timedelta(seconds=1)):
        notifications_send_due()
    second = fresh(notification)
    assert second.attempts == 2 and second.next_attempt_at >= start + BASE_BACKOFF * 3  # doubled
    with clock.travel(timedelta(minutes=5)):
        notifications_send_due()
    assert fresh(notification).status == NotificationStatus.SENT and len(wechat.templates) == 1


def test_quota_error_45009_backs_off_long_and_pauses_the_merchant(merchant, follower, wechat):
    map_payment_template(merchant)
    wechat.errors = [WeChatApiError(errcode=45009, errmsg="reach max api daily quota limit")]
    notification = enqueue(merchant, follower)
    start = clock.now()
    notifications_send_due()
    waiting = fresh(notification)
    assert waiting.status == NotificationStatus.PENDING and waiting.errcode == 45009
    assert waiting.next_attempt_at >= start + QUOTA_BACKOFF
    paused_until = NotificationSettings.objects.get(merchant=merchant).paused_until
    assert paused_until is not None and paused_until >= start + QUOTA_BACKOFF
    # another notification of the paused merchant waits too, without using an attempt
    other = enqueue(merchant, follower)
    assert notifications_send_due() == 0 and fresh(other).attempts == 0
    with clock.travel(QUOTA_BACKOFF + timedelta(minutes=1)):
        notifications_send_due()
    assert fresh(notification).status == NotificationStatus.SENT and fresh(other).status == NotificationStatus.SENT


def test_a_final_error_fails_at_once(merchant, follower, wechat):
    map_payment_template(merchant)
    wechat.errors = [WeChatApiError(errcode=40037, errmsg="invalid template_id")]
    notification = enqueue(merchant, follower)
    notifications_send_due()
    failed = fresh(notification)
    assert (failed.status, failed.errcode, failed.attempts) == (NotificationStatus.FAILED, 40037, 1)
    assert "invalid template_id" in failed.reason


def test_retries_stop_after_max_attempts(merchant, follower, wechat):
    map_payment_template(merchant)
    wechat.errors = [WeChatUnavailable() for _ in range(MAX_ATTEMPTS)]
    notification = enqueue(merchant, follower)
    for hour in range(MAX_ATTEMPTS):
        with clock.travel(timedelta(hours=3 * hour)):
            notifications_send_due()
    failed = fresh(notification)
    assert (failed.status, failed.attempts) == (NotificationStatus.FAILED, MAX_ATTEMPTS)


# --- TEMPLATESENDJOBFINISH -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected", "reason"),
    [
        ("success", NotificationStatus.DELIVERED, ""),
        ("failed:user block", NotificationStatus.FAILED, "user block"),
        ("failed: system failed", NotificationStatus.FAILED, "system failed"),
    ],
)
def test_job_report_through_the_callback_settles_the_notification(
    merchant, new_merchant, follower, wechat, status, expected, reason
):
    map_payment_template(merchant)
    notification = enqueue(merchant, follower)
    notifications_send_due()
    msg_id = fresh(notification).msg_id
    xml = event_xml(
        new_merchant.wechat.original_id, follower.openid, "TEMPLATESENDJOBFINISH", MsgID=msg_id, Status=status
    )
    inbound_handle(merchant=merchant, message=parsed(xml))
    settled = fresh(notification)
    assert (settled.status, settled.reason) == (expected, reason)
    machine = StateTransition.objects.filter(machine="notification", object_pk=str(notification.pk))
    assert list(machine.values_list("to_status", flat=True)) == [NotificationStatus.SENT, expected]


def test_a_report_that_overtakes_its_send_is_applied_when_the_send_is_recorded(merchant, follower, wechat):
    map_payment_template(merchant)
    notification = enqueue(merchant, follower)
    original = wechat.template_send

    def send_and_report(api, *args, **kwargs):
        msgid = original(api, *args, **kwargs)
        notification_job_report(merchant=merchant, msg_id=str(msgid), status="success")  # before we record it
        return msgid

    wechat.template_send = send_and_report  # type: ignore[method-assign]
    notifications_send_due(workers=1)
    assert fresh(notification).status == NotificationStatus.DELIVERED


def test_template_mapping_refuses_unknown_placeholders(merchant):
    with pytest.raises(InvalidNotificationTemplate) as caught:
        template_set(
            merchant=merchant,
            data=TemplateInput(kind=NotificationKind.PAYMENT_SUCCEEDED, template_id="T", fields={"k": "{nope}"}),
        )
    assert caught.value.extra["placeholder"] == "nope"
