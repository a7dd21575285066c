"""Writes for the service account: auto-reply rules, the follow greeting, the custom menu, the log.

``inbound_handle`` (what the callback calls for every message) lives in ``inbound.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.members.selectors import member_find_by_openid
from weloop.messaging.enums import Direction, LogStatus, MatchType, ReplyKind
from weloop.messaging.errors import InvalidReply, InvalidRule, KeywordTaken, WechatNotConnected
from weloop.messaging.inbound import inbound_handle
from weloop.messaging.models import AutoReplyRule, FollowGreeting, MenuConfig, MessageLog
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError
from weloop.wechat.limits import validate_menu

__all__ = [
    "MenuApi",
    "OutboundInput",
    "ReplyInput",
    "RuleInput",
    "greeting_set",
    "inbound_handle",
    "menu_publish",
    "menu_save",
    "message_log_outbound",
    "rule_create",
    "rule_delete",
    "rule_update",
]

TEXT_MAX_BYTES = 2048  # WeChat's limit for a text reply
PRIORITY_RANGE = (-1000, 1000)


# --- replies ------------------------------------------------------------------------------------


@dataclass
class ReplyInput:
    """A text reply, or one article (title and link required)."""

    kind: str = ReplyKind.TEXT
    text: str = ""
    title: str = ""
    description: str = ""
    url: str = ""
    pic_url: str = ""


def _is_web_url(value: str) -> bool:
    return value.startswith(("https://", "http://")) and len(value) <= 1024 and " " not in value


def _clean_reply(reply: ReplyInput) -> dict[str, str]:
    """The model fields of a valid reply; raises ``InvalidReply`` naming the field."""
    if reply.kind not in ReplyKind.values:
        raise InvalidReply("A reply is a text or an article.", extra={"field": "kind", "value": reply.kind})
    text, title = reply.text.strip(), reply.title.strip()
    description, url, pic_url = reply.description.strip(), reply.url.strip(), reply.pic_url.strip()
    if reply.kind == ReplyKind.TEXT:
        if not text:
            raise InvalidReply("Write the reply text.", extra={"field": "text"})
        if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
            raise InvalidReply(
                "A text reply is at most 2048 bytes (a Chinese character counts 3).",
                extra={"field": "text", "limit": TEXT_MAX_BYTES},
            )
        return _reply_fields(ReplyKind.TEXT, text=text)
    if not title or len(title) > 64:
        raise InvalidReply("An article needs a title of at most 64 characters.", extra={"field": "title"})
    if len(description) > 120:
        raise InvalidReply("An article description is at most 120 characters.", extra={"field": "description"})
    if not _is_web_url(url):
        raise InvalidReply("An article needs an http(s) link.", extra={"field": "url"})
    if pic_url and not _is_web_url(pic_url):
        raise InvalidReply("The picture must be an http(s) URL.", extra={"field": "pic_url"})
    return _reply_fields(ReplyKind.ARTICLE, title=title, description=description, url=url, pic_url=pic_url)


def _reply_fields(
    kind: str, *, text: str = "", title: str = "", description: str = "", url: str = "", pic_url: str = ""
) -> dict[str, str]:
    return {
        "reply_kind": kind,
        "reply_text": text,
        "article_title": title,
        "article_description": description,
        "article_url": url,
        "article_pic_url": pic_url,
    }


# --- auto-reply rules ---------------------------------------------------------------------------


@dataclass
class RuleInput:
    keyword: str
    reply: ReplyInput
    match_type: str = MatchType.EXACT
    is_active: bool = True
    priority: int = 0


def _clean_rule(data: RuleInput) -> dict[str, Any]:
    keyword = data.keyword.strip()
    if not keyword or len(keyword) > 60:
        raise InvalidRule("A keyword is 1 to 60 characters.", extra={"field": "keyword"})
    if data.match_type not in MatchType.values:
        raise InvalidRule("Match exactly or by containing.", extra={"field": "match_type", "value": data.match_type})
    low, high = PRIORITY_RANGE
    if isinstance(data.priority, bool) or not isinstance(data.priority, int) or not low <= data.priority <= high:
        raise InvalidRule(f"Priority is a whole number from {low} to {high}.", extra={"field": "priority"})
    return {
        "keyword": keyword,
        "match_type": data.match_type,
        "is_active": bool(data.is_active),
        "priority": data.priority,
        **_clean_reply(data.reply),
    }


def rule_create(*, merchant: Merchant, data: RuleInput) -> AutoReplyRule:
    """Add an auto-reply rule. Raises ``InvalidRule``/``InvalidReply`` or ``KeywordTaken`` (400)."""
    fields = _clean_rule(data)
    try:
        with transaction.atomic():
            now = clock.now()
            return AutoReplyRule.objects.create(merchant=merchant, created_at=now, updated_at=now, **fields)
    except IntegrityError as exc:
        raise KeywordTaken(extra={"keyword": fields["keyword"], "match_type": fields["match_type"]}) from exc


def rule_update(*, merchant: Merchant, public_id: str, data: RuleInput) -> AutoReplyRule:
    """Replace a rule's keyword, match, reply, priority and state. Same errors as creating."""
    fields = _clean_rule(data)
    try:
        with transaction.atomic():
            rule = get_or_not_found(
                AutoReplyRule.objects.for_merchant(merchant).select_for_update(),
                what="auto-reply rule",
                public_id=public_id,
            )
            for name, value in fields.items():
                setattr(rule, name, value)
            rule.updated_at = clock.now()
            rule.save()
            return rule
    except IntegrityError as exc:
        raise KeywordTaken(extra={"keyword": fields["keyword"], "match_type": fields["match_type"]}) from exc


