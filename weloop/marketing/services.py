"""Campaigns: create, schedule, start (fan-out), run a batch (caps, send), cancel; settings, opt-outs, clicks.

Crash safety, in one paragraph: ``campaign_start`` writes every batch (a bitmap of recipients) and
moves the campaign to ``sending`` in one transaction. ``campaign_batch_run`` reserves first: under
a row lock on the batch and on the merchant's cap counters it checks opt-outs and caps, records the
messages in the counters and marks the batch ``reserved``, all in one commit — so a retry finds the
batch reserved and never counts twice. It then sends: a mass send carries the clientmsgid
``<campaign>-<batch>`` (WeChat answers a repeat with the first job, 45065), a template notice the
client_msg_id ``<campaign>:<member>`` (deduplicated the same way), and a customer-service message,
which has no dedup key, is sent only after its position was written as ``attempted``: a worker
killed between the two leaves it unknown, counted failed, never re-sent. Coupons are issued with
``source_ref=campaign:<id>`` (idempotent per member). Closing a batch adds its tally to the
campaign once (the compare-and-set reserved -> done).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from pyroaring import BitMap

from weloop.core import clock
from weloop.core.events import publish
from weloop.marketing import calculations as calc
from weloop.marketing.audience import audience_members, opted_out_members, segment_lookup
from weloop.marketing.enums import CHANNEL_OF_KIND, BatchStatus, CampaignKind, CampaignStatus, Channel
from weloop.marketing.errors import (
    CampaignNotEditable,
    CampaignNotFound,
    EmptyAudience,
    InvalidCampaign,
    InvalidCapSettings,
    SegmentNotFound,
    UnknownLink,
    WechatNotConnected,
)
from weloop.marketing.models import (
    Campaign,
    CampaignBatch,
    CampaignClick,
    CapCounter,
    MarketingOptOut,
    MarketingSettings,
)
from weloop.marketing.state import CAMPAIGN
from weloop.members.enums import TouchKind
from weloop.members.models import Member, MemberTouch
from weloop.messaging.services import OutboundInput, message_log_outbound
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat import limits
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable

log = logging.getLogger(__name__)

BATCH_SIZE = 5000  # <= 10,000 openids per mass/send; 5,000 keeps SQL IN lists small
MASS_MONTHLY_CAP = 4  # WeChat: a follower of a service account gets at most 4 mass messages a month
ONE_BY_ONE_CHUNK = 50  # template notices: progress written every 50 (client_msg_id dedups a repeat)
_TOUCH_WINDOWS = {
    TouchKind.MESSAGE: limits.MESSAGE,
    TouchKind.MENU_CLICK: limits.MENU_CLICK,
    TouchKind.FOLLOW: limits.FOLLOW,
    TouchKind.SCAN: limits.SCAN,
}


# --- settings and opt-outs -------------------------------------------------------------------------


def settings_of(*, merchant: Merchant) -> MarketingSettings:
    """The merchant's caps (defaults until changed: 2 a day, quiet 22:00-08:00, SMS ¥0.045)."""
    found = MarketingSettings.objects.for_merchant(merchant).first()
    return found if found is not None else MarketingSettings(merchant=merchant)


def marketing_settings_update(
    *,
    merchant: Merchant,
    daily_cap: int,
    quiet_enabled: bool,
    quiet_start: Any,
    quiet_end: Any,
    sms_price_centifen: int,
) -> MarketingSettings:
    """Change the caps. Raises InvalidCapSettings (cap 1..20, price 0..100,000 centi-fen)."""
    if not isinstance(daily_cap, int) or not 1 <= daily_cap <= 20:
        raise InvalidCapSettings(
            "Messages per member per day is a whole number from 1 to 20.", extra={"field": "daily_cap"}
        )
    if not isinstance(sms_price_centifen, int) or not 0 <= sms_price_centifen <= 100_000:
        raise InvalidCapSettings("The SMS price is between ¥0 and ¥10.", extra={"field": "sms_price_centifen"})
    row, _ = MarketingSettings.objects.update_or_create(
        merchant=merchant,
        defaults={
            "daily_cap": daily_cap,
            "quiet_enabled": quiet_enabled,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "sms_price_centifen": sms_price_centifen,
            "updated_at": clock.now(),
        },
    )
    return row


