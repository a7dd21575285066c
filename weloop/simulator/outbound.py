"""Messages the account sends: customer-service (with its windows), template, subscription and mass.

Customer-service windows (WECHAT.md §3.3): each user action opens a window with a quota and a
lifetime; a newer action of the same kind replaces the older window. The numbers are the current
service-account doc's and can be overridden with the ``SIMULATOR_CS_WINDOWS`` setting, e.g.
``{"message": (20, 172800)}`` for the 2021 doc's 20 messages in 48 h.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from weloop.core import clock
from weloop.simulator import errors, identifiers
from weloop.simulator.accounts import SimAccount
from weloop.simulator.enums import DeliveryKind, InteractionKind, OutboundKind
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import (
    SimInteraction,
    SimMassSend,
    SimOutboundMessage,
    SimQuotaCounter,
    SimTag,
    SimUser,
)
from weloop.simulator.pushes import delivery_create
from weloop.simulator.users import user_of

HOUR, MINUTE = 3600, 60
DEFAULT_WINDOWS: dict[str, tuple[int | None, int]] = {
    InteractionKind.MESSAGE: (5, 48 * HOUR),
    InteractionKind.MENU_CLICK: (3, MINUTE),
    InteractionKind.FOLLOW: (3, MINUTE),
    InteractionKind.SCAN: (3, MINUTE),
    InteractionKind.PAYMENT: (None, 48 * HOUR),
}
MASS_MONTHLY_CAP = 4  # a service account's user gets at most 4 mass messages per calendar month
MASS_HELPER = "mphelper"  # MASSSENDJOBFINISH comes "from" the mass-send assistant, not a follower


def _window(kind: str) -> tuple[int | None, int]:
    overrides = getattr(settings, "SIMULATOR_CS_WINDOWS", {}) or {}
    return tuple(overrides.get(kind, DEFAULT_WINDOWS[kind]))  # type: ignore[return-value]


def interaction_record(*, user: SimUser, kind: str) -> SimInteraction:
    """Open a customer-service window for ``user``; it replaces the open window of the same kind."""
    quota, seconds = _window(kind)
    now = clock.now()
    SimInteraction.objects.filter(user=user, kind=kind, expires_at__gt=now).update(expires_at=now)
    return SimInteraction.objects.create(
        user=user, kind=kind, at=now, expires_at=now + timedelta(seconds=seconds), quota=quota
    )


# --- customer-service messages -----------------------------------------------------------------------


def _check_cs_body(payload: dict[str, Any]) -> str:
    msgtype = payload.get("msgtype")
    body = payload.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype == "text":
        if not isinstance(body, dict) or not body.get("content"):
            raise WechatApiError(errors.EMPTY_CONTENT)
    elif msgtype in ("image", "voice", "video", "mpnews"):
        if not isinstance(body, dict) or not body.get("media_id"):
            raise WechatApiError(errors.INVALID_MEDIA_ID)
    elif msgtype == "news":
        articles = body.get("articles") if isinstance(body, dict) else None
        if not isinstance(articles, list) or not articles:
            raise WechatApiError(errors.DATA_FORMAT_ERROR)
        if len(articles) > 1:
            raise WechatApiError(errors.ARTICLE_SIZE_OUT_OF_LIMIT)
    elif msgtype in ("music", "msgmenu", "wxcard", "miniprogrampage", "mpnewsarticle"):
        if not isinstance(body, dict):
            raise WechatApiError(errors.DATA_FORMAT_ERROR)
    else:
        raise WechatApiError(errors.INVALID_MESSAGE_TYPE)
    return msgtype


def custom_send(*, account: SimAccount, payload: dict[str, Any]) -> None:
    """message/custom/send: inside an open window with quota left, else 45015 / 45047."""
    user = user_of(account=account, openid=payload.get("touser"))
    msgtype = _check_cs_body(payload)
    with transaction.atomic():
        if not user.subscribed:
            raise WechatApiError(errors.RESPONSE_OUT_OF_TIME)
        windows = list(
            SimInteraction.objects.select_for_update()
            .filter(user=user, expires_at__gt=clock.now())
            .order_by("expires_at", "id")
        )
        if not windows:
            raise WechatApiError(errors.RESPONSE_OUT_OF_TIME)
        for window in windows:
            room = Q(quota__isnull=True) | Q(used__lt=F("quota"))
            if SimInteraction.objects.filter(room, pk=window.pk).update(used=F("used") + 1):
                _store(account, user, OutboundKind.CUSTOMER_SERVICE, msgtype, payload)
                return
        raise WechatApiError(errors.OUT_OF_RESPONSE_COUNT)


def _store(account: SimAccount, user: SimUser, kind: str, msgtype: str, payload: dict, **fields: Any):
    body = {k: v for k, v in payload.items() if k != "touser"}
    return SimOutboundMessage.objects.create(
        appid=account.appid, user=user, kind=kind, msgtype=msgtype, body=body, **fields
    )


# --- template messages and subscription notices -------------------------------------------------------


def _check_template(payload: dict[str, Any]) -> None:
    if not isinstance(payload.get("template_id"), str) or not payload["template_id"]:
        raise WechatApiError(errors.INVALID_TEMPLATE_ID)
    if not isinstance(payload.get("data", {}), dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)


TEMPLATE_DAILY_QUOTA = 100_000  # sends per account per day (it grows with followers at WeChat)
_redis_clients: dict[str, Any] = {}


def _redis() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _use_template_quota(account: SimAccount) -> None:
    """Count one template send today; past the daily quota WeChat answers 45009.

    In Redis when ``REDIS_URL`` is set (one INCR, shared by every process), else in the database
    with one conditional UPDATE inside the caller's transaction. Refused calls are not counted.
    """
    quota = int(getattr(settings, "SIMULATOR_TEMPLATE_DAILY_QUOTA", TEMPLATE_DAILY_QUOTA))
    day = clock.today_local().date()
    client = _redis()
    if client is not None:
        key = f"simulator:template-quota:{account.appid}:{day:%Y%m%d}"
        with client.pipeline(transaction=False) as pipe:
            used = pipe.incr(key).expire(key, 2 * 24 * HOUR).execute()[0]
        if used > quota:
            client.decr(key)
            raise WechatApiError(errors.API_DAILY_QUOTA)
        return
    counter = SimQuotaCounter.objects.filter(appid=account.appid, api="template/send", day=day)
    if counter.filter(used__lt=quota).update(used=F("used") + 1):
        return
    if quota > 0 and not counter.exists():
        try:
            with transaction.atomic():
                SimQuotaCounter.objects.create(appid=account.appid, api="template/send", day=day, used=1)
            return
        except IntegrityError:  # another call created today's row first: count on it
            if counter.filter(used__lt=quota).update(used=F("used") + 1):
                return
    raise WechatApiError(errors.API_DAILY_QUOTA)


def template_send(*, account: SimAccount, payload: dict[str, Any]) -> int:
    """message/template/send: returns the msgid, then pushes TEMPLATESENDJOBFINISH.

    Refuses like WeChat: 43004 to a non-follower, 45009 past the daily quota
    (``SIMULATOR_TEMPLATE_DAILY_QUOTA``). A user who blocked the account's templates gets nothing
    and the report says ``failed:user block``.
    """
    user = user_of(account=account, openid=payload.get("touser"))
    _check_template(payload)
    if not user.subscribed:
        raise WechatApiError(errors.REQUIRE_SUBSCRIBE)
    client_msg_id = str(payload.get("client_msg_id") or "")[:64]
    with transaction.atomic():  # the quota, the log row and the push: one commit
        if client_msg_id:
            earlier = (
                SimOutboundMessage.objects.filter(
                    appid=account.appid, kind=OutboundKind.TEMPLATE, client_msg_id=client_msg_id
                )
                .values_list("msgid", flat=True)
                .first()
            )
            if earlier is not None:
                return earlier or 0  # the same send again: WeChat dedups it, no second message
        _use_template_quota(account)
        msgid = identifiers.new_msgid()
        status = "failed:user block" if user.blocks_templates else "success"
        _store(
            account,
            user,
            OutboundKind.TEMPLATE,
            "template",
            payload,
            msgid=msgid,
            client_msg_id=client_msg_id,
            status="delivered" if status == "success" else "user block",
        )
        delivery_create(
            account=account,
            openid=user.openid,
            user=user,
            kind=DeliveryKind.SYSTEM_EVENT,
            msg_type="event",
            event="TEMPLATESENDJOBFINISH",
            fields=[("MsgID", msgid), ("Status", status)],
            summary="template message delivered" if status == "success" else "template message blocked by the user",
        )
    return msgid


def subscribe_send(*, account: SimAccount, payload: dict[str, Any]) -> None:
    """message/subscribe/bizsend. The user's one-time consent popup is not simulated: always granted."""
    user = user_of(account=account, openid=payload.get("touser"))
    _check_template(payload)
    msgid = identifiers.new_msgid()
    _store(account, user, OutboundKind.SUBSCRIBE, "subscribe", payload, msgid=msgid)
    result = [
        ("TemplateId", payload["template_id"]),
        ("MsgID", msgid),
        ("ErrorCode", 0),
        ("ErrorStatus", "success"),
    ]
    delivery_create(
        account=account,
        openid=user.openid,
        user=user,
        kind=DeliveryKind.SYSTEM_EVENT,
        msg_type="event",
        event="subscribe_msg_sent_event",
        fields=[("SubscribeMsgSentEvent", [("List", result)])],
        summary="subscription notice delivered",
    )


