"""Campaigns in the console: the list, a new campaign (segment, kind, content, schedule, with the
reach it would have now), a campaign's live progress and report, send, cancel, and the cap settings.

Every action goes through ``marketing.services``; the numbers come from ``marketing.selectors``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from weloop.core.errors import WeloopError
from weloop.core.money import yuan_text
from weloop.dashboard.web import actor_of, render_page
from weloop.marketing import calculations as calc
from weloop.marketing import selectors, services
from weloop.marketing.enums import CampaignKind, CampaignStatus
from weloop.tenants.access import staff_view

PAGE_SIZE = 100


def _segments(merchant: Any) -> list[tuple[str, str]]:
    from weloop.segments.models import Segment

    return [(s.public_id, s.name) for s in Segment.objects.for_merchant(merchant).order_by("name")[:500]]


def _coupon_templates(merchant: Any) -> list[tuple[str, str]]:
    from weloop.coupons.models import CouponTemplate

    return [(t.public_id, t.name) for t in CouponTemplate.objects.for_merchant(merchant).order_by("-id")[:200]]


def _choices(loader: Any, merchant: Any) -> list[tuple[str, str]]:
    try:
        return loader(merchant)
    except (ImportError, LookupError):  # an app of the same release not migrated yet
        return []


@staff_view("campaigns.manage")
def campaign_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    status = request.GET.get("status", "")
    campaigns = selectors.campaign_list(merchant=merchant, status=status if status in CampaignStatus.values else None)
    context = {"campaigns": list(campaigns[:PAGE_SIZE]), "statuses": CampaignStatus.choices, "status": status}
    return render_page(request, "dashboard/campaigns/list.html", context)


_CONTENT_FIELDS = ("text", "title", "description", "url", "picurl", "template_id", "coupon_template_id", "data")


def _content_of(kind: str, post: Any) -> dict[str, Any]:
    if kind == CampaignKind.COUPON:
        return {"template_id": post.get("coupon_template_id", ""), "text": post.get("text", "")}
    if kind == CampaignKind.TEMPLATE:
        data = {}
        for line in post.get("data", "").splitlines():
            key, _, value = line.partition("=")
            if key.strip():
                data[key.strip()] = value.strip()
        return {"template_id": post.get("template_id", ""), "data": data, "url": post.get("url", "")}
    return {name: post.get(name, "") for name in ("text", "title", "description", "url", "picurl")}


def _parse_when(value: str) -> datetime.datetime | None:
    if not value:
        return None
    try:
        naive = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive.replace(tzinfo=calc.local_tz()) if naive.tzinfo is None else naive


@staff_view("campaigns.manage")
def campaign_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    form = {name: request.POST.get(name, "") for name in ("name", "kind", "segment", "when", *_CONTENT_FIELDS)}
    form["kind"] = form["kind"] or CampaignKind.TEXT
    reach = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "preview":
                reach = selectors.reach_preview(merchant=merchant, segment_ref=form["segment"], kind=form["kind"])
            else:
                campaign = services.campaign_create(
                    merchant=merchant,
                    data=services.CampaignInput(
                        name=form["name"],
                        kind=form["kind"],
                        content=_content_of(form["kind"], request.POST),
                        segment_id=form["segment"],
                    ),
                    actor=actor_of(request),
                )
                if request.POST.get("action") == "send":
                    services.campaign_schedule(
                        merchant=merchant,
                        public_id=campaign.public_id,
                        at=_parse_when(form["when"]),
                        actor=actor_of(request),
                    )
                    messages.success(request, gettext("Campaign scheduled."))
                else:
                    messages.success(request, gettext("Campaign saved as a draft."))
                return redirect("dashboard:campaign_detail", campaign_id=campaign.public_id)
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
    context = {
        "form": form,
        "kinds": CampaignKind.choices,
        "segments": _choices(_segments, merchant),
        "coupon_templates": _choices(_coupon_templates, merchant),
        "reach": reach,
        "sms_cost": yuan_text(reach.sms_cost_fen) if reach else "",
    }
    return render_page(request, "dashboard/campaigns/create.html", context)


@staff_view("campaigns.manage")
def campaign_detail(request: HttpRequest, campaign_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    campaign = services.campaign_get(merchant=merchant, public_id=campaign_id)
    report = selectors.campaign_report(merchant=merchant, campaign=campaign)
    reach = None
    if campaign.status == CampaignStatus.DRAFT:
        try:
            reach = selectors.reach_preview(merchant=merchant, segment_ref=campaign.segment_ref, kind=campaign.kind)
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
    context = {
        "campaign": campaign,
        "report": report,
        "sms_cost": yuan_text(report.sms_cost_fen),
        "sms_price": f"¥{report.sms_price_centifen / 10000:.4f}".rstrip("0"),
        "reach": reach,
        "live": campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
        "can_cancel": campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING),
    }
    return render_page(request, "dashboard/campaigns/detail.html", context)


@require_POST
@staff_view("campaigns.manage")
def campaign_send(request: HttpRequest, campaign_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    campaign = services.campaign_get(merchant=merchant, public_id=campaign_id)
    try:
        services.campaign_schedule(
            merchant=merchant,
            public_id=campaign.public_id,
            at=_parse_when(request.POST.get("when", "")),
            actor=actor_of(request),
        )
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    else:
        messages.success(request, gettext("Campaign scheduled."))
    return redirect("dashboard:campaign_detail", campaign_id=campaign.public_id)


@require_POST
@staff_view("campaigns.manage")
def campaign_cancel(request: HttpRequest, campaign_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    campaign = services.campaign_get(merchant=merchant, public_id=campaign_id)
    try:
        services.campaign_cancel(merchant=merchant, public_id=campaign.public_id, actor=actor_of(request))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    else:
        messages.success(request, gettext("Campaign cancelled."))
    return redirect("dashboard:campaign_detail", campaign_id=campaign.public_id)


@staff_view("campaigns.manage")
def campaign_settings(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            services.marketing_settings_update(
                merchant=merchant,
                daily_cap=_int(request.POST.get("daily_cap")),
                quiet_enabled=request.POST.get("quiet_enabled") == "on",
                quiet_start=_time(request.POST.get("quiet_start"), datetime.time(22)),
                quiet_end=_time(request.POST.get("quiet_end"), datetime.time(8)),
                sms_price_centifen=_int(request.POST.get("sms_price_centifen")),
            )
        except WeloopError as error:
            messages.error(request, gettext(error.detail))
        else:
            messages.success(request, gettext("Cap settings saved."))
            return redirect("dashboard:campaign_settings")
    context = {"settings": services.settings_of(merchant=merchant)}
    return render_page(request, "dashboard/campaigns/settings.html", context)


def _int(value: str | None) -> int:
    try:
        return int(str(value or "").strip())
    except ValueError:
        return -1


def _time(value: str | None, default: datetime.time) -> datetime.time:
    try:
        return datetime.time.fromisoformat(str(value or "").strip())
    except ValueError:
        return default
