"""Notifications: telling a member what happened, through the channel WeChat allows, exactly once.

Flow: an outbox handler calls ``notification_enqueue`` (one row per fact: the unique dedup key makes
a repeated event a no-op); ``notifications_send_due`` (a Huey task) claims due rows in batches,
chooses each one's channel, calls WeChat concurrently and records the outcome:

- a template message (or subscription notice) when the merchant mapped the kind to a template;
- else a customer-service message when the member is inside a customer-service window (48 h after
  a message or a payment, 1 min after a follow, scan or menu click; WECHAT.md §3.3);
- else the row fails with reason "no channel" — a clear state, nothing retried.

WeChat errors that may pass (system busy, 45009 quota, 45011 frequency, network) are retried with
exponential backoff; 45009 backs off much longer and pauses the merchant's other sends. Any other
errcode fails the row at once. ``notification_job_report`` applies TEMPLATESENDJOBFINISH.
"""

from __future__ import annotations

import copy
import logging
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
import requests.adapters
from django.conf import settings as dj_settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, override

from weloop.core import clock
from weloop.members.enums import TouchKind
from weloop.members.models import Member, MemberTouch
from weloop.messaging.enums import NotificationChannel, NotificationKind, NotificationStatus, TemplateChannel
from weloop.messaging.errors import InvalidNotificationTemplate
from weloop.messaging.models import Notification, NotificationPreference, NotificationSettings, NotificationTemplate
from weloop.messaging.notification_kinds import KINDS, check_pattern, context_from, dedup_key, render
from weloop.messaging.state import NOTIFICATION
from weloop.orders.models import Order
from weloop.stores.models import Store
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat import limits
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)
QUOTA_ERRCODE = 45009
QUOTA_BACKOFF = timedelta(minutes=30)
MAX_QUOTA_BACKOFF = timedelta(hours=12)
CLAIM_LEASE = timedelta(minutes=5)
BATCH_SIZE = 500
SEND_WORKERS = 16
WINDOW_LOOKBACK = timedelta(hours=48)
_EARLY_REPORT_TTL = 600  # seconds a job report waits for its send to be recorded

REASON_NO_CHANNEL = "no channel"
REASON_NOT_FOLLOWING = "member does not follow the account"
REASON_MUTED = "member muted notifications"
REASON_OPTED_OUT = "member opted out of this kind"
REASON_DISABLED = "notifications are switched off"
REASON_NOT_CONNECTED = "no WeChat account connected"

_TOUCH_WINDOWS = {
    TouchKind.MESSAGE: limits.MESSAGE,
    TouchKind.MENU_CLICK: limits.MENU_CLICK,
    TouchKind.FOLLOW: limits.FOLLOW,
    TouchKind.SCAN: limits.SCAN,
}


# --- settings, templates, preferences -----------------------------------------------------------


def settings_of(*, merchant: Merchant) -> NotificationSettings:
    settings, _created = NotificationSettings.objects.get_or_create(merchant=merchant)
    return settings


def settings_update(
    *, merchant: Merchant, is_enabled: bool, customer_service_fallback: bool, follow_prompt: str
) -> NotificationSettings:
    """Set the merchant's notification switches and the follow prompt added to payment notices."""
    settings = settings_of(merchant=merchant)
    settings.is_enabled = bool(is_enabled)
    settings.customer_service_fallback = bool(customer_service_fallback)
    settings.follow_prompt = (follow_prompt or "").strip()[:200]
    settings.updated_at = clock.now()
    settings.save()
    return settings


@dataclass
class TemplateInput:
    kind: str
    template_id: str
    fields: Mapping[str, str]
    channel: str = TemplateChannel.TEMPLATE
    url: str = ""
    is_active: bool = True


