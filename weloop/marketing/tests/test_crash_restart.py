"""A worker killed (SIGKILL) in the middle of a fan-out, then started again: every follower gets the
campaign exactly once, and the next campaign finds everyone at the daily cap (nobody over it).

Real processes against real PostgreSQL and the simulator over HTTP (the live test server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from weloop.core import clock
from weloop.marketing import services
from weloop.marketing.enums import BatchStatus, CampaignStatus
from weloop.marketing.models import Campaign, CampaignBatch
from weloop.members.models import Member
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimMassSend, SimOutboundMessage, SimUser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[3]
FOLLOWERS, BATCH = 120, 10


def worker(env: dict, *campaign_ids: str, pause: float = 0.0) -> subprocess.Popen:
    args = [sys.executable, "-m", "bench.campaign_worker", *campaign_ids]
    if pause:
        args += ["--pause", str(pause)]
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def followers_bulk(new_merchant, n: int) -> list[str]:
    merchant, appid, now = new_merchant.merchant, new_merchant.wechat.appid, clock.now()
    openids = [f"oCRASH{i:022d}" for i in range(n)]
    SimUser.objects.bulk_create(
        [
            SimUser(appid=appid, openid=o, nickname=f"c{i}", subscribed=True, subscribe_time=now)
            for i, o in enumerate(openids)
        ]
    )
    Member.objects.bulk_create(
        [
            Member(merchant=merchant, openid=o, is_following=True, followed_at=now, first_source="follow")
            for o in openids
        ]
    )
    return openids


def test_killed_worker_restarted_sends_each_follower_once_and_nobody_over_the_cap(simulated_wechat, new_merchant):
    merchant = new_merchant.merchant
    openids = followers_bulk(new_merchant, FOLLOWERS)
    services.marketing_settings_update(
        merchant=merchant,
        daily_cap=1,
        quiet_enabled=False,
        quiet_start="22:00",
        quiet_end="08:00",
        sms_price_centifen=450,
    )
    first = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name="first", kind="text", content={"text": "first"})
    )
    second = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name="second", kind="text", content={"text": "second"})
    )
    for campaign in (first, second):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED, scheduled_at=clock.now())
        assert services.campaign_start(campaign_pk=campaign.pk, enqueue=lambda pk: None, batch_size=BATCH) == "started"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}",
        "WELOOP_PUBLIC_URL": simulated_wechat,
        "WELOOP_WECHAT_API_BASE": simulated_wechat + "/simulator/api",
        "WELOOP_QUEUE_IMMEDIATE": "1",
    }

    # when: the first worker is killed after a few batches
    process = worker(env, first.public_id, second.public_id, pause=0.3)
    lines = []
    while len(lines) < 3:
        line = process.stdout.readline()
        assert line, process.stderr.read()[-3000:]
        lines.append(line)
    time.sleep(0.15)  # somewhere inside the next batch, or between two
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert CampaignBatch.objects.filter(campaign=first, status=BatchStatus.DONE).count() < FOLLOWERS // BATCH
    # and a new one runs to the end
    out, err = worker(env, first.public_id, second.public_id).communicate(timeout=300)
    assert "finished" in out, err[-3000:]

    # then: each follower got the first campaign once, and nothing more (cap 1 a day)
    inbox = Counter(
        SimOutboundMessage.objects.filter(kind=OutboundKind.MASS, user__openid__in=openids).values_list(
            "user__openid", flat=True
        )
    )
    assert set(inbox) == set(openids)
    assert max(inbox.values()) == 1
    assert SimMassSend.objects.filter(clientmsgid__startswith=first.public_id).count() == FOLLOWERS // BATCH
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.sent_count, first.failed_count) == (CampaignStatus.SENT, FOLLOWERS, 0)
    assert (second.status, second.sent_count, second.capped_count) == (CampaignStatus.SENT, 0, FOLLOWERS)
