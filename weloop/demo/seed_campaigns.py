"""Demo step "campaigns": the caps (2 a day, quiet 22:00-08:00, SMS ¥0.045), one member who opted
out, a text campaign that went out yesterday (written as it stands after sending, with its report:
the demo must not depend on the simulator answering while it is seeded), and an article campaign
scheduled for tomorrow 10:00 (the queue starts it then and it really goes to the simulator).
"""

from __future__ import annotations

import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

from pyroaring import BitMap

from weloop.core import clock
from weloop.marketing import calculations as calc
from weloop.marketing import services
from weloop.marketing.enums import BatchStatus, CampaignStatus
from weloop.marketing.models import Campaign, CampaignBatch
from weloop.marketing.state import CAMPAIGN
from weloop.members.models import Member

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext


def seed_campaigns(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    followers = list(Member.objects.for_merchant(merchant).filter(is_following=True).order_by("id"))
    if len(followers) < 3:
        return
    services.marketing_settings_update(
        merchant=merchant,
        daily_cap=2,
        quiet_enabled=True,
        quiet_start=datetime.time(22),
        quiet_end=datetime.time(8),
        sms_price_centifen=450,
    )
    services.marketing_opt_out_set(merchant=merchant, member=followers[-1], opted_out=True, source="demo")
    reached = BitMap(m.pk for m in followers[:-1])
    now = clock.now()
    sent = services.campaign_create(
        merchant=merchant,
        data=services.CampaignInput(
            name="周末烘焙节 Weekend bake fest", kind="text", content={"text": "本周末全场面包8折，欢迎到店！"}
        ),
        actor="demo",
    )
    yesterday = now - timedelta(days=1)
    CAMPAIGN.transition(sent, CampaignStatus.SCHEDULED, actor="demo", extra_updates={"scheduled_at": yesterday})
    CAMPAIGN.transition(sent, CampaignStatus.SENDING, actor="system", extra_updates={"started_at": yesterday})
    for no, part in enumerate(calc.split_batches(reached, 5000), start=1):
        CampaignBatch.objects.create(
            merchant=merchant,
            campaign=sent,
            batch_no=no,
            size=len(part),
            members=part.serialize(),
            reserved=part.serialize(),
            sent=part.serialize(),
            status=BatchStatus.DONE,
            attempted=len(part),
            done=len(part),
            tally={"opted_out": 0, "unreachable": 0, "capped": 0, "mass_capped": 0},
        )
    Campaign.objects.filter(pk=sent.pk).update(
        audience_count=len(followers), sent_count=len(reached), opted_out_count=1, click_count=min(3, len(reached))
    )
    CAMPAIGN.transition(sent, CampaignStatus.SENT, actor="system", extra_updates={"finished_at": yesterday})
    scheduled = services.campaign_create(
        merchant=merchant,
        data=services.CampaignInput(
            name="新品上市 New croissant",
            kind="article",
            content={
                "title": "新品：黄油可颂",
                "description": "明早10点起全店供应",
                "url": f"https://example.com/{merchant.slug}/croissant",
            },
        ),
        actor="demo",
    )
    tomorrow_ten = datetime.datetime.combine(
        (now + timedelta(days=1)).astimezone(calc.local_tz()).date(), datetime.time(10), tzinfo=calc.local_tz()
    )
    CAMPAIGN.transition(scheduled, CampaignStatus.SCHEDULED, actor="demo", extra_updates={"scheduled_at": tomorrow_ten})
