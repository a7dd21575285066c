"""Campaigns over the API: create, schedule or send now, cancel, read the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.marketing.enums import CampaignKind, CampaignStatus
from weloop.marketing.models import Campaign


class CampaignIn(InputSchema):
    name: str = Field(description="Shown in the console only.", examples=["周末烘焙节"])
    kind: CampaignKind = Field(description="`text`, `article`, `coupon` or `template`.")
    content: dict[str, Any] = Field(
        description=(
            "text: `{text}`; article: `{title, description, url, picurl}`; coupon: `{template_id, text}` "
            "(a coupon template `cpt_…`); template: `{template_id, data: {keyword: value}, url}`."
        ),
        examples=[{"text": "周末全场8折"}],
    )
    segment_id: str = Field("", description="The target segment (`seg_…`); empty = every follower.")


class SendIn(InputSchema):
    at: dt.datetime | None = Field(None, description="When to send; null or past = now (quiet hours still apply).")


class CampaignOut(Schema):
    id: str = Field(description="The campaign's public id.", examples=["cmp_4K9QX2M7PA"])
    name: str = Field(description="Shown in the console only.")
    kind: CampaignKind = Field(description="`text`, `article`, `coupon` or `template`.")
    channel: str = Field(description="`mass`, `template` or `customer_service`: what WeChat allows for the kind.")
    content: dict[str, Any] = Field(description="What is sent; its shape depends on the kind (see CampaignIn).")
    segment_id: str = Field(description="The target segment, or empty for every follower.")
    status: CampaignStatus = Field(description="draft, scheduled, sending, sent, cancelled or failed.")
    scheduled_at: dt.datetime | None = Field(description="When it is due to start; null for a draft.")
    quiet_delayed_until: dt.datetime | None = Field(description="Set when quiet hours moved the start.")
    started_at: dt.datetime | None = Field(description="When the fan-out started.")
    finished_at: dt.datetime | None = Field(description="When the last batch was done.")
    failure: str = Field(description="Why it failed (or that a coupon budget ran out).")
    created_at: dt.datetime = Field(description="When the campaign was created.")

    @staticmethod
    def resolve_id(obj: Campaign) -> str:
        return obj.public_id

    @staticmethod
    def resolve_segment_id(obj: Campaign) -> str:
        return obj.segment_ref


class CampaignPage(Page):
    items: list[CampaignOut] = Field(description="Campaigns, newest first.")


class CampaignReportOut(Schema):
    audience: int = Field(description="Recipients written to the fan-out.")
    sent: int = Field(description="WeChat accepted the message for these.")
    failed: int = Field(description="WeChat refused the message for these.")
    skipped_capped: int = Field(description="Held back by the merchant's daily cap.")
    skipped_mass_capped: int = Field(description="Held back by WeChat's 4 mass messages a month.")
    skipped_opted_out: int = Field(description="Members who opted out of marketing messages.")
    unreachable: int = Field(description="Unfollowed, or outside the 48-hour customer-service window.")
    issued: int = Field(description="Coupons issued (coupon campaigns).")
    refused_budget: int = Field(description="Coupons not issued because the template's budget ran out.")
    refused_limit: int = Field(description="Coupons not issued because of the per-member limit.")
    delivered: int = Field(description="Reported delivered by MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH.")
    clicks: int = Field(description="Clicks on the tracked link.")
    unique_clickers: int = Field(description="Distinct members who clicked (when the H5 knew them).")
    batches_total: int = Field(description="Fan-out batches (up to 5,000 recipients each).")
    batches_done: int = Field(description="Batches sent or settled.")
    progress_percent: int = Field(description="batches_done out of batches_total, in percent.")
    sms_price_centifen: int = Field(description="The merchant's SMS price in 1/100 fen (450 = ¥0.045).")
    sms_cost_fen: int = Field(description="What reaching the same people by SMS would cost, in fen.")
    channel: str = Field(description="`mass`, `template` or `customer_service`.")
