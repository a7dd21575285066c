from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
import xmltodict
from django.db import connection

from weloop.core import clock
from weloop.core.models import OutboxEvent
from weloop.members.enums import MemberSource, QrCodeKind, TouchKind
from weloop.members.models import Member, MemberTouch, QrCode
from weloop.members.services import qr_code_create
from weloop.members.tests.factories import FakeQrApi
from weloop.messaging import inbound
from weloop.messaging.enums import Direction, LogStatus, MatchType, ReplyKind
from weloop.messaging.models import MessageLog
from weloop.messaging.services import (
    OutboundInput,
    ReplyInput,
    RuleInput,
    greeting_set,
    inbound_handle,
    message_log_outbound,
    rule_create,
)
from weloop.messaging.tests.builders import event_xml, message_xml, parsed, subscribe_xml, text_xml
from weloop.wechat.messages import SUCCESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(new_merchant) -> str:
    return new_merchant.wechat.original_id


def handle(merchant, xml: str) -> str:
    return inbound_handle(merchant=merchant, message=parsed(xml))


def reply_of(xml: str) -> dict:
    return xmltodict.parse(xml)["xml"]


def text_rule(merchant, keyword: str, text: str, match: str = MatchType.EXACT, priority: int = 0, active=True):
    return rule_create(
        merchant=merchant,
        data=RuleInput(
            keyword=keyword, match_type=match, priority=priority, is_active=active, reply=ReplyInput(text=text)
        ),
    )


# --- text and keyword rules ---------------------------------------------------------------------


def test_text_gets_the_exact_rule_before_a_contains_rule(merchant, account):
    text_rule(merchant, "hours", "contains-hours", MatchType.CONTAINS, priority=100)
    text_rule(merchant, "Hours", "We open at 8.")
    reply = reply_of(handle(merchant, text_xml(account, "o-1", " hours ")))
    assert (reply["MsgType"], reply["Content"]) == ("text", "We open at 8.")
    assert (reply["ToUserName"], reply["FromUserName"]) == ("o-1", account)


def test_text_gets_the_highest_priority_contains_rule(merchant, account):
    text_rule(merchant, "cake", "low", MatchType.CONTAINS, priority=1)
    text_rule(merchant, "cheese", "high", MatchType.CONTAINS, priority=5)
    text_rule(merchant, "cheesecake", "inactive", MatchType.CONTAINS, priority=9, active=False)
    assert reply_of(handle(merchant, text_xml(account, "o-1", "any cheesecake today?")))["Content"] == "high"
    assert reply_of(handle(merchant, text_xml(account, "o-1", "CUPCAKE")))["Content"] == "low"


def test_text_without_a_matching_rule_gets_success_and_creates_a_member(merchant, account):
    text_rule(merchant, "menu", "Here is the menu.")
    assert handle(merchant, text_xml(account, "o-1", "menus please")) == SUCCESS
    member = Member.objects.get(openid="o-1")
    assert (member.first_source, member.is_following) == (MemberSource.MESSAGE, True)
    log = MessageLog.objects.get()
    assert (log.direction, log.status, log.member, log.summary) == (
        Direction.IN,
        LogStatus.HANDLED,
        member,
        "menus please",
    )
    assert log.reply_xml == ""


def test_article_rule_replies_with_one_article(merchant, account):
    rule_create(
        merchant=merchant,
        data=RuleInput(
            keyword="new",
            reply=ReplyInput(
                kind=ReplyKind.ARTICLE, title="Spring menu", description="Fresh", url="https://x.cn/spring"
            ),
        ),
    )
    reply = reply_of(handle(merchant, text_xml(account, "o-1", "new")))
    assert reply["MsgType"] == "news" and reply["ArticleCount"] == "1"
    assert reply["Articles"]["item"]["Url"] == "https://x.cn/spring"
    assert MessageLog.objects.get().reply_summary == "[article] Spring menu"


def test_message_received_is_published_with_the_member(merchant, account):
    handle(merchant, text_xml(account, "o-1", "hello"))
    event = OutboxEvent.objects.get(name="messaging.message_received")
    member = Member.objects.get(openid="o-1")
    assert event.payload["member_id"] == member.public_id and event.payload["content"] == "hello"


# --- deduplication ------------------------------------------------------------------------------


