"""Campaigns over real HTTP to the simulated WeChat: mass send by openid list, caps, opt-outs,
quiet hours, retries that must not send twice."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import pytest

from weloop.core import clock
from weloop.marketing import services
from weloop.marketing.enums import BatchStatus, CampaignStatus
from weloop.marketing.errors import EmptyAudience, InvalidCampaign
from weloop.marketing.models import Campaign, CampaignBatch
from weloop.members.selectors import member_find_by_openid
from weloop.simulator import phone, pushes
from weloop.simulator.accounts import account_for_appid
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimMassSend, SimOutboundMessage, SimUser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]

NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still not true after {timeout} s")


def follow(new_merchant, base: str, nickname: str) -> SimUser:
    account = account_for_appid(new_merchant.wechat.appid)
    user = phone.user_create(account=account, nickname=nickname, simulator_base=base + "/simulator")
    phone.follow(account=account, user=user)
    wait_for(
        lambda: (m := member_find_by_openid(merchant=new_merchant.merchant, openid=user.openid)) and m.is_following
    )
    return user


def member_of(new_merchant, user: SimUser):
    return member_find_by_openid(merchant=new_merchant.merchant, openid=user.openid)


def send_now(merchant, name: str, text: str = "Weekend: 20% off"):
    campaign = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name=name, kind="text", content={"text": text})
    )
    services.campaign_schedule(merchant=merchant, public_id=campaign.public_id)
    campaign.refresh_from_db()
    return campaign


def inbox(user: SimUser) -> list[SimOutboundMessage]:
    return list(SimOutboundMessage.objects.filter(user=user, kind=OutboundKind.MASS))


@pytest.fixture(autouse=True)
def _pushes_done_before_teardown():
    """The simulator pushes MASSSENDJOBFINISH from its own threads; a push still writing while the
    test database is flushed deadlocks the flush on PostgreSQL. Let them finish first."""
    yield
    wait_for(pushes.pushes_idle, timeout=30.0)


@pytest.fixture
def followers(simulated_wechat, new_merchant):
    with clock.frozen_at(NOON):
        return [follow(new_merchant, simulated_wechat, f"fan{i}") for i in range(3)]


def test_text_campaign_reaches_every_follower_once_by_mass_send(followers, new_merchant):
    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        campaign = send_now(merchant, "Weekend")
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.audience_count, campaign.sent_count, campaign.failed_count) == (3, 3, 0)
    for user in followers:
        assert [m.body["text"]["content"] for m in inbox(user)] == ["Weekend: 20% off"]
    job = SimMassSend.objects.get(clientmsgid=f"{campaign.public_id}-1")
    assert job.sent_count == 3


def test_daily_cap_stops_the_third_message_and_nobody_is_over_it(followers, new_merchant):
    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        first = send_now(merchant, "one")
        second = send_now(merchant, "two")
        third = send_now(merchant, "three")
    assert (first.sent_count, second.sent_count) == (3, 3)
    assert (third.sent_count, third.capped_count) == (0, 3)
    assert all(len(inbox(u)) == 2 for u in followers)
    with clock.frozen_at(NOON + datetime.timedelta(days=1)):  # a new day: allowed again
        fourth = send_now(merchant, "four")
    assert fourth.sent_count == 3


def test_opted_out_member_gets_nothing_and_is_reported(followers, new_merchant):
    merchant = new_merchant.merchant
    services.marketing_opt_out_set(merchant=merchant, member=member_of(new_merchant, followers[0]), opted_out=True)
    with clock.frozen_at(NOON):
        campaign = send_now(merchant, "promo")
    assert (campaign.sent_count, campaign.opted_out_count) == (2, 1)
    assert inbox(followers[0]) == []


def test_quiet_hours_move_the_start_to_their_end(followers, new_merchant):
    merchant = new_merchant.merchant
    late = NOON.replace(hour=23)
    with clock.frozen_at(late):
        campaign = send_now(merchant, "late")
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.quiet_delayed_until == NOON.replace(hour=8) + datetime.timedelta(days=1)
    assert all(inbox(u) == [] for u in followers)
    with clock.frozen_at(campaign.quiet_delayed_until):
        assert services.campaigns_start_due() == 1
    campaign.refresh_from_db()
    assert campaign.sent_count == 3


def test_running_a_batch_again_sends_nothing_more(followers, new_merchant):
    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        campaign = send_now(merchant, "once")
        batch = CampaignBatch.objects.get(campaign=campaign)
        # a retry after a crash between send and close: the batch is back to reserved
        CampaignBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RESERVED)
        services.campaign_batch_run(batch_pk=batch.pk)
    assert all(len(inbox(u)) == 1 for u in followers)
    assert SimMassSend.objects.filter(clientmsgid=f"{campaign.public_id}-1").count() == 1


def test_empty_audience_cannot_be_sent(simulated_wechat, new_merchant):
    merchant = new_merchant.merchant
    campaign = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name="nobody", kind="text", content={"text": "hi"})
    )
    with pytest.raises(EmptyAudience):
        services.campaign_schedule(merchant=merchant, public_id=campaign.public_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_cancel_drops_pending_batches(followers, new_merchant):
    merchant = new_merchant.merchant
    campaign = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name="later", kind="text", content={"text": "hi"})
    )
    with clock.frozen_at(NOON):
        services.campaign_schedule(
            merchant=merchant, public_id=campaign.public_id, at=NOON + datetime.timedelta(hours=1)
        )
        services.campaign_cancel(merchant=merchant, public_id=campaign.public_id)
    with clock.frozen_at(NOON + datetime.timedelta(hours=2)):
        assert services.campaigns_start_due() == 0
    assert all(inbox(u) == [] for u in followers)


def test_bad_content_is_refused(merchant):
    with pytest.raises(InvalidCampaign):
        services.campaign_create(merchant=merchant, data=services.CampaignInput(name="x", kind="text", content={}))
    with pytest.raises(InvalidCampaign):
        services.campaign_create(
            merchant=merchant,
            data=services.CampaignInput(name="x", kind="article", content={"title": "t", "url": "javascript:x"}),
        )


def test_coupon_campaign_stops_cleanly_when_the_budget_runs_out(followers, new_merchant):
    from weloop.coupons.services import TemplateInput, template_create

    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        template = template_create(
            merchant=merchant,
            data=TemplateInput(name="¥5 off", kind="amount_off", amount_fen=500, valid_days=7, budget=2),
            actor="test",
        )
        campaign = services.campaign_create(
            merchant=merchant,
            data=services.CampaignInput(
                name="gift", kind="coupon", content={"template_id": template.public_id, "text": "A ¥5 coupon for you"}
            ),
        )
        services.campaign_schedule(merchant=merchant, public_id=campaign.public_id)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert (campaign.issued_count, campaign.refused_budget_count) == (2, 1)
    assert campaign.failure == "coupon budget exhausted"
    told = SimOutboundMessage.objects.filter(user__in=followers, body__text__content="A ¥5 coupon for you")
    assert told.count() == campaign.sent_count == 2  # the two holders, inside their follow window


def test_mass_send_delivery_is_reported_from_masssendjobfinish(followers, new_merchant):
    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        campaign = send_now(merchant, "delivered")
    wait_for(lambda: services.delivery_count(campaign=campaign) == 3)


def test_template_campaign_goes_one_by_one_and_a_retry_sends_no_second_notice(followers, new_merchant):
    merchant = new_merchant.merchant
    with clock.frozen_at(NOON):
        campaign = services.campaign_create(
            merchant=merchant,
            data=services.CampaignInput(
                name="notice",
                kind="template",
                content={"template_id": "TPL_PROMO", "data": {"first": "New menu", "keyword1": "today"}},
            ),
        )
        services.campaign_schedule(merchant=merchant, public_id=campaign.public_id)
        batch = CampaignBatch.objects.get(campaign=campaign)
        # a worker that died after sending, before closing: the retry repeats the sends
        CampaignBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RESERVED, done=0, attempted=3)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, sent_count=0)
        services.campaign_batch_run(batch_pk=batch.pk)
    campaign.refresh_from_db()
    assert campaign.sent_count == 3
    notices = SimOutboundMessage.objects.filter(user__in=followers, kind=OutboundKind.TEMPLATE)
    assert sorted(notices.values_list("user_id", flat=True)) == sorted(u.pk for u in followers)
