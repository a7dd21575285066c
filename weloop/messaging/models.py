"""The service account's conversations: auto-replies, the follow greeting, the menu and the log.

``MessageLog`` doubles as the cross-process deduplication store of inbound messages: its unique
(merchant, dedup_key) for inbound rows lets exactly one delivery of a message be handled, whichever
process or thread it reaches, including a retry that arrives while the first is still running.
An inbound row is also the durable record the queue handles the message from (``raw_xml``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.messaging.enums import (
    Direction,
    LogStatus,
    MatchType,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    ReplyKind,
    TemplateChannel,
)


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
    # Inbound: the message as WeChat sent it (decrypted), what the queue handles it from.
    raw_xml = models.TextField(blank=True, default="")
    # Inbound: how often the queue tried to handle it (failed rows are retried a few times).
    attempts = models.PositiveSmallIntegerField(default=0)
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
            # What the queue still has to handle: a small index however long the log grows.
            models.Index(
                fields=["id"],
                condition=Q(direction=Direction.IN, status__in=[LogStatus.RECEIVED, LogStatus.FAILED]),
                name="message_log_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.msg_type} {self.openid}"


# --- notifications ------------------------------------------------------------------------------


class Notification(TenantModel):
    """One message telling a member about something (an order paid, shipped, ...), and how it went.

    ``dedup_key`` (unique per merchant) names the fact being told, e.g. ``payment_succeeded:O2026…``:
    however often the event arrives, the member is told once. Status changes go through
    ``messaging.state.NOTIFICATION``; a retry keeps ``pending`` and moves ``next_attempt_at``.
    """

    public_id = public_id_field("nt_")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    openid = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    dedup_key = models.CharField(max_length=160)
    context = models.JSONField(default=dict, blank=True)  # the values the message is rendered from
    channel = models.CharField(max_length=20, choices=NotificationChannel.choices, blank=True, default="")
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    summary = models.CharField(max_length=255, blank=True, default="")  # what was sent, for the log
    msg_id = models.CharField(max_length=64, blank=True, default="")  # WeChat's msgid (template messages)
    errcode = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, default="")  # why it failed or was skipped
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # delivered, failed or skipped

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "dedup_key"], name="notification_once_per_fact"),
            models.UniqueConstraint(fields=["merchant", "public_id"], name="notification_public_id_per_merchant"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["merchant", "msg_id"], name="notification_msg_id_idx"),
            models.Index(fields=["merchant", "-created_at"], name="notification_recent_idx"),
            models.Index(fields=["member", "-created_at"], name="notification_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.openid} ({self.status})"


class NotificationTemplate(TenantModel):
    """How one kind is sent as a template message or subscription notice: the template and its fields.

    ``fields`` maps the template's keywords to patterns such as ``"{order_no}"`` or
    ``"{total} ({store_name})"``; the names a kind offers are listed in docs/notifications.md.
    """

    kind = models.CharField(_("event"), max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(
        _("channel"), max_length=16, choices=TemplateChannel.choices, default=TemplateChannel.TEMPLATE
    )
    template_id = models.CharField(_("template ID"), max_length=64)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=1024, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["merchant", "kind"], name="notification_template_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.template_id}"


class NotificationPreference(TenantModel):
    """What one member does not want to hear about: some kinds, or everything (``muted``)."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    muted = models.BooleanField(default=False)
    opted_out = models.JSONField(default=list, blank=True)  # NotificationKind values
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "member"], name="notification_preference_once")]


class NotificationSettings(TenantModel):
    """The merchant's switches for notifications, and a pause after WeChat's quota error (45009)."""

    is_enabled = models.BooleanField(_("send notifications"), default=True)
    customer_service_fallback = models.BooleanField(
        _("fall back to a customer-service message inside the 48 h window"), default=True
    )
    follow_prompt = models.CharField(_("follow prompt"), max_length=200, blank=True, default="")
    paused_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="notification_settings_once")]