def template_set(*, merchant: Merchant, data: TemplateInput) -> NotificationTemplate:
    """Map a kind to a template: its id and keyword patterns. Raises ``InvalidNotificationTemplate``."""
    spec = KINDS.get(data.kind)
    if spec is None:
        raise InvalidNotificationTemplate("Unknown event.", extra={"field": "kind", "value": data.kind})
    if data.channel not in TemplateChannel.values:
        raise InvalidNotificationTemplate("Unknown channel.", extra={"field": "channel"})
    template_id = (data.template_id or "").strip()
    if not template_id or len(template_id) > 64 or " " in template_id:
        raise InvalidNotificationTemplate("A template ID is 1 to 64 characters.", extra={"field": "template_id"})
    fields: dict[str, str] = {}
    for keyword, pattern in data.fields.items():
        keyword, pattern = str(keyword).strip(), str(pattern).strip()
        if not keyword:
            continue
        if len(keyword) > 32 or not keyword.replace("_", "").isalnum():
            raise InvalidNotificationTemplate(
                "A field name is letters, digits and _ (e.g. keyword1, thing2).", extra={"field": "fields"}
            )
        bad = check_pattern(pattern, spec)
        if bad is not None:
            raise InvalidNotificationTemplate(
                f"Unknown value {{{bad}}}; this event offers: {', '.join(spec.variables)}.",
                extra={"field": "fields", "keyword": keyword, "placeholder": bad},
            )
        fields[keyword] = pattern[:200]
    if not fields:
        raise InvalidNotificationTemplate("Map at least one template field.", extra={"field": "fields"})
    url = (data.url or "").strip()
    if url and (not url.startswith(("https://", "http://")) or len(url) > 1024 or check_pattern(url, spec)):
        raise InvalidNotificationTemplate("The link must be an http(s) URL.", extra={"field": "url"})
    template, _created = NotificationTemplate.objects.update_or_create(
        merchant=merchant,
        kind=data.kind,
        defaults={
            "channel": data.channel,
            "template_id": template_id,
            "fields": fields,
            "url": url,
            "is_active": bool(data.is_active),
            "updated_at": clock.now(),
        },
    )
    return template


def template_delete(*, merchant: Merchant, kind: str) -> None:
    NotificationTemplate.objects.for_merchant(merchant).filter(kind=kind).delete()


def preference_of(*, merchant: Merchant, member: Member) -> NotificationPreference:
    preference = NotificationPreference.objects.for_merchant(merchant).filter(member=member).first()
    return preference or NotificationPreference(merchant=merchant, member=member)


def preference_set(
    *, merchant: Merchant, member: Member, muted: bool, opted_out: Iterable[str]
) -> NotificationPreference:
    """Record what a member does not want to hear about (unknown kinds are ignored)."""
    if member.merchant_id != merchant.pk:
        raise InvalidNotificationTemplate("No such member.", extra={"field": "member"})
    kinds = sorted({kind for kind in opted_out if kind in NotificationKind.values})
    preference, _created = NotificationPreference.objects.update_or_create(
        merchant=merchant, member=member, defaults={"muted": bool(muted), "opted_out": kinds, "updated_at": clock.now()}
    )
    return preference


# --- enqueueing ---------------------------------------------------------------------------------