def test_duplicate_msg_id_has_one_effect_and_gets_the_same_reply(merchant, account):
    text_rule(merchant, "hi", "Hello!")
    xml = text_xml(account, "o-1", "hi", msg_id=424242)
    first, second = handle(merchant, xml), handle(merchant, xml)
    assert first == second and reply_of(first)["Content"] == "Hello!"
    assert MessageLog.objects.count() == 1
    assert MemberTouch.objects.count() == 1
    assert OutboxEvent.objects.filter(name="messaging.message_received").count() == 1


def test_duplicate_event_has_one_effect(merchant, account):
    xml = subscribe_xml(account, "o-1", create_time=1_700_000_000)
    handle(merchant, xml)
    handle(merchant, xml)
    assert MemberTouch.objects.filter(kind=TouchKind.FOLLOW).count() == 1


def test_a_retry_while_the_first_delivery_runs_gets_success_and_does_nothing(merchant, account):
    text_rule(merchant, "hi", "Hello!")
    xml = text_xml(account, "o-1", "hi", msg_id=777)
    message = parsed(xml)
    # given the first delivery has claimed the message and is still working on it
    MessageLog.objects.create(
        merchant=merchant,
        direction=Direction.IN,
        openid="o-1",
        msg_type="text",
        dedup_key=f"{account}:{message.dedup_key}",
        status=LogStatus.RECEIVED,
    )
    # when the retry arrives, then it answers success and changes nothing
    assert inbound_handle(merchant=merchant, message=message) == SUCCESS
    assert not Member.objects.exists() and MessageLog.objects.count() == 1


def test_the_same_msg_id_from_another_merchant_is_not_a_duplicate(merchant, other_new_merchant, account):
    handle(merchant, text_xml(account, "o-1", "hi", msg_id=5))
    handle(other_new_merchant.merchant, text_xml(other_new_merchant.wechat.original_id, "o-1", "hi", msg_id=5))
    assert MessageLog.objects.count() == 2