def marketing_opt_out_set(
    *, merchant: Merchant, member: Member, opted_out: bool, source: str = "h5"
) -> MarketingOptOut:
    """Record a member's choice about marketing messages; every later batch honours it."""
    if member.merchant_id != merchant.pk:
        raise CampaignNotFound()
    row, _ = MarketingOptOut.objects.update_or_create(
        merchant=merchant,
        member=member,
        defaults={"opted_out": opted_out, "source": source[:16], "changed_at": clock.now()},
    )
    return row


# --- campaigns -------------------------------------------------------------------------------------


@dataclass
class CampaignInput:
    name: str
    kind: str
    content: dict[str, Any] = field(default_factory=dict)
    segment_id: str = ""  # a segment's public id; "" = every follower


def _clean_content(kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    def text(name: str, limit: int, *, required: bool = True) -> str:
        value = str(content.get(name) or "").strip()
        if required and not value:
            raise InvalidCampaign(f"Fill in {name}.", extra={"field": name})
        if len(value) > limit:
            raise InvalidCampaign(f"{name} is at most {limit} characters.", extra={"field": name})
        return value

    def url(name: str, *, required: bool) -> str:
        value = text(name, 500, required=required)
        if value and not value.startswith(("https://", "http://")):
            raise InvalidCampaign(f"{name} must be a web address (http:// or https://).", extra={"field": name})
        return value

    if kind == CampaignKind.TEXT:
        return {"text": text("text", 600)}
    if kind == CampaignKind.ARTICLE:
        return {
            "title": text("title", 64),
            "description": text("description", 120, required=False),
            "url": url("url", required=True),
            "picurl": url("picurl", required=False),
        }
    if kind == CampaignKind.COUPON:
        return {"template_id": text("template_id", 24), "text": text("text", 300, required=False)}
    if kind == CampaignKind.TEMPLATE:
        data = content.get("data") or {}
        if not isinstance(data, Mapping) or not data:
            raise InvalidCampaign("A template notice needs its data (keyword: value).", extra={"field": "data"})
        clean = {str(k)[:32]: str(v)[:200] for k, v in data.items()}
        return {"template_id": text("template_id", 64), "data": clean, "url": url("url", required=False)}
    raise InvalidCampaign("Unknown campaign kind.", extra={"field": "kind", "value": kind})


def campaign_create(*, merchant: Merchant, data: CampaignInput, actor: str = "") -> Campaign:
    """Create a draft campaign. Raises InvalidCampaign, SegmentNotFound."""
    name = (data.name or "").strip()
    if not name or len(name) > 100:
        raise InvalidCampaign("A campaign needs a name of at most 100 characters.", extra={"field": "name"})
    content = _clean_content(data.kind, data.content)
    if data.kind == CampaignKind.COUPON:
        _coupon_template(merchant, content["template_id"])
    segment_ref, segment_name = segment_lookup(merchant=merchant, segment_ref=data.segment_id)
    campaign = Campaign.objects.create(
        merchant=merchant,
        name=name,
        kind=data.kind,
        channel=CHANNEL_OF_KIND[CampaignKind(data.kind)],
        content=content,
        segment_ref=segment_ref,
        segment_name=segment_name,
        created_by=actor[:150],
    )
    return campaign


def campaign_get(*, merchant: Merchant, public_id: str) -> Campaign:
    campaign = Campaign.objects.for_merchant(merchant).filter(public_id=public_id).first()
    if campaign is None:
        raise CampaignNotFound(extra={"campaign_id": public_id})
    return campaign


def campaign_schedule(*, merchant: Merchant, public_id: str, at: datetime | None = None, actor: str = "") -> Campaign:
    """Schedule a draft for ``at`` (None = now) and queue its start. Raises EmptyAudience when the
    segment matches nobody who can be messaged, WechatNotConnected, CampaignNotEditable."""
    from weloop.marketing import tasks

    now = clock.now()
    when = max(at or now, now)
    with transaction.atomic():
        campaign = Campaign.objects.for_merchant(merchant).select_for_update().filter(public_id=public_id).first()
        if campaign is None:
            raise CampaignNotFound(extra={"campaign_id": public_id})
        if campaign.status != CampaignStatus.DRAFT:
            raise CampaignNotEditable()
        _require_wechat(merchant)
        reach = audience_members(merchant=merchant, segment_ref=campaign.segment_ref) - opted_out_members(
            merchant=merchant
        )
        if not reach:
            raise EmptyAudience()
        CAMPAIGN.transition(campaign, CampaignStatus.SCHEDULED, actor=actor, extra_updates={"scheduled_at": when})
        publish(merchant=merchant, name="marketing.campaign_scheduled", payload=_payload(campaign))
        pk = campaign.pk
        transaction.on_commit(lambda: tasks.enqueue_start(pk, when))
    return campaign


def campaign_cancel(*, merchant: Merchant, public_id: str, actor: str = "") -> Campaign:
    """Cancel a draft, scheduled or sending campaign: batches not yet reserved are dropped (one
    being sent finishes)."""
    with transaction.atomic():
        campaign = Campaign.objects.for_merchant(merchant).select_for_update().filter(public_id=public_id).first()
        if campaign is None:
            raise CampaignNotFound(extra={"campaign_id": public_id})
        CAMPAIGN.transition(campaign, CampaignStatus.CANCELLED, actor=actor, extra_updates={"finished_at": clock.now()})
        CampaignBatch.objects.filter(campaign=campaign, status=BatchStatus.PENDING).update(
            status=BatchStatus.CANCELLED, updated_at=clock.now()
        )
        publish(merchant=merchant, name="marketing.campaign_cancelled", payload=_payload(campaign))
    return campaign


def _payload(campaign: Campaign) -> dict[str, Any]:
    return {"campaign_id": campaign.public_id, "name": campaign.name, "kind": campaign.kind, "status": campaign.status}


def _require_wechat(merchant: Merchant) -> WeChatApi:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise WechatNotConnected()
    return WeChatApi(account.appid, account.app_secret)


def _coupon_template(merchant: Merchant, template_id: str) -> Any:
    from weloop.coupons.models import CouponTemplate  # the coupons app (same build)

    template = CouponTemplate.objects.for_merchant(merchant).filter(public_id=template_id).first()
    if template is None:
        raise InvalidCampaign("No such coupon template.", extra={"field": "template_id"})
    return template


# --- start: the fan-out ----------------------------------------------------------------------------


def fanout_write(*, campaign: Campaign, audience: BitMap, batch_size: int = BATCH_SIZE) -> list[int]:
    """Write the batches of ``audience`` (one row per ``batch_size`` recipients); returns their pks.
    The caller holds the campaign's row lock and its transaction."""
    now = clock.now()
    rows = [
        CampaignBatch(
            merchant_id=campaign.merchant_id,
            campaign=campaign,
            batch_no=no,
            size=len(part),
            members=part.serialize(),
            updated_at=now,
        )
        for no, part in enumerate(calc.split_batches(audience, batch_size), start=1)
    ]
    CampaignBatch.objects.bulk_create(rows, batch_size=200)
    if rows and rows[0].pk is None:  # databases that return no ids from bulk inserts
        return list(CampaignBatch.objects.filter(campaign=campaign).values_list("pk", flat=True))
    return [row.pk for row in rows]


def campaign_start(
    *, campaign_pk: int, enqueue: Callable[[int], None] | None = None, batch_size: int = BATCH_SIZE
) -> str:
    """Start a due scheduled campaign: quiet hours move it to their end; an empty audience fails it;
    otherwise write the fan-out, move to ``sending`` and queue each batch. Idempotent: a campaign
    that is not scheduled-and-due is left alone. Returns what happened."""
    from weloop.marketing import tasks

    queue = enqueue or tasks.enqueue_batch
    now = clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_pk).first()
        if campaign is None or campaign.status != CampaignStatus.SCHEDULED:
            return "not_scheduled"
        if campaign.scheduled_at and campaign.scheduled_at > now + timedelta(seconds=1):
            return "not_due"
        merchant = campaign.merchant
        config = settings_of(merchant=merchant)
        wait = calc.quiet_until(now, config.quiet_start, config.quiet_end, enabled=config.quiet_enabled)
        if wait is not None:
            Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=wait, quiet_delayed_until=wait)
            pk = campaign.pk
            transaction.on_commit(lambda: tasks.enqueue_start(pk, wait))
            return "quiet"
        try:
            audience = audience_members(merchant=merchant, segment_ref=campaign.segment_ref)
        except SegmentNotFound as error:  # deleted since: the campaign fails with the reason
            audience, failure = BitMap(), error.message[:255]
        else:
            failure = EmptyAudience.message
        if not audience:
            CAMPAIGN.transition(
                campaign, CampaignStatus.FAILED, actor="system", extra_updates={"failure": failure, "finished_at": now}
            )
            publish(merchant=merchant, name="marketing.campaign_failed", payload=_payload(campaign))
            return "failed"
        batch_pks = fanout_write(campaign=campaign, audience=audience, batch_size=batch_size)
        CAMPAIGN.transition(
            campaign,
            CampaignStatus.SENDING,
            actor="system",
            extra_updates={"started_at": now, "audience_count": len(audience)},
        )
        publish(merchant=merchant, name="marketing.campaign_started", payload=_payload(campaign))
        transaction.on_commit(lambda: [queue(pk) for pk in batch_pks])
    return "started"