# --- mass messages -------------------------------------------------------------------------------


_MASS_TYPES = {"text", "image", "mpnews", "voice", "mpvideo", "wxcard"}


def _check_mass_body(payload: dict[str, Any]) -> str:
    msgtype = payload.get("msgtype")
    if msgtype not in _MASS_TYPES:
        raise WechatApiError(errors.INVALID_MESSAGE_TYPE)
    body = payload.get(msgtype)
    if not isinstance(body, dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    if msgtype == "text" and not body.get("content"):
        raise WechatApiError(errors.EMPTY_CONTENT)
    if msgtype in ("mpnews", "voice", "mpvideo") and not body.get("media_id"):
        raise WechatApiError(errors.INVALID_MEDIA_ID)
    if msgtype == "image" and not (body.get("media_ids") or body.get("media_id")):
        raise WechatApiError(errors.INVALID_MEDIA_ID)
    return msgtype


def _mass_audience(account: SimAccount, payload: dict[str, Any]) -> tuple[bool, int | None, list[SimUser]]:
    target = payload.get("filter")
    if not isinstance(target, dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    followers = SimUser.objects.filter(appid=account.appid, subscribed=True).order_by("id")
    if target.get("is_to_all"):
        return True, None, list(followers)
    tag_id = target.get("tag_id")
    if isinstance(tag_id, str) and tag_id.isdigit():
        tag_id = int(tag_id)
    if not isinstance(tag_id, int) or not SimTag.objects.filter(appid=account.appid, tag_id=tag_id).exists():
        raise WechatApiError(errors.INVALID_GROUP_ID)
    return False, tag_id, list(followers.filter(tag_links__tag__tag_id=tag_id))


def month_start() -> Any:
    """Midnight on the 1st of this calendar month, in the account's time zone (settings.TIME_ZONE)."""
    return clock.today_local().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def mass_received_this_month(users: list[SimUser]) -> dict[int, int]:
    rows = (
        SimOutboundMessage.objects.filter(kind=OutboundKind.MASS, user__in=users, created_at__gte=month_start())
        .values("user_id")
        .annotate(n=Count("id"))
    )
    return {row["user_id"]: row["n"] for row in rows}


def mass_sendall(*, account: SimAccount, payload: dict[str, Any]) -> SimMassSend:
    """message/mass/sendall by tag or to all; users past 4 this month are filtered out (45065 on reuse)."""
    msgtype = _check_mass_body(payload)
    clientmsgid = payload.get("clientmsgid") or ""
    if not isinstance(clientmsgid, str) or len(clientmsgid) > 64:
        raise WechatApiError(errors.CLIENTMSGID_TOO_LONG)
    _refuse_reused_clientmsgid(account, clientmsgid)
    is_to_all, tag_id, audience = _mass_audience(account, payload)
    received = mass_received_this_month(audience)
    cap = int(getattr(settings, "SIMULATOR_MASS_MONTHLY_CAP", MASS_MONTHLY_CAP))
    recipients = [user for user in audience if received.get(user.id, 0) < cap]
    try:
        with transaction.atomic():
            job = SimMassSend.objects.create(
                appid=account.appid,
                msg_id=identifiers.new_msgid(),
                msg_data_id=identifiers.new_msgid() % 10**10 if msgtype == "mpnews" else None,
                clientmsgid=clientmsgid,
                is_to_all=is_to_all,
                tag_id=tag_id,
                msgtype=msgtype,
                body={k: v for k, v in payload.items() if k not in ("filter", "clientmsgid")},
                total_count=len(audience),
                filter_count=len(recipients),
                sent_count=len(recipients),
            )
    except IntegrityError:  # the same clientmsgid raced in: the first one wins
        _refuse_reused_clientmsgid(account, clientmsgid)
        raise
    SimOutboundMessage.objects.bulk_create(
        SimOutboundMessage(
            appid=account.appid, user=user, kind=OutboundKind.MASS, msgtype=msgtype, body=job.body, mass_send=job
        )
        for user in recipients
    )
    _push_mass_finished(account, job)
    return job


def mass_send_openids(*, account: SimAccount, payload: dict[str, Any]) -> SimMassSend:
    """message/mass/send to an openid list (2..10000 followers of the account); same monthly cap
    and clientmsgid rule as sendall."""
    msgtype = _check_mass_body(payload)
    clientmsgid = payload.get("clientmsgid") or ""
    if not isinstance(clientmsgid, str) or len(clientmsgid) > 64:
        raise WechatApiError(errors.CLIENTMSGID_TOO_LONG)
    touser = payload.get("touser")
    if not isinstance(touser, list) or not all(isinstance(o, str) for o in touser):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    if not 2 <= len(touser) <= 10000:
        raise WechatApiError(errors.INVALID_OPENID_LIST_SIZE)
    _refuse_reused_clientmsgid(account, clientmsgid)
    users = {u.openid: u for u in SimUser.objects.filter(appid=account.appid, openid__in=set(touser))}
    if len(users) != len(set(touser)):
        raise WechatApiError(errors.INVALID_OPENID)
    audience = [users[o] for o in dict.fromkeys(touser) if users[o].subscribed]
    received = mass_received_this_month(audience)
    cap = int(getattr(settings, "SIMULATOR_MASS_MONTHLY_CAP", MASS_MONTHLY_CAP))
    recipients = [user for user in audience if received.get(user.id, 0) < cap]
    try:
        with transaction.atomic():
            job = SimMassSend.objects.create(
                appid=account.appid,
                msg_id=identifiers.new_msgid(),
                msg_data_id=identifiers.new_msgid() % 10**10 if msgtype == "mpnews" else None,
                clientmsgid=clientmsgid,
                is_to_all=False,
                tag_id=None,
                msgtype=msgtype,
                body={k: v for k, v in payload.items() if k not in ("touser", "clientmsgid")},
                total_count=len(touser),
                filter_count=len(recipients),
                sent_count=len(recipients),
            )
    except IntegrityError:
        _refuse_reused_clientmsgid(account, clientmsgid)
        raise
    SimOutboundMessage.objects.bulk_create(
        SimOutboundMessage(
            appid=account.appid, user=user, kind=OutboundKind.MASS, msgtype=msgtype, body=job.body, mass_send=job
        )
        for user in recipients
    )
    _push_mass_finished(account, job)
    return job


def _refuse_reused_clientmsgid(account: SimAccount, clientmsgid: str) -> None:
    if not clientmsgid:
        return
    earlier = SimMassSend.objects.filter(appid=account.appid, clientmsgid=clientmsgid).first()
    if earlier is not None:
        raise WechatApiError(errors.CLIENTMSGID_EXISTS, msg_id=earlier.msg_id)


def _push_mass_finished(account: SimAccount, job: SimMassSend) -> None:
    delivery_create(
        account=account,
        openid=mass_helper_openid(account),
        kind=DeliveryKind.SYSTEM_EVENT,
        msg_type="event",
        event="MASSSENDJOBFINISH",
        fields=[
            ("MsgID", job.msg_id),
            ("Status", "send success" if job.error_count == 0 else "send fail"),
            ("TotalCount", job.total_count),
            ("FilterCount", job.filter_count),
            ("SentCount", job.sent_count),
            ("ErrorCount", job.error_count),
        ],
        summary=f"mass send finished: {job.sent_count}/{job.total_count} sent",
    )


def mass_helper_openid(account: SimAccount) -> str:
    """A stable 28-character openid for the mass-send assistant of this account."""
    digest = hashlib.sha256(f"{MASS_HELPER}:{account.appid}".encode()).hexdigest()
    return "o" + digest[:27]
