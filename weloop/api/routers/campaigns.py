"""/campaigns: marketing campaigns to a segment, with caps, quiet hours and opt-outs applied."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.campaigns import CampaignIn, CampaignOut, CampaignPage, CampaignReportOut, SendIn
from weloop.api.schemas.common import PageIn
from weloop.marketing import selectors, services
from weloop.marketing.models import Campaign
from weloop.marketing.selectors import Report

router = Router(tags=["Campaigns"])

CampaignId = Annotated[str, Path(description="The campaign's public id (`cmp_…`).", example="cmp_4K9QX2M7PA")]


@router.get("", response=CampaignPage, summary="List campaigns")
def list_campaigns(
    request: HttpRequest,
    page: Query[PageIn],
    status: Annotated[
        str | None,
        Query(description="Only campaigns in this status (draft, scheduled, sending, sent, cancelled, failed)."),
    ] = None,
) -> dict:
    """The merchant's campaigns, newest first, optionally of one status."""
    return paginate(selectors.campaign_list(merchant=merchant_of(request), status=status), page)


@router.post("", response={201: CampaignOut}, summary="Create a campaign (draft)")
def create_campaign(request: HttpRequest, payload: CampaignIn) -> tuple[int, Campaign]:
    """400 `marketing.invalid_campaign` for bad content; 404 `marketing.segment_not_found`."""
    data = services.CampaignInput(
        name=payload.name, kind=payload.kind, content=payload.content, segment_id=payload.segment_id
    )
    return 201, services.campaign_create(merchant=merchant_of(request), data=data, actor=actor_of(request))


@router.get("/{campaign_id}", response=CampaignOut, summary="Get a campaign")
def get_campaign(request: HttpRequest, campaign_id: CampaignId) -> Campaign:
    """One campaign with its status and schedule; 404 for another merchant's."""
    return services.campaign_get(merchant=merchant_of(request), public_id=campaign_id)


@router.post("/{campaign_id}/send", response=CampaignOut, summary="Send now or schedule")
def send_campaign(request: HttpRequest, payload: SendIn, campaign_id: CampaignId) -> Campaign:
    """409 `marketing.empty_audience` when nobody can be messaged; 409 `marketing.not_editable`."""
    merchant = merchant_of(request)
    services.campaign_schedule(merchant=merchant, public_id=campaign_id, at=payload.at, actor=actor_of(request))
    return services.campaign_get(merchant=merchant, public_id=campaign_id)


@router.post("/{campaign_id}/cancel", response=CampaignOut, summary="Cancel a campaign")
def cancel_campaign(request: HttpRequest, campaign_id: CampaignId) -> Campaign:
    """409 `state.invalid_transition` when it is sent, cancelled or failed already."""
    return services.campaign_cancel(merchant=merchant_of(request), public_id=campaign_id, actor=actor_of(request))


@router.get("/{campaign_id}/report", response=CampaignReportOut, summary="A campaign's report")
def campaign_report(request: HttpRequest, campaign_id: CampaignId) -> Report:
    """Progress, sends, skips by reason, coupons issued, delivery, clicks and the SMS comparison."""
    merchant = merchant_of(request)
    campaign = services.campaign_get(merchant=merchant, public_id=campaign_id)
    return selectors.campaign_report(merchant=merchant, campaign=campaign)