def notification_enqueue(*, merchant: Merchant, kind: str, payload: Mapping[str, Any]) -> Notification | None:
    """Record that the member in ``payload`` should be told about ``kind``; at most once per fact.

    Returns the (new or earlier) row, or None when the payload names no member of the merchant or
    lacks its key fields. A member's opt-out, a mute or the merchant's switch give a ``skipped`` row
    (so the log says why). Runs in the caller's transaction; the send is queued after commit.
    """
    spec = KINDS[kind]
    key = dedup_key(spec, payload)
    member_id = payload.get("member_id")
    if key is None or not member_id:
        logger.warning("notification %s: payload lacks %s or member_id", kind, spec.key_fields)
        return None
    earlier = Notification.objects.for_merchant(merchant).filter(dedup_key=key).first()
    if earlier is not None:
        return earlier
    member = Member.objects.for_merchant(merchant).filter(public_id=member_id).first()
    if member is None:
        return None
    store_name = ""
    if payload.get("store_id") and "store_name" in spec.variables:
        store = Store.objects.for_merchant(merchant).filter(public_id=payload["store_id"]).only("name").first()
        store_name = store.name if store else ""
    context = context_from(spec, payload, store_name=store_name)
    settings = settings_of(merchant=merchant)
    if "follow_prompt" in spec.variables:
        context["follow_prompt"] = settings.follow_prompt
    status, reason = NotificationStatus.PENDING, ""
    preference = NotificationPreference.objects.for_merchant(merchant).filter(member=member).first()
    if not settings.is_enabled:
        status, reason = NotificationStatus.SKIPPED, REASON_DISABLED
    elif preference is not None and preference.muted:
        status, reason = NotificationStatus.SKIPPED, REASON_MUTED
    elif preference is not None and kind in preference.opted_out:
        status, reason = NotificationStatus.SKIPPED, REASON_OPTED_OUT
    now = clock.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                merchant=merchant,
                member=member,
                openid=member.openid,
                kind=kind,
                dedup_key=key,
                context=context,
                status=status,
                reason=reason,
                next_attempt_at=now,
                created_at=now,
                finished_at=now if status == NotificationStatus.SKIPPED else None,
            )
    except IntegrityError:  # the same fact, enqueued concurrently: the first row stands
        return Notification.objects.for_merchant(merchant).get(dedup_key=key)
    if status == NotificationStatus.PENDING:
        transaction.on_commit(_nudge_sender)
    return notification


def _nudge_sender() -> None:
    from weloop.messaging.tasks import notifications_send

    try:
        notifications_send()
    except Exception:  # the periodic sweep sends it; never fail the caller
        logger.exception("could not enqueue notification sending; the sweep will pick it up")


# --- sending ------------------------------------------------------------------------------------


@dataclass
class _Plan:
    notification: Notification
    channel: str = ""
    template: NotificationTemplate | None = None
    text: str = ""
    data: dict[str, str] = field(default_factory=dict)
    url: str = ""
    api: WeChatApi | None = None
    reason: str = ""  # set when it cannot be sent at all


@dataclass
class _Result:
    msg_id: str = ""
    error: WeChatApiError | None = None


@dataclass
class _MerchantContext:
    settings: NotificationSettings
    templates: dict[str, NotificationTemplate]
    api: WeChatApi | None


def _claim(limit: int) -> list[Notification]:
    """Claim up to ``limit`` due rows for this worker: moving next_attempt_at to a value unique to
    this claim is the compare-and-set; rows another worker moved first are not ours."""
    now = clock.now()
    paused = NotificationSettings.objects.filter(paused_until__gt=now).values("merchant_id")
    due = list(
        Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
        .exclude(merchant_id__in=paused)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not due:
        return []
    marker = now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(10**6))
    Notification.objects.filter(id__in=due, status=NotificationStatus.PENDING, next_attempt_at__lte=now).update(
        next_attempt_at=marker
    )
    return list(
        Notification.objects.filter(id__in=due, next_attempt_at=marker, status=NotificationStatus.PENDING)
        .select_related("merchant", "member")
        .order_by("id")
    )


def _merchant_context(merchant: Merchant) -> _MerchantContext:
    account = wechat_account_of(merchant=merchant)
    api = None
    if account is not None and account.appid and account.app_secret:
        api = WeChatApi(account.appid, account.app_secret, session=_thread_session())
    templates = {t.kind: t for t in NotificationTemplate.objects.for_merchant(merchant).filter(is_active=True)}
    return _MerchantContext(settings_of(merchant=merchant), templates, api)


def _interactions(members: Sequence[Member], now: datetime) -> dict[int, list[limits.Interaction]]:
    """Each member's window-opening actions and our customer-service sends of the last 48 h."""
    since = now - WINDOW_LOOKBACK
    history: dict[int, list[limits.Interaction]] = defaultdict(list)
    ids = [m.pk for m in members]
    for member_id, kind, at in MemberTouch.objects.filter(
        member_id__in=ids, at__gte=since, kind__in=list(_TOUCH_WINDOWS)
    ).values_list("member_id", "kind", "at"):
        history[member_id].append(limits.Interaction(_TOUCH_WINDOWS[kind], at))
    for member_id, at in Order.objects.filter(member_id__in=ids, paid_at__gte=since).values_list(
        "member_id", "paid_at"
    ):
        history[member_id].append(limits.Interaction(limits.PAYMENT, at))
    for member_id, at in Notification.objects.filter(
        member_id__in=ids, channel=NotificationChannel.CUSTOMER_SERVICE, sent_at__gte=since
    ).values_list("member_id", "sent_at"):
        history[member_id].append(limits.Interaction(limits.SENT, at))
    return history


