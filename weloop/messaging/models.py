"""The service account's conversations: auto-replies, the follow greeting, the menu and the log.

``MessageLog`` doubles as the cross-process deduplication store of inbound messages: its unique
(merchant, dedup_key) for inbound rows lets exactly one delivery of a message be handled, whichever
process or thread it reaches, including a retry that arrives while the first is still running.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.messaging.enums import Direction, LogStatus, MatchType, ReplyKind


class ReplyContent(models.Model):
    """A passive reply: a text, or one article (WeChat shows only one when answering a user)."""

    reply_kind = models.CharField(_("reply kind"), max_length=16, choices=ReplyKind.choices, default=ReplyKind.TEXT)
    reply_text = models.TextField(_("reply text"), blank=True, default="")
    article_title = models.CharField(_("article title"), max_length=64, blank=True, default="")
    article_description = models.CharField(_("article description"), max_length=120, blank=True, default="")
    article_url = models.CharField(_("article link"), max_length=1024, blank=True, default="")
    article_pic_url = models.CharField(_("article picture"), max_length=1024, blank=True, default="")

    class Meta:
        abstract = True


class AutoReplyRule(TenantModel, ReplyContent):
    """Answer a text message (or a menu click whose key equals the keyword) automatically.

    Exact rules win over "contains" rules; among equals the higher ``priority`` wins, then the older.
    """

    public_id = public_id_field("ar_")
    keyword = models.CharField(_("keyword"), max_length=60)
    match_type = models.CharField(_("match"), max_length=16, choices=MatchType.choices, default=MatchType.EXACT)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.IntegerField(_("priority"), default=0)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="auto_reply_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "match_type", "keyword"], name="auto_reply_keyword_once"),
        ]

    def __str__(self) -> str:
        return f"{self.match_type}:{self.keyword}"


class FollowGreeting(TenantModel, ReplyContent):
    """What a new (or returning) follower gets as the reply to their follow. One per merchant."""

    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="one_follow_greeting_per_merchant")]


class MenuConfig(TenantModel):
    """The custom menu as edited in the console, and the outcome of the last push to WeChat."""

    buttons = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    pushed_at = models.DateTimeField(null=True, blank=True)
    pushed_buttons = models.JSONField(default=list, blank=True)
    last_error = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="one_menu_per_merchant")]

    @property
    def is_published(self) -> bool:
        """True when WeChat has exactly the buttons being edited."""
        return self.pushed_at is not None and self.pushed_buttons == self.buttons


class MessageLog(TenantModel):
    """One message received from or sent to a user, with what was answered and how it went."""

    direction = models.CharField(max_length=4, choices=Direction.choices)
    member = models.ForeignKey("members.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    openid = models.CharField(max_length=64)
    msg_type = models.CharField(max_length=32)
    event = models.CharField(max_length=64, blank=True, default="")
    summary = models.CharField(max_length=255, blank=True, default="")
    # Inbound: the account's gh_ id + the message's key (MsgId, or FromUserName + CreateTime for events).
    dedup_key = models.CharField(max_length=128, blank=True, default="")
    # Inbound: WeChat's MsgId. Outbound: the msgid WeChat returned (TEMPLATESENDJOBFINISH refers to it).
    msg_id = models.CharField(max_length=64, blank=True, default="")
    reply_summary = models.CharField(max_length=255, blank=True, default="")
    reply_xml = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=LogStatus.choices)
    errcode = models.IntegerField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "dedup_key"],
                condition=Q(direction=Direction.IN),
                name="message_log_inbound_once",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="message_log_recent_idx"),
            models.Index(fields=["merchant", "direction", "msg_id"], name="message_log_msg_id_idx"),
            models.Index(fields=["merchant", "openid"], name="message_log_openid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.msg_type} {self.openid}"