def campaigns_start_due() -> int:
    """The sweep: start every scheduled campaign that is due (a lost queue message only delays)."""
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=clock.now()).values_list(
        "pk", flat=True
    )
    return sum(campaign_start(campaign_pk=pk) == "started" for pk in list(due))


# --- a batch: reserve, send, close -----------------------------------------------------------------


def _counter_locked(merchant_id: int, scope: str, period: str) -> CapCounter:
    try:
        with transaction.atomic():
            CapCounter.objects.get_or_create(merchant_id=merchant_id, scope=scope, period=period)
    except IntegrityError:  # created by a racing batch a moment ago
        pass
    return CapCounter.objects.select_for_update().get(merchant_id=merchant_id, scope=scope, period=period)


def caps_reserve(
    *, merchant_id: int, candidates: BitMap, daily_cap: int, mass: bool, now: datetime
) -> tuple[BitMap, BitMap, BitMap]:
    """Take the caps for ``candidates``: returns (allowed, over the daily cap, over WeChat's monthly
    mass cap) and records one message for each allowed member. The caller's transaction holds the
    counter rows' locks until it commits (lock order: day, then month)."""
    day = _counter_locked(merchant_id, "day", calc.day_key(now))
    day_levels = calc.levels_load(day.levels)
    allowed = calc.cap_take(day_levels, candidates, daily_cap)
    over_day = candidates - allowed
    over_month = BitMap()
    month = None
    if mass:
        month = _counter_locked(merchant_id, "month", calc.month_key(now))
        month_levels = calc.levels_load(month.levels)
        still = calc.cap_take(month_levels, allowed, MASS_MONTHLY_CAP)
        over_month = allowed - still
        allowed = still
        calc.cap_record(month_levels, allowed, MASS_MONTHLY_CAP)
        CapCounter.objects.filter(pk=month.pk).update(levels=calc.levels_dump(month_levels), updated_at=now)
    calc.cap_record(day_levels, allowed, daily_cap)
    CapCounter.objects.filter(pk=day.pk).update(levels=calc.levels_dump(day_levels), updated_at=now)
    return allowed, over_day, over_month