def _plan(
    notification: Notification,
    merchant_ctx: _MerchantContext,
    history: list[limits.Interaction],
    now: datetime,
    language: str,
) -> _Plan:
    plan = _Plan(notification, api=merchant_ctx.api)
    if merchant_ctx.api is None:
        plan.reason = REASON_NOT_CONNECTED
        return plan
    if not notification.member.is_following:
        plan.reason = REASON_NOT_FOLLOWING
        return plan
    context = notification.context
    template = merchant_ctx.templates.get(notification.kind)
    if template is not None:
        plan.channel = template.channel
        plan.template = template
        plan.data = {keyword: render(pattern, context)[:200] for keyword, pattern in template.fields.items()}
        plan.url = render(template.url, context) if template.url else ""
        return plan
    allowed, _remaining, _until = limits.window_allows(history, now)
    if merchant_ctx.settings.customer_service_fallback and allowed:
        plan.channel = NotificationChannel.CUSTOMER_SERVICE
        with override(language):
            plan.text = render(gettext(KINDS[notification.kind].fallback), context)
        history.append(limits.Interaction(limits.SENT, now))  # uses up the window's quota
        return plan
    plan.reason = REASON_NO_CHANNEL
    return plan


_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _thread_session() -> requests.Session:
    """This thread's HTTP session: its keep-alive connections to WeChat outlive the batch."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=4)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        _local.session = session
    return session


def _executor(workers: int) -> ThreadPoolExecutor:
    """The sending threads, kept between batches (so are their connections)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notifications-send")
            _pool_size = workers
        return _pool


def _send(plan: _Plan) -> _Result:
    """The one HTTP call of a plan (runs in a worker thread: no database access here)."""
    assert plan.api is not None
    notification = plan.notification
    api = copy.copy(plan.api)  # the merchant's account, on this thread's connections
    api.session = _thread_session()
    try:
        if plan.channel == NotificationChannel.TEMPLATE:
            assert plan.template is not None
            msg_id = api.template_send(
                notification.openid,
                plan.template.template_id,
                plan.data,
                url=plan.url or None,
                client_msg_id=notification.public_id,
            )
            return _Result(msg_id=str(msg_id or ""))
        if plan.channel == NotificationChannel.SUBSCRIBE:
            assert plan.template is not None
            api.subscribe_send(notification.openid, plan.template.template_id, plan.data, page=plan.url or None)
            return _Result()
        api.custom_send_text(notification.openid, plan.text)
        return _Result()
    except WeChatApiError as error:
        return _Result(error=error)


def backoff_for(attempts: int, errcode: int | None) -> timedelta:
    """How long to wait before attempt ``attempts + 1``: doubling, much longer after 45009."""
    base, cap = (QUOTA_BACKOFF, MAX_QUOTA_BACKOFF) if errcode == QUOTA_ERRCODE else (BASE_BACKOFF, MAX_BACKOFF)
    return min(base * (2 ** min(max(attempts - 1, 0), 20)), cap)


def _summary(plan: _Plan) -> str:
    if plan.channel == NotificationChannel.CUSTOMER_SERVICE:
        return plan.text[:255]
    return " / ".join(f"{k}: {v}" for k, v in plan.data.items())[:255]


def _failure(
    notification: Notification, *, reason: str, errcode: int | None = None, channel: str = "", now: datetime
) -> tuple[Notification, dict[str, Any], str]:
    updates = {
        "reason": reason[:255],
        "errcode": errcode,
        "channel": channel,
        "finished_at": now,
        "attempts": notification.attempts + (1 if channel else 0),
    }
    return notification, updates, reason


