"""Campaigns, their fan-out ledger, per-member caps kept as bitmaps, opt-outs and link clicks.

The fan-out ledger is per batch, not per recipient: a batch row holds its members as a serialized
pyroaring BitMap (a few kB for 10,000 members), so writing the fan-out of 500,000 recipients is 50
rows. Each recipient is in exactly one batch, and a batch moves pending -> reserved -> done by
compare-and-set, which is what makes a retry or a killed worker unable to send twice.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field, random_token
from weloop.core.models import TenantModel
from weloop.marketing.enums import BatchStatus, CampaignKind, CampaignStatus, Channel

# A message to one member by SMS, in 1/100 fen (centi-fen) so prices like ¥0.045 (= 4.5 fen = 450
# centi-fen) stay integers; costs are rounded half-up to whole fen once, on the total.
DEFAULT_SMS_PRICE_CENTIFEN = 450


def _new_link_token() -> str:
    return random_token(16)


class MarketingSettings(TenantModel):
    """A merchant's caps: messages a member may get a day, quiet hours, and the SMS price for comparison."""

    daily_cap = models.PositiveSmallIntegerField(_("marketing messages per member per day"), default=2)
    quiet_enabled = models.BooleanField(_("quiet hours"), default=True)
    quiet_start = models.TimeField(_("quiet hours start"), default=datetime.time(22, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    sms_price_centifen = models.PositiveIntegerField(
        _("SMS price per message (1/100 fen)"), default=DEFAULT_SMS_PRICE_CENTIFEN
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="marketing_settings_once"),
            models.CheckConstraint(
                condition=Q(daily_cap__gte=1) & Q(daily_cap__lte=20), name="marketing_daily_cap_range"
            ),
        ]


class MarketingOptOut(TenantModel):
    """A member who said no to marketing messages (from the H5 page): honoured by every campaign."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    opted_out = models.BooleanField(default=True)
    source = models.CharField(max_length=16, default="h5")
    changed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "member"], name="marketing_optout_once")]
        indexes = [models.Index(fields=["merchant", "opted_out"], name="marketing_optout_idx")]


class Campaign(TenantModel):
    URL_KWARG = "campaign_id"

    public_id = public_id_field("cmp_")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # text: {"text"}; article: {"title","description","url","picurl"}; coupon: {"template_id","text"};
    # template: {"template_id","data":{keyword: value},"url"}
    content = models.JSONField(default=dict)
    segment_ref = models.CharField(max_length=24, blank=True, default="")  # a Segment public id; "" = all followers
    segment_name = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.CharField(max_length=150, blank=True, default="")
    failure = models.CharField(max_length=255, blank=True, default="")
    link_token = models.CharField(max_length=32, default=_new_link_token)
    quiet_delayed_until = models.DateTimeField(null=True, blank=True)
    # the report: filled as batches finish (F() increments in the batch's closing transaction)
    audience_count = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    capped_count = models.PositiveIntegerField(default=0)  # the merchant's daily cap
    mass_capped_count = models.PositiveIntegerField(default=0)  # WeChat's 4 mass sends a month
    opted_out_count = models.PositiveIntegerField(default=0)
    unreachable_count = models.PositiveIntegerField(default=0)  # unfollowed, or outside the 48-hour window
    issued_count = models.PositiveIntegerField(default=0)  # coupons
    refused_budget_count = models.PositiveIntegerField(default=0)
    refused_limit_count = models.PositiveIntegerField(default=0)
    delivered_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="campaign_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "link_token"], name="campaign_link_token_per_merchant"),
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_due_idx")]

    def __str__(self) -> str:
        return self.name


class CampaignBatch(TenantModel):
    """Up to BATCH_SIZE recipients of a campaign and what became of them (the fan-out ledger)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    batch_no = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    members = models.BinaryField()  # serialized BitMap of Member pks
    status = models.CharField(max_length=16, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    reserved = models.BinaryField(default=b"")  # BitMap: caps taken for these, they may be sent
    sent = models.BinaryField(default=b"")  # BitMap: WeChat accepted the message for these
    # one-by-one channels: recipients [0, attempted) of the sorted reserved list were tried; those
    # in [done, attempted) when a worker died are unknown and are never re-sent without a dedup key
    attempted = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    msg_ids = models.JSONField(default=list)
    tally = models.JSONField(default=dict)  # outcome counts of this batch, added to the campaign once
    error = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["batch_no"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "campaign", "batch_no"], name="campaign_batch_once"),
        ]


class CapCounter(TenantModel):
    """Per-member message counts of one period as bitmaps: level k holds the members who got more
    than k messages ("got >= 1 today", "got >= 2 today", ...). A batch reads, checks and updates it
    under a row lock in the same transaction that marks the batch reserved."""

    scope = models.CharField(max_length=8)  # "day" (the merchant's cap) or "month" (WeChat's mass rule)
    period = models.CharField(max_length=10)  # "2026-11-22" or "2026-11", Asia/Shanghai
    levels = models.BinaryField(default=b"")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "scope", "period"], name="cap_counter_once"),
        ]


class CampaignClick(TenantModel):
    """A tap on a campaign's tracked link (/m/<merchant>/c/<token>)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="clicks")
    member = models.ForeignKey("members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=clock.now)