def campaign_batch_run(*, batch_pk: int) -> str:
    """Reserve, send and close one batch; safe to run again after any crash. Returns the outcome
    ("done", "skipped", "quiet:<iso>", "cancelled"). Raises WeChatUnavailable to be retried."""
    now = clock.now()
    with transaction.atomic():
        batch = CampaignBatch.objects.select_for_update().select_related("campaign").filter(pk=batch_pk).first()
        if batch is None or batch.status in (BatchStatus.DONE, BatchStatus.CANCELLED):
            return "skipped"
        campaign = batch.campaign
        if batch.status == BatchStatus.PENDING:
            if campaign.status != CampaignStatus.SENDING:
                batch.status = BatchStatus.CANCELLED
                batch.save(update_fields=["status"])
                return "cancelled"
            config = settings_of(merchant=campaign.merchant)
            wait = calc.quiet_until(now, config.quiet_start, config.quiet_end, enabled=config.quiet_enabled)
            if wait is not None:
                return f"quiet:{wait.isoformat()}"
            _reserve(batch, campaign, config.daily_cap, now)
    _send(batch, campaign)
    return _close(batch)


def _reserve(batch: CampaignBatch, campaign: Campaign, daily_cap: int, now: datetime) -> None:
    members = BitMap.deserialize(bytes(batch.members))
    following = BitMap(
        Member.objects.filter(merchant_id=campaign.merchant_id, pk__in=list(members), is_following=True).values_list(
            "pk", flat=True
        )
    )
    opted = opted_out_members(merchant=campaign.merchant) & members
    candidates = following - opted
    unreachable = members - following - opted
    if campaign.channel == Channel.CUSTOMER_SERVICE and campaign.kind != CampaignKind.COUPON:
        in_window = _in_window(candidates, now)
        unreachable |= candidates - in_window
        candidates = in_window
    allowed, over_day, over_month = caps_reserve(
        merchant_id=campaign.merchant_id,
        candidates=candidates,
        daily_cap=daily_cap,
        mass=campaign.channel == Channel.MASS,
        now=now,
    )
    batch.reserved = allowed.serialize()
    batch.status = BatchStatus.RESERVED
    batch.tally = {
        "opted_out": len(opted),
        "unreachable": len(unreachable),
        "capped": len(over_day),
        "mass_capped": len(over_month),
    }
    batch.updated_at = now
    batch.save(update_fields=["reserved", "status", "tally", "updated_at"])