@dataclass
class _Outcomes:
    """A batch's outcomes, grouped so that each group is written by one bulk statement."""

    moves: dict[str, list[tuple[Notification, dict[str, Any], str]]] = field(default_factory=lambda: defaultdict(list))
    retries: dict[tuple[Any, ...], list[int]] = field(default_factory=lambda: defaultdict(list))
    quota_hit: dict[int, datetime] = field(default_factory=dict)


def _outcome(plan: _Plan, result: _Result | None, outcomes: _Outcomes, now: datetime) -> None:
    notification = plan.notification
    if result is None:
        outcomes.moves[NotificationStatus.FAILED].append(_failure(notification, reason=plan.reason, now=now))
        return
    attempts = notification.attempts + 1
    error = result.error
    if error is None:
        sent_to = (
            NotificationStatus.SENT if plan.channel == NotificationChannel.TEMPLATE else NotificationStatus.DELIVERED
        )
        updates = {
            "channel": plan.channel,
            "msg_id": result.msg_id,
            "summary": _summary(plan),
            "attempts": attempts,
            "sent_at": now,
            "errcode": None,
            "reason": "",
            "finished_at": None if sent_to == NotificationStatus.SENT else now,
        }
        outcomes.moves[sent_to].append((notification, updates, plan.channel))
        return
    reason = f"{error.errcode}: {error.errmsg}" if error.errcode is not None else str(error.detail or error.message)
    if not error.retryable or attempts >= MAX_ATTEMPTS:
        outcomes.moves[NotificationStatus.FAILED].append(
            _failure(notification, reason=reason, errcode=error.errcode, channel=plan.channel, now=now)
        )
        return
    delay = backoff_for(attempts, error.errcode)
    if error.errcode == QUOTA_ERRCODE:
        outcomes.quota_hit[notification.merchant_id] = now + delay
    outcomes.retries[(attempts, now + delay, error.errcode, reason[:255], plan.channel)].append(notification.pk)


def _record(outcomes: _Outcomes) -> None:
    """Write a batch's outcomes: one bulk update (and one history insert) per target status, one
    update per group of identical retries. Runs in one transaction."""
    with transaction.atomic():
        for to, changes in outcomes.moves.items():
            NOTIFICATION.transition_many(changes, to, actor="notifications")
        for (attempts, next_at, errcode, reason, channel), ids in outcomes.retries.items():
            Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(
                attempts=attempts, next_attempt_at=next_at, errcode=errcode, reason=reason, channel=channel
            )
        for merchant_id, until in outcomes.quota_hit.items():
            NotificationSettings.objects.filter(merchant_id=merchant_id).update(paused_until=until)


def notifications_send_due(*, limit: int = BATCH_SIZE, workers: int = SEND_WORKERS) -> int:
    """Send one batch of due notifications; returns how many rows were handled.

    Database work happens in this thread; only the WeChat calls run on ``workers`` threads, so a
    batch costs about (batch / workers) round trips. Holds no transaction while calling WeChat.
    """
    claimed = _claim(limit)
    if not claimed:
        return 0
    now = clock.now()
    histories = _interactions([n.member for n in claimed], now)
    contexts: dict[int, _MerchantContext] = {}
    plans = []
    for notification in claimed:
        merchant = notification.merchant
        if merchant.pk not in contexts:
            contexts[merchant.pk] = _merchant_context(merchant)
        plans.append(
            _plan(
                notification, contexts[merchant.pk], histories[notification.member_id], now, dj_settings.LANGUAGE_CODE
            )
        )
    sendable = [p for p in plans if not p.reason]
    if len(sendable) > 1 and workers > 1:
        pool = _executor(workers)
        results = dict(zip((id(p) for p in sendable), pool.map(_send, sendable), strict=True))
    else:
        results = {id(p): _send(p) for p in sendable}
    outcomes = _Outcomes()
    done_at = clock.now()
    for plan in plans:
        _outcome(plan, results.get(id(plan)), outcomes, done_at)
    _record(outcomes)
    _apply_early_reports([p.notification for p in sendable])
    return len(plans)


