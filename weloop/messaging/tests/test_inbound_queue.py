"""The callback's fast path: the cached config, the one-statement dedup insert, the queue's effects."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import xmltodict
from django.core.cache import cache
from huey.contrib.djhuey import HUEY

from weloop.core import clock
from weloop.core.models import OutboxEvent
from weloop.members.models import Member, MemberTouch
from weloop.messaging import config as callback_config_module
from weloop.messaging import inbound
from weloop.messaging.config import callback_config, config_of
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import AutoReplyRule, MessageLog
from weloop.messaging.services import ReplyInput, RuleInput, inbound_handle, rule_create, rule_update
from weloop.messaging.tests.builders import parsed, text_xml
from weloop.wechat.messages import SUCCESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(new_merchant) -> str:
    return new_merchant.wechat.original_id


@pytest.fixture
def queued(monkeypatch):
    """The queue as in production: effects wait for a worker (nudges are only counted here)."""
    nudges: list[int] = []
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(inbound, "_last_nudge", [0.0])
    monkeypatch.setattr("weloop.messaging.inbound_tasks.inbound_drain", lambda *a: nudges.append(1))
    return nudges


def rule(merchant, keyword: str, text: str):
    return rule_create(merchant=merchant, data=RuleInput(keyword=keyword, reply=ReplyInput(text=text)))


def content(xml: str) -> str:
    return xmltodict.parse(xml)["xml"]["Content"]


# --- the cached config --------------------------------------------------------------------------


def test_a_console_edit_is_answered_from_the_next_message(merchant, account):
    hello = rule(merchant, "hi", "Hello!")
    assert content(inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o-1", "hi")))) == "Hello!"
    changed = RuleInput(keyword="hi", reply=ReplyInput(text="Hey"))
    rule_update(merchant=merchant, public_id=hello.public_id, data=changed)
    assert content(inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o-1", "hi")))) == "Hey"


def test_an_edit_in_another_process_is_seen_through_the_shared_version(merchant, account, monkeypatch):
    monkeypatch.setattr(callback_config_module, "CHECK_INTERVAL", 0.0)
    hello = rule(merchant, "hi", "Hello!")
    before = callback_config(merchant.slug)
    assert [r.reply_text for r in before.rules] == ["Hello!"]
    # given another process changed the rule: its row, and (by the signal) the shared version
    AutoReplyRule.objects.filter(pk=hello.pk).update(reply_text="Changed elsewhere")
    assert callback_config(merchant.slug) is before  # no signal here: this process keeps its copy…
    cache.set(f"weloop:wechat-config:{merchant.pk}", "another-process-version", timeout=None)
    # …until the version differs: then it reloads
    assert [r.reply_text for r in callback_config(merchant.slug).rules] == ["Changed elsewhere"]


def test_saving_a_rule_writes_a_new_shared_version(merchant):
    config_of(merchant)
    key = f"weloop:wechat-config:{merchant.pk}"
    seen = cache.get(key)
    rule(merchant, "hours", "8-22")
    assert cache.get(key) not in (None, seen)
    assert [r.keyword for r in config_of(merchant).rules] == ["hours"]


def test_the_shared_version_is_read_at_most_every_check_interval(merchant, monkeypatch):
    monkeypatch.setattr(callback_config_module, "CHECK_INTERVAL", 3600.0)
    first = callback_config(merchant.slug)
    cache.set(f"weloop:wechat-config:{merchant.pk}", "another-process-version", timeout=None)
    assert callback_config(merchant.slug) is first  # not read again yet
    first.checked_at[0] -= 3600.0
    assert callback_config(merchant.slug) is not first  # read, found changed, reloaded


def test_a_copy_older_than_max_age_is_reloaded(merchant, monkeypatch):
    first = config_of(merchant)
    monkeypatch.setattr(callback_config_module, "MAX_AGE", 0.0)
    assert config_of(merchant) is not first


def test_a_suspended_merchant_and_a_renamed_slug_are_seen_at_once(merchant):
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.services import merchant_set_status

    old_slug = merchant.slug
    assert callback_config(old_slug) is not None
    merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor="test")
    assert callback_config(old_slug).merchant.status == MerchantStatus.SUSPENDED
    merchant.slug = "renamed"
    merchant.save()
    assert callback_config(old_slug) is None and callback_config("renamed") is not None


# --- the insert and the queue -------------------------------------------------------------------


def test_the_request_writes_one_row_and_leaves_the_effects_to_the_queue(merchant, account, queued):
    rule(merchant, "hi", "Hello!")
    xml = text_xml(account, "o-1", "hi", msg_id=4001)
    reply = inbound_handle(merchant=merchant, message=parsed(xml), xml=xml)
    assert content(reply) == "Hello!" and queued == [1]
    log = MessageLog.objects.get()
    assert (log.status, log.raw_xml, log.reply_xml, log.member) == (LogStatus.RECEIVED, xml, reply, None)
    assert not Member.objects.exists()
    # a retry before the worker ran gets the same reply and changes nothing
    assert inbound_handle(merchant=merchant, message=parsed(xml), xml=xml) == reply
    assert MessageLog.objects.count() == 1 and queued == [1]
    # when the worker runs (twice, as two workers might), then the effects happen once
    assert inbound.inbound_process_pending() == 1
    assert inbound.inbound_process_pending() == 0
    log.refresh_from_db()
    member = Member.objects.get(openid="o-1")
    assert (log.status, log.member, log.attempts) == (LogStatus.HANDLED, member, 1)
    assert MemberTouch.objects.count() == 1
    event = OutboxEvent.objects.get(name="messaging.message_received")
    assert event.payload["message_log_id"] == log.pk and event.payload["member_id"] == member.public_id


def test_nudges_are_rate_limited_per_process(merchant, account, queued):
    for n in range(5):
        inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o-1", f"m{n}")))
    assert len(queued) == 1 and MessageLog.objects.filter(status=LogStatus.RECEIVED).count() == 5
    assert inbound.inbound_process_pending() == 5


def test_a_failure_on_the_queue_is_marked_and_retried_later(merchant, account, queued):
    inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o-1", "hi", msg_id=4002)))
    broken = RuntimeError("db gone")
    with (
        mock.patch.object(inbound, "member_touch", side_effect=broken),
        mock.patch.object(inbound, "member_touch_many", side_effect=broken),
    ):
        assert inbound.inbound_process_pending() == 0
    log = MessageLog.objects.get()
    assert (log.status, log.attempts) == (LogStatus.FAILED, 1) and "db gone" in log.detail
    assert not MemberTouch.objects.exists() and not OutboxEvent.objects.filter(name__startswith="messaging").exists()
    assert inbound.inbound_process_pending() == 0  # not due yet
    MessageLog.objects.filter(pk=log.pk).update(handled_at=clock.now() - inbound.RETRY_AFTER - timedelta(seconds=1))
    assert inbound.inbound_process_pending() == 1
    log.refresh_from_db()
    assert (log.status, log.attempts) == (LogStatus.HANDLED, 2) and MemberTouch.objects.count() == 1


def test_a_batch_costs_the_same_queries_for_five_messages_as_for_fifty(merchant, account, queued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def drain(count: int) -> int:
        for n in range(count):
            inbound_handle(merchant=merchant, message=parsed(text_xml(account, f"o-{n % 3}", f"m{n}")))
        with CaptureQueriesContext(connection) as queries:
            assert inbound.inbound_process_pending() == count
        return len(queries)

    drain(3)  # the three members exist from now on
    assert drain(5) == drain(50)
    assert MemberTouch.objects.count() == 58 and Member.objects.count() == 3
    assert OutboxEvent.objects.filter(name="messaging.message_received").count() == 58
    assert not MessageLog.objects.filter(direction=Direction.IN, member=None).exists()


def test_a_batch_keeps_the_order_a_follow_then_a_message_of_a_new_user(merchant, account, queued):
    from weloop.members.enums import MemberSource
    from weloop.messaging.tests.builders import subscribe_xml

    for xml in (
        text_xml(account, "o-known", "first"),
        subscribe_xml(account, "o-new"),
        text_xml(account, "o-new", "hello"),
        text_xml(account, "o-other", "hi"),
    ):
        inbound_handle(merchant=merchant, message=parsed(xml), xml=xml)
    assert inbound.inbound_process_pending() == 4
    new = Member.objects.get(openid="o-new")
    assert new.first_source == MemberSource.FOLLOW and new.is_following
    assert Member.objects.get(openid="o-other").first_source == MemberSource.MESSAGE
    payloads = [e.payload for e in OutboxEvent.objects.filter(name="messaging.message_received").order_by("id")]
    assert [(p["openid"], p["msg_type"]) for p in payloads] == [
        ("o-known", "text"),
        ("o-new", "event"),
        ("o-new", "text"),
        ("o-other", "text"),
    ]
    assert payloads[2]["member_id"] == new.public_id and payloads[2]["content"] == "hello"


def test_one_failing_message_in_a_batch_fails_alone(merchant, account, queued):
    for n in range(4):
        inbound_handle(merchant=merchant, message=parsed(text_xml(account, f"o-{n}", f"m{n}")))
    real = inbound.member_touch

    def touch(**kwargs):
        if kwargs["openid"] == "o-2":
            raise RuntimeError("this one is broken")
        return real(**kwargs)

    with (
        mock.patch.object(inbound, "member_touch_many", side_effect=RuntimeError("batch")),
        mock.patch.object(inbound, "member_touch", side_effect=touch),
    ):
        assert inbound.inbound_process_pending() == 3
    statuses = dict(MessageLog.objects.filter(direction=Direction.IN).values_list("openid", "status"))
    assert statuses == {"o-0": "handled", "o-1": "handled", "o-2": "failed", "o-3": "handled"}
    assert sorted(MemberTouch.objects.values_list("member__openid", flat=True)) == ["o-0", "o-1", "o-3"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_at_once_handle_each_message_once(merchant, account, queued):
    from tests.races import race

    for n in range(60):
        inbound_handle(merchant=merchant, message=parsed(text_xml(account, f"o-{n % 7}", f"m{n}")))
    ids = inbound.inbound_pending_ids()
    done = race(lambda i: inbound.inbound_process_many(log_ids=ids), 2)
    assert not any(isinstance(d, BaseException) for d in done) and sum(done) == 60  # type: ignore[arg-type]
    assert MemberTouch.objects.count() == 60 and Member.objects.count() == 7
    assert OutboxEvent.objects.filter(name="messaging.message_received").count() == 60
    assert set(MessageLog.objects.filter(direction=Direction.IN).values_list("attempts", flat=True)) == {1}


def test_a_row_failing_max_attempts_times_is_left_failed(merchant, account, queued):
    inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o-1", "hi")))
    MessageLog.objects.update(
        status=LogStatus.FAILED, attempts=inbound.MAX_ATTEMPTS, handled_at=clock.now() - timedelta(days=1)
    )
    assert inbound.inbound_pending_ids() == [] and inbound.inbound_process_pending() == 0


def test_an_unusable_openid_is_refused_before_anything_is_recorded(merchant, account, queued):
    from weloop.members.errors import InvalidMemberProfile

    with pytest.raises(InvalidMemberProfile):
        inbound_handle(merchant=merchant, message=parsed(text_xml(account, "o" * 65, "hi")))
    assert not MessageLog.objects.exists() and queued == []


def test_the_insert_is_one_statement_and_a_duplicate_three(merchant, account, queued, django_assert_num_queries):
    config_of(merchant)  # loaded: the callback's steady state
    xml = text_xml(account, "o-1", "no rule matches", msg_id=4003)
    with django_assert_num_queries(1):
        assert inbound_handle(merchant=merchant, message=parsed(xml), xml=xml) == SUCCESS
    with django_assert_num_queries(3):  # the insert, the take-over compare-and-set, the stored reply
        assert inbound_handle(merchant=merchant, message=parsed(xml), xml=xml) == SUCCESS
    assert MessageLog.objects.filter(direction=Direction.IN).count() == 1