def _in_window(members: BitMap, now: datetime) -> BitMap:
    """Members to whom a customer-service message may go now (their 48-hour window is open)."""
    since = now - timedelta(hours=48)
    history: dict[int, list[limits.Interaction]] = {}
    for member_id, kind, at in MemberTouch.objects.filter(
        member_id__in=list(members), at__gte=since, kind__in=list(_TOUCH_WINDOWS)
    ).values_list("member_id", "kind", "at"):
        history.setdefault(member_id, []).append(limits.Interaction(_TOUCH_WINDOWS[kind], at))
    return BitMap(m for m, events in history.items() if limits.window_allows(events, now)[0])


def _api_for(campaign: Campaign) -> WeChatApi:
    return _require_wechat(campaign.merchant)


def _openids(campaign: Campaign, members: BitMap) -> dict[int, str]:
    return dict(
        Member.objects.filter(merchant_id=campaign.merchant_id, pk__in=list(members)).values_list("pk", "openid")
    )


def _save_progress(batch: CampaignBatch, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.updated_at = clock.now()
    CampaignBatch.objects.filter(pk=batch.pk, status=BatchStatus.RESERVED).update(**fields, updated_at=batch.updated_at)


def _send(batch: CampaignBatch, campaign: Campaign) -> None:
    reserved = BitMap.deserialize(bytes(batch.reserved)) if batch.reserved else BitMap()
    if not reserved:
        return
    try:
        api = _api_for(campaign)
    except WechatNotConnected:
        _save_progress(batch, error=WechatNotConnected.message[:255])
        return
    if campaign.kind == CampaignKind.COUPON:
        _send_coupons(batch, campaign, api, reserved)
    elif campaign.channel == Channel.MASS and len(reserved) >= 2:
        _send_mass(batch, campaign, api, reserved)
    else:
        _send_one_by_one(batch, campaign, api, reserved)


def _mass_body(campaign: Campaign) -> tuple[str, dict[str, Any], str]:
    content = campaign.content
    if campaign.kind == CampaignKind.ARTICLE:
        # mpnews needs the article uploaded as WeChat media first; a text message carrying the title,
        # the summary and the tracked link reaches the same followers under the same mass rule.
        text = "\n".join(p for p in (content["title"], content.get("description", ""), tracked_url(campaign)) if p)
        return "text", {"content": text}, content["title"]
    return "text", {"content": content["text"]}, content["text"][:60]


def _send_mass(batch: CampaignBatch, campaign: Campaign, api: WeChatApi, reserved: BitMap) -> None:
    openids = _openids(campaign, reserved)
    msgtype, body, summary = _mass_body(campaign)
    try:
        result = api.mass_send_to_openids(
            [openids[m] for m in reserved if m in openids], msgtype, body, f"{campaign.public_id}-{batch.batch_no}"
        )
    except WeChatUnavailable:
        raise  # the queue retries; the same clientmsgid makes the repeat harmless
    except WeChatApiError as error:
        _save_progress(batch, error=f"{error.errcode} {error.errmsg}"[:255], done=len(reserved))
        return
    message_log_outbound(
        merchant=campaign.merchant,
        data=OutboundInput(
            openid="", msg_type="mass", summary=f"{campaign.name}: {summary}", msg_id=str(result.msg_id)
        ),
    )
    _save_progress(
        batch, sent=reserved.serialize(), msg_ids=[str(result.msg_id)], done=len(reserved), attempted=len(reserved)
    )


def _send_one_by_one(batch: CampaignBatch, campaign: Campaign, api: WeChatApi, reserved: BitMap) -> None:
    """Template notices (deduplicated by client_msg_id: an interrupted chunk is sent again) and
    customer-service messages (no dedup key: an interrupted one is never sent again)."""
    order = list(reserved)
    sent = BitMap.deserialize(bytes(batch.sent)) if batch.sent else BitMap()
    msg_ids = list(batch.msg_ids)
    dedup = campaign.kind == CampaignKind.TEMPLATE
    start = batch.attempted if not dedup else batch.done
    chunk = ONE_BY_ONE_CHUNK if dedup else 1
    openids = _openids(campaign, reserved)
    errors = 0
    for i in range(start, len(order), chunk):
        part = order[i : i + chunk]
        _save_progress(batch, attempted=i + len(part))
        for member_pk in part:
            openid = openids.get(member_pk)
            if not openid:
                continue
            try:
                msg_id = _send_one(api, campaign, openid, member_pk)
            except WeChatUnavailable:
                _save_progress(batch, sent=sent.serialize(), msg_ids=msg_ids, done=i)
                raise
            except WeChatApiError as error:
                errors += 1
                _save_progress(batch, error=f"{error.errcode} {error.errmsg}"[:255])
                continue
            sent.add(member_pk)
            if msg_id:
                msg_ids.append(str(msg_id))
                message_log_outbound(
                    merchant=campaign.merchant,
                    data=OutboundInput(openid=openid, msg_type="template", summary=campaign.name, msg_id=str(msg_id)),
                )
        _save_progress(batch, sent=sent.serialize(), msg_ids=msg_ids, done=i + len(part))


def _send_one(api: WeChatApi, campaign: Campaign, openid: str, member_pk: int) -> int:
    content = campaign.content
    if campaign.kind == CampaignKind.TEMPLATE:
        return api.template_send(
            openid,
            content["template_id"],
            content["data"],
            url=tracked_url(campaign) if content.get("url") else None,
            client_msg_id=f"{campaign.public_id}:{member_pk}",
        )
    if campaign.kind == CampaignKind.ARTICLE:
        api.custom_send_news(
            openid, content["title"], content.get("description", ""), tracked_url(campaign), content.get("picurl", "")
        )
        return 0
    api.custom_send_text(openid, content.get("text") or campaign.name)
    return 0


def _send_coupons(batch: CampaignBatch, campaign: Campaign, api: WeChatApi, reserved: BitMap) -> None:
    """Issue the coupon (idempotent per member and campaign), then tell those in their 48-hour window.
    A budget that runs out stops issuing for the whole campaign; the refusals are counted."""
    from weloop.coupons import services as coupon_services

    tally = dict(batch.tally)
    if not tally.get("issued_done"):
        template = _coupon_template(campaign.merchant, campaign.content["template_id"])
        exhausted = Campaign.objects.filter(pk=campaign.pk, failure="coupon budget exhausted").exists()
        if exhausted:
            issued, refused_budget, refused_limit = 0, len(reserved), 0
        else:
            result = coupon_services.coupons_issue_many(
                merchant=campaign.merchant,
                template=template,
                member_ids=list(reserved),
                channel="campaign",
                source_ref=f"campaign:{campaign.public_id}",
            )
            issued, refused_budget, refused_limit = result.issued, result.refused_budget, result.refused_limit
            if refused_budget:
                Campaign.objects.filter(pk=campaign.pk).update(failure="coupon budget exhausted")
        tally.update(issued=issued, refused_budget=refused_budget, refused_limit=refused_limit, issued_done=True)
        _save_progress(batch, tally=tally)
    holders = _coupon_holders(campaign, reserved)
    told = _in_window(holders, clock.now())
    tally["unreachable"] = tally.get("unreachable", 0) + len(holders - told)
    _save_progress(batch, tally=tally)
    if told:
        _send_one_by_one(batch, campaign, api, told)


def _coupon_holders(campaign: Campaign, members: BitMap) -> BitMap:
    from weloop.coupons.models import Coupon

    return BitMap(
        Coupon.objects.for_merchant(campaign.merchant)
        .filter(member_id__in=list(members), source_ref=f"campaign:{campaign.public_id}")
        .values_list("member_id", flat=True)
    )


def _close(batch: CampaignBatch) -> str:
    """reserved -> done, adding the batch's tally to the campaign exactly once; finish the campaign
    when it was the last batch."""
    batch.refresh_from_db()
    sent = BitMap.deserialize(bytes(batch.sent)) if batch.sent else BitMap()
    reserved = BitMap.deserialize(bytes(batch.reserved)) if batch.reserved else BitMap()
    t = batch.tally
    # coupons: the coupon is the campaign's effect; a member outside the window is unreachable, not failed
    failed = 0 if batch.campaign.kind == CampaignKind.COUPON else len(reserved - sent)
    with transaction.atomic():
        closed = CampaignBatch.objects.filter(pk=batch.pk, status=BatchStatus.RESERVED).update(
            status=BatchStatus.DONE, updated_at=clock.now()
        )
        if not closed:
            return "skipped"
        Campaign.objects.filter(pk=batch.campaign_id).update(
            sent_count=F("sent_count") + len(sent),
            failed_count=F("failed_count") + failed,
            capped_count=F("capped_count") + int(t.get("capped", 0)),
            mass_capped_count=F("mass_capped_count") + int(t.get("mass_capped", 0)),
            opted_out_count=F("opted_out_count") + int(t.get("opted_out", 0)),
            unreachable_count=F("unreachable_count") + int(t.get("unreachable", 0)),
            issued_count=F("issued_count") + int(t.get("issued", 0)),
            refused_budget_count=F("refused_budget_count") + int(t.get("refused_budget", 0)),
            refused_limit_count=F("refused_limit_count") + int(t.get("refused_limit", 0)),
        )
        _finish_if_done(batch.campaign_id)
    return "done"


def _finish_if_done(campaign_pk: int) -> None:
    campaign = Campaign.objects.select_for_update().get(pk=campaign_pk)
    if campaign.status != CampaignStatus.SENDING:
        return
    if CampaignBatch.objects.filter(
        campaign_id=campaign_pk, status__in=[BatchStatus.PENDING, BatchStatus.RESERVED]
    ).exists():
        return
    CAMPAIGN.transition(campaign, CampaignStatus.SENT, actor="system", extra_updates={"finished_at": clock.now()})
    publish(
        merchant=campaign.merchant,
        name="marketing.campaign_sent",
        payload={**_payload(campaign), "sent": campaign.sent_count},
    )


def batches_resume_stale(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Batches of sending campaigns still pending or reserved after ``older_than`` (a worker died):
    their pks, for the sweep to queue again."""
    cutoff = clock.now() - older_than
    return list(
        CampaignBatch.objects.filter(
            campaign__status=CampaignStatus.SENDING,
            status__in=[BatchStatus.PENDING, BatchStatus.RESERVED],
            updated_at__lt=cutoff,
        ).values_list("pk", flat=True)
    )


# --- tracked links ---------------------------------------------------------------------------------


def tracked_url(campaign: Campaign) -> str:
    from django.conf import settings

    base = str(getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/m/{campaign.merchant.slug}/c/{campaign.link_token}"


def campaign_click(*, merchant: Merchant, token: str, member: Member | None = None) -> str:
    """Count a tap on a campaign's tracked link; returns where it leads. Raises UnknownLink."""
    campaign = Campaign.objects.for_merchant(merchant).filter(link_token=token).first()
    if campaign is None:
        raise UnknownLink()
    CampaignClick.objects.create(merchant=merchant, campaign=campaign, member=member, at=clock.now())
    Campaign.objects.filter(pk=campaign.pk).update(click_count=F("click_count") + 1)
    target = str(campaign.content.get("url") or "")
    return target or f"/m/{merchant.slug}/"


def delivery_count(*, campaign: Campaign) -> int:
    """Recipients WeChat reported delivered (MASSSENDJOBFINISH / TEMPLATESENDJOBFINISH via the message log)."""
    from weloop.messaging.enums import Direction, LogStatus
    from weloop.messaging.models import MessageLog

    ids: list[str] = []
    sizes: dict[str, int] = {}
    for msg_ids, sent in CampaignBatch.objects.filter(campaign=campaign).values_list("msg_ids", "sent"):
        n = len(BitMap.deserialize(bytes(sent))) if sent else 0
        for mid in msg_ids or []:
            ids.append(mid)
            sizes[mid] = n if campaign.channel == Channel.MASS else 1
    if not ids:
        return 0
    delivered = (
        MessageLog.objects.for_merchant(campaign.merchant)
        .filter(direction=Direction.OUT, msg_id__in=ids, status=LogStatus.DELIVERED)
        .values_list("msg_id", flat=True)
    )
    return sum(sizes.get(mid, 0) for mid in set(delivered))