def rule_delete(*, merchant: Merchant, public_id: str) -> None:
    rule = get_or_not_found(AutoReplyRule.objects.for_merchant(merchant), what="auto-reply rule", public_id=public_id)
    rule.delete()


# --- follow greeting ----------------------------------------------------------------------------


@transaction.atomic
def greeting_set(*, merchant: Merchant, reply: ReplyInput, is_active: bool = True) -> FollowGreeting:
    """Set what a new follower gets as the reply to their follow (replaces the current greeting)."""
    fields = _clean_reply(reply)
    greeting, _created = FollowGreeting.objects.update_or_create(
        merchant=merchant, defaults={**fields, "is_active": is_active, "updated_at": clock.now()}
    )
    return greeting


# --- custom menu --------------------------------------------------------------------------------


class MenuApi(Protocol):
    """What publishing needs from WeChat: ``weloop.wechat.client.WeChatApi`` (or a stand-in)."""

    def menu_create(self, buttons: Sequence[Mapping[str, Any]]) -> None: ...

    def menu_delete(self) -> None: ...


@transaction.atomic
def menu_save(*, merchant: Merchant, buttons: Sequence[Mapping[str, Any]]) -> MenuConfig:
    """Store the menu being edited, checked against WeChat's limits (``InvalidMenu``, 400).

    An empty list is allowed: publishing it removes the menu. Nothing is sent to WeChat here.
    """
    buttons = [dict(button) for button in buttons]
    if buttons:
        validate_menu(buttons)
    menu, _created = MenuConfig.objects.update_or_create(
        merchant=merchant, defaults={"buttons": buttons, "updated_at": clock.now()}
    )
    return menu


def _menu_api_for(merchant: Merchant) -> MenuApi:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise WechatNotConnected()
    return WeChatApi(account.appid, account.app_secret)


def menu_publish(*, merchant: Merchant, api: MenuApi | None = None) -> MenuConfig:
    """Push the saved menu to WeChat (an empty menu deletes it there).

    On success ``pushed_at`` is set and ``last_error`` cleared; when WeChat refuses, ``last_error``
    keeps its errcode and errmsg and the ``WeChatApiError`` is raised again for the caller to show.
    Raises ``InvalidMenu`` before any call when the saved menu breaks a limit. Calls WeChat over
    HTTP, so it holds no transaction (or lock) while waiting.
    """
    menu = MenuConfig.objects.for_merchant(merchant).first() or menu_save(merchant=merchant, buttons=[])
    buttons = list(menu.buttons)
    if buttons:
        validate_menu(buttons)
    client = api or _menu_api_for(merchant)
    try:
        if buttons:
            client.menu_create(buttons)
        else:
            client.menu_delete()
    except WeChatApiError as error:
        last_error = {
            "code": error.code,
            "errcode": error.errcode,
            "errmsg": error.errmsg,
            "message": error.detail,
            "retryable": error.retryable,
            "at": clock.now().isoformat(),
        }
        MenuConfig.objects.filter(pk=menu.pk).update(last_error=last_error)
        raise
    MenuConfig.objects.filter(pk=menu.pk).update(pushed_at=clock.now(), pushed_buttons=buttons, last_error={})
    menu.refresh_from_db()
    return menu


# --- outbound log -------------------------------------------------------------------------------


@dataclass
class OutboundInput:
    openid: str
    msg_type: str
    summary: str = ""
    msg_id: str = ""  # the msgid WeChat returned (template messages), matched by TEMPLATESENDJOBFINISH
    status: str = LogStatus.SENT
    errcode: int | None = None
    detail: str = ""


def message_log_outbound(*, merchant: Merchant, data: OutboundInput) -> MessageLog:
    """Log a message the account sent (customer-service, template, mass) or failed to send."""
    if data.status not in (LogStatus.SENT, LogStatus.DELIVERED, LogStatus.UNDELIVERED, LogStatus.FAILED):
        raise InvalidReply("Unknown outbound status.", extra={"field": "status", "value": data.status})
    return MessageLog.objects.create(
        merchant=merchant,
        direction=Direction.OUT,
        member=member_find_by_openid(merchant=merchant, openid=data.openid),
        openid=data.openid[:64],
        msg_type=data.msg_type[:32],
        summary=data.summary[:255],
        msg_id=str(data.msg_id)[:64],
        status=data.status,
        errcode=data.errcode,
        detail=data.detail[:255],
        created_at=clock.now(),
    )