def notifications_send_all_due(*, limit: int = BATCH_SIZE, workers: int = SEND_WORKERS, max_batches: int = 100) -> int:
    """Send batches until nothing is due (or ``max_batches``); returns how many rows were handled."""
    total = 0
    for _ in range(max_batches):
        handled = notifications_send_due(limit=limit, workers=workers)
        total += handled
        if handled < limit:
            break
    return total


# --- delivery reports (TEMPLATESENDJOBFINISH) ---------------------------------------------------


def _report_outcome(status: str) -> tuple[str, str]:
    folded = status.strip().lower()
    if folded == "success":
        return NotificationStatus.DELIVERED, ""
    if "block" in folded:
        return NotificationStatus.FAILED, "user block"
    if "system" in folded:
        return NotificationStatus.FAILED, "system failed"
    return NotificationStatus.FAILED, status.strip()[:255] or "failed"


def notification_job_report(*, merchant: Merchant, msg_id: str, status: str) -> Notification | None:
    """Apply a TEMPLATESENDJOBFINISH: ``success`` -> delivered, ``failed:user block`` /
    ``failed: system failed`` (or anything else) -> failed with that reason. Idempotent.

    A report can overtake the recording of its send (WeChat pushes while our batch is finishing):
    it then waits in the cache and is applied when the send is recorded.
    """
    msg_id = str(msg_id or "").strip()
    if not msg_id:
        return None
    notification = Notification.objects.for_merchant(merchant).filter(msg_id=msg_id).first()
    if notification is None:
        cache.set(_early_key(merchant.pk, msg_id), status, timeout=_EARLY_REPORT_TTL)
        return None
    if notification.status != NotificationStatus.SENT:
        return notification  # already settled (a duplicate report)
    to, reason = _report_outcome(status)
    updates: dict[str, Any] = {"finished_at": clock.now()}
    if reason:
        updates["reason"] = reason
    NOTIFICATION.transition(
        notification, to, actor="wechat", reason=f"TEMPLATESENDJOBFINISH {status}"[:500], extra_updates=updates
    )
    return notification


def _early_key(merchant_id: int, msg_id: str) -> str:
    return f"notifications:report:{merchant_id}:{msg_id}"


def _apply_early_reports(notifications: Sequence[Notification]) -> None:
    keys = {
        _early_key(n.merchant_id, n.msg_id): n
        for n in notifications
        if n.msg_id and n.status == NotificationStatus.SENT
    }
    if not keys:
        return
    found = cache.get_many(list(keys))
    for key, status in found.items():
        notification = keys[key]
        try:
            notification_job_report(merchant=notification.merchant, msg_id=notification.msg_id, status=status)
        except Exception:  # a racing report applied it first: nothing is lost
            logger.info("early job report for %s already applied", notification.msg_id)
        cache.delete(key)


def notification_retry(*, merchant: Merchant, public_id: str) -> Notification:
    """Give a failed notification another try now (e.g. after mapping a template)."""
    from weloop.core.db import get_or_not_found

    notification = get_or_not_found(
        Notification.objects.for_merchant(merchant), what="notification", public_id=public_id
    )
    if notification.status != NotificationStatus.FAILED:
        return notification
    NOTIFICATION.transition(
        notification,
        NotificationStatus.PENDING,
        actor="console",
        reason="retry",
        extra_updates={
            "attempts": 0,
            "next_attempt_at": clock.now(),
            "reason": "",
            "errcode": None,
            "finished_at": None,
        },
    )
    transaction.on_commit(_nudge_sender)
    return notification


__all__ = [
    "TemplateInput",
    "backoff_for",
    "notification_enqueue",
    "notification_job_report",
    "notification_retry",
    "notifications_send_all_due",
    "notifications_send_due",
    "preference_of",
    "preference_set",
    "settings_of",
    "settings_update",
    "template_delete",
    "template_set",
]