def test_a_failed_delivery_is_marked_and_the_retry_handles_it(merchant, account):
    xml = text_xml(account, "o-1", "hi", msg_id=888)
    # given handling fails the first time (a bug, a lost database connection…)
    with (
        mock.patch.object(inbound, "rule_matching", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        handle(merchant, xml)
    log = MessageLog.objects.get()
    assert log.status == LogStatus.FAILED and "boom" in log.detail
    assert not MemberTouch.objects.exists()  # the failed attempt left no effect
    # when WeChat retries, then the retry handles it exactly once
    text_rule(merchant, "hi", "Hello!")
    assert reply_of(handle(merchant, xml))["Content"] == "Hello!"
    log.refresh_from_db()
    assert log.status == LogStatus.HANDLED and MemberTouch.objects.count() == 1


# --- follow, unfollow, scan ---------------------------------------------------------------------


@pytest.fixture
def store_code(merchant, store) -> QrCode:
    return qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store, api=FakeQrApi())


def test_follow_through_a_store_qr_creates_the_member_and_greets(merchant, account, store, store_code):
    greeting_set(merchant=merchant, reply=ReplyInput(text="Welcome to the bakery!"))
    reply = reply_of(handle(merchant, subscribe_xml(account, "o-1", scene=store_code.scene_str)))
    assert reply["Content"] == "Welcome to the bakery!"
    member = Member.objects.get(openid="o-1")
    assert (member.first_source, member.first_store, member.first_qr_code) == ("follow", store, store_code)
    store_code.refresh_from_db()
    assert store_code.follow_count == 1


def test_follow_with_an_article_greeting(merchant, account):
    greeting_set(merchant=merchant, reply=ReplyInput(kind=ReplyKind.ARTICLE, title="Hi", url="https://x.cn/"))
    assert reply_of(handle(merchant, subscribe_xml(account, "o-1")))["MsgType"] == "news"


def test_follow_without_greeting_or_with_an_inactive_one_gets_success(merchant, account):
    assert handle(merchant, subscribe_xml(account, "o-1", create_time=1_700_000_000)) == SUCCESS
    greeting_set(merchant=merchant, reply=ReplyInput(text="Welcome"), is_active=False)
    assert handle(merchant, subscribe_xml(account, "o-2", create_time=1_700_000_000)) == SUCCESS


def test_unsubscribe_and_resubscribe(merchant, account, store_code):
    t = 1_700_000_000
    handle(merchant, subscribe_xml(account, "o-1", scene=store_code.scene_str, create_time=t))
    assert handle(merchant, event_xml(account, "o-1", "unsubscribe", create_time=t + 60)) == SUCCESS
    assert not Member.objects.get(openid="o-1").is_following
    handle(merchant, subscribe_xml(account, "o-1", create_time=t + 120))
    member = Member.objects.get(openid="o-1")
    assert member.is_following and member.first_qr_code == store_code
    kinds = list(member.touches.order_by("at").values_list("kind", flat=True))
    assert kinds == ["follow", "unfollow", "follow"]


def test_scan_by_a_follower_counts_and_touches(merchant, account, store, store_code):
    handle(merchant, event_xml(account, "o-1", "SCAN", EventKey=store_code.scene_str, Ticket="t"))
    store_code.refresh_from_db()
    assert (store_code.scan_count, store_code.follow_count) == (1, 0)
    touch = MemberTouch.objects.get()
    assert (touch.kind, touch.store) == (TouchKind.SCAN, store)


# --- location event and menu --------------------------------------------------------------------


def test_location_event_is_a_touch_with_coordinates(merchant, account):
    xml = event_xml(account, "o-1", "LOCATION", Latitude=22.5431, Longitude=114.0579, Precision=30.0)
    assert handle(merchant, xml) == SUCCESS
    touch = MemberTouch.objects.get()
    assert touch.kind == TouchKind.LOCATION and float(touch.latitude) == pytest.approx(22.5431)


def test_click_gets_the_rule_whose_keyword_is_the_key(merchant, account):
    text_rule(merchant, "MENU_HOURS", "8:00-22:00")
    reply = reply_of(handle(merchant, event_xml(account, "o-1", "CLICK", EventKey="MENU_HOURS")))
    assert reply["Content"] == "8:00-22:00"
    assert MemberTouch.objects.get().detail["key"] == "MENU_HOURS"
    assert handle(merchant, event_xml(account, "o-1", "CLICK", EventKey="menu_hours", create_time=1)) == SUCCESS


def test_view_is_a_menu_view_touch(merchant, account):
    assert handle(merchant, event_xml(account, "o-1", "VIEW", EventKey="https://x.cn/m/")) == SUCCESS
    touch = MemberTouch.objects.get()
    assert (touch.kind, touch.detail["url"]) == (TouchKind.MENU_VIEW, "https://x.cn/m/")


def test_template_job_report_updates_the_outbound_log(merchant, account):
    sent = message_log_outbound(merchant=merchant, data=OutboundInput(openid="o-1", msg_type="template", msg_id="9001"))
    blocked = message_log_outbound(
        merchant=merchant, data=OutboundInput(openid="o-2", msg_type="template", msg_id="9002")
    )
    handle(merchant, event_xml(account, "o-1", "TEMPLATESENDJOBFINISH", MsgID=9001, Status="success"))
    handle(merchant, event_xml(account, "o-2", "TEMPLATESENDJOBFINISH", MsgID=9002, Status="failed:user block"))
    sent.refresh_from_db()
    blocked.refresh_from_db()
    assert sent.status == LogStatus.DELIVERED
    assert (blocked.status, blocked.detail) == (LogStatus.UNDELIVERED, "failed:user block")
    assert not Member.objects.exists()  # a job report is no contact with the user


def test_other_messages_are_touches_and_get_success(merchant, account):
    xml = message_xml(account, "o-1", "image", PicUrl="http://p/1.jpg", MediaId="m1", MsgId=31337)
    assert handle(merchant, xml) == SUCCESS
    touch = MemberTouch.objects.get()
    assert touch.kind == TouchKind.MESSAGE and touch.detail["msg_type"] == "image"


def test_unknown_events_get_success(merchant, account):
    assert handle(merchant, event_xml(account, "o-1", "subscribe_msg_popup_event")) == SUCCESS
    assert MessageLog.objects.get().status == LogStatus.HANDLED


def test_event_time_is_wechats_create_time(merchant, account):
    t = int((clock.now() - timedelta(minutes=5)).timestamp())
    handle(merchant, subscribe_xml(account, "o-1", create_time=t))
    assert int(Member.objects.get().followed_at.timestamp()) == t


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_deliveries_of_one_msg_id_have_one_effect(merchant, account):
    text_rule(merchant, "hi", "Hello!")
    xml = text_xml(account, "o-race", "hi", msg_id=99_000_001)
    barrier = threading.Barrier(8)
    replies: list[str] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            replies.append(handle(merchant, xml))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MessageLog.objects.filter(direction=Direction.IN).count() == 1
    assert MemberTouch.objects.filter(member__openid="o-race").count() == 1
    # every delivery answered: the owner with the reply, duplicates with it or with success
    assert len(replies) == 8 and any(r != SUCCESS for r in replies)
    assert all(r == SUCCESS or reply_of(r)["Content"] == "Hello!" for r in replies)
