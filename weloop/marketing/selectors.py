"""Reads of campaigns: lists, the report, reach previews."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from pyroaring import BitMap

from weloop.core import clock
from weloop.marketing import calculations as calc
from weloop.marketing.audience import audience_members, opted_out_members
from weloop.marketing.enums import BatchStatus, CampaignKind
from weloop.marketing.models import Campaign, CampaignBatch, CampaignClick, CapCounter
from weloop.marketing.services import MASS_MONTHLY_CAP, delivery_count, settings_of
from weloop.tenants.models import Merchant


def campaign_list(*, merchant: Merchant, status: str | None = None) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.for_merchant(merchant).order_by("-id")
    if status:
        campaigns = campaigns.filter(status=status)
    return campaigns


@dataclass(frozen=True)
class Reach:
    audience: int  # the segment's members (followers)
    opted_out: int
    capped_today: int  # already at the daily cap today
    mass_capped: int  # already got 4 mass messages this month (mass kinds only)
    expected: int  # who would get it if it went now
    sms_cost_fen: int  # what reaching ``expected`` by SMS would cost


def reach_preview(*, merchant: Merchant, segment_ref: str, kind: str) -> Reach:
    """How many a campaign to ``segment_ref`` would reach now, and who the caps and opt-outs hold back."""
    audience = audience_members(merchant=merchant, segment_ref=segment_ref)
    opted = opted_out_members(merchant=merchant) & audience
    left = audience - opted
    config = settings_of(merchant=merchant)
    now = clock.now()
    day = CapCounter.objects.for_merchant(merchant).filter(scope="day", period=calc.day_key(now)).first()
    allowed = calc.cap_take(calc.levels_load(day.levels if day else b""), left, config.daily_cap)
    capped = len(left) - len(allowed)
    mass_capped = 0
    if kind in (CampaignKind.TEXT, CampaignKind.ARTICLE):
        month = CapCounter.objects.for_merchant(merchant).filter(scope="month", period=calc.month_key(now)).first()
        still = calc.cap_take(calc.levels_load(month.levels if month else b""), allowed, MASS_MONTHLY_CAP)
        mass_capped = len(allowed) - len(still)
        allowed = still
    return Reach(
        audience=len(audience),
        opted_out=len(opted),
        capped_today=capped,
        mass_capped=mass_capped,
        expected=len(allowed),
        sms_cost_fen=calc.sms_cost_fen(len(allowed), config.sms_price_centifen),
    )


@dataclass(frozen=True)
class Report:
    audience: int
    sent: int
    failed: int
    skipped_capped: int
    skipped_mass_capped: int
    skipped_opted_out: int
    unreachable: int
    issued: int
    refused_budget: int
    refused_limit: int
    delivered: int
    clicks: int
    unique_clickers: int
    batches_total: int
    batches_done: int
    progress_percent: int
    sms_price_centifen: int
    sms_cost_fen: int  # what this reach (sent) would have cost by SMS
    channel: str


def campaign_report(*, merchant: Merchant, campaign: Campaign) -> Report:
    """The campaign's outcome so far: sent/failed/skipped, delivery, clicks, and the SMS comparison."""
    campaign = Campaign.objects.for_merchant(merchant).get(pk=campaign.pk)
    batches = CampaignBatch.objects.filter(campaign=campaign).aggregate(total=Count("id"), size=Sum("size"))
    done = CampaignBatch.objects.filter(campaign=campaign, status__in=[BatchStatus.DONE, BatchStatus.CANCELLED]).count()
    total = batches["total"] or 0
    config = settings_of(merchant=merchant)
    reached = campaign.sent_count if campaign.kind != CampaignKind.COUPON else campaign.issued_count
    clickers = (
        CampaignClick.objects.for_merchant(merchant)
        .filter(campaign=campaign, member__isnull=False)
        .values("member_id")
        .distinct()
        .count()
    )
    return Report(
        audience=campaign.audience_count,
        sent=campaign.sent_count,
        failed=campaign.failed_count,
        skipped_capped=campaign.capped_count,
        skipped_mass_capped=campaign.mass_capped_count,
        skipped_opted_out=campaign.opted_out_count,
        unreachable=campaign.unreachable_count,
        issued=campaign.issued_count,
        refused_budget=campaign.refused_budget_count,
        refused_limit=campaign.refused_limit_count,
        delivered=delivery_count(campaign=campaign),
        clicks=campaign.click_count,
        unique_clickers=clickers,
        batches_total=total,
        batches_done=done,
        progress_percent=(100 * done // total) if total else (100 if campaign.finished_at else 0),
        sms_price_centifen=config.sms_price_centifen,
        sms_cost_fen=calc.sms_cost_fen(reached, config.sms_price_centifen),
        channel=campaign.channel,
    )


def audience_ids(*, merchant: Merchant, segment_ref: str) -> BitMap:
    return audience_members(merchant=merchant, segment_ref=segment_ref)
