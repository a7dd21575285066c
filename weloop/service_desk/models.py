"""The service desk: conversations with members, their messages, tickets, canned replies, rules.

One conversation per member: a new message reopens it (``Conversation`` is unique per member), so
an agent always sees the whole history. Each opening is a "cycle" (``opened_at`` … close); closing
writes a ``ConversationClosure`` with the cycle's first-response and resolution times, which the
metrics page aggregates per agent.

The inbox lists open conversations by ``last_message_at`` (newest first) with keyset pagination on
``(last_message_at, id)``; the indexes below serve exactly those queries (per status, per assignee).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.service_desk.enums import (
    ConversationStatus,
    MediaStatus,
    MessageDirection,
    MessageKind,
    Outcome,
    SendStatus,
    TicketStatus,
)


class Conversation(TenantModel):
    public_id = public_id_field("cv_")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.OPEN)
    assignee = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The member's first-touch store, copied at creation: assignment by store and the inbox filter.
    store = models.ForeignKey("stores.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    preview = models.CharField(max_length=120, blank=True, default="")
    waiting = models.BooleanField(default=True)  # the last word is the customer's
    opened_at = models.DateTimeField(default=clock.now)  # start of the current cycle
    first_response_at = models.DateTimeField(null=True, blank=True)  # in the current cycle
    last_message_at = models.DateTimeField(default=clock.now)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)  # the member unfollowed
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="conversation_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "member"], name="conversation_once_per_member"),
        ]
        indexes = [
            models.Index(fields=["merchant", "status", "-last_message_at", "-id"], name="conversation_inbox_idx"),
            models.Index(
                fields=["merchant", "assignee", "status", "-last_message_at", "-id"], name="conversation_mine_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class ConversationMessage(TenantModel):
    """One message in a conversation: the customer's, ours (with how sending went), a note."""

    public_id = public_id_field("cm_")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=MessageDirection.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(blank=True, default="")
    author = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Inbound: the messaging log row it came from (exactly once per WeChat message), WeChat's MsgId.
    source_log_id = models.BigIntegerField(null=True, blank=True)
    wx_msg_id = models.CharField(max_length=64, blank=True, default="")
    media_id = models.CharField(max_length=128, blank=True, default="")
    pic_url = models.CharField(max_length=1024, blank=True, default="")
    media_status = models.CharField(max_length=16, choices=MediaStatus.choices, blank=True, default="")
    media_file = models.FileField(upload_to="service_desk/%Y/%m/", blank=True, default="")
    media_content_type = models.CharField(max_length=64, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    label = models.CharField(max_length=200, blank=True, default="")
    url = models.CharField(max_length=1024, blank=True, default="")
    send_status = models.CharField(max_length=16, choices=SendStatus.choices, blank=True, default="")
    errcode = models.IntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    ticket = models.ForeignKey("Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=clock.now)  # when the customer sent it / we wrote it
    created_at = models.DateTimeField(default=clock.now)  # when it reached the desk

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="conversation_message_public_id"),
            models.UniqueConstraint(
                fields=["merchant", "source_log_id"],
                condition=Q(source_log_id__isnull=False),
                name="conversation_message_once_per_log",
            ),
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="conversation_message_order_idx")]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind}"

    @property
    def is_failed(self) -> bool:
        return self.send_status == SendStatus.FAILED


class ConversationClosure(TenantModel):
    """One finished cycle of a conversation, for the metrics: who answered, how fast, how it ended."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="closures")
    agent = models.ForeignKey("tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField()

    class Meta:
        ordering = ["-closed_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-closed_at"], name="closure_recent_idx")]


class CannedReply(TenantModel):
    public_id = public_id_field("cr_")
    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="canned_reply_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "title"], name="canned_reply_title_once"),
        ]

    def __str__(self) -> str:
        return self.title


class AssignmentRule(TenantModel):
    """Conversations of members whose first-touch store is ``store`` go to ``agent``.

    Members carry no tags yet (WeChat tags are not mirrored in the members app), so rules match by
    store only; a tag condition is the natural next column.
    """

    public_id = public_id_field("asr_")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey("tenants.StaffMember", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="assignment_rule_public_id"),
            models.UniqueConstraint(fields=["merchant", "store"], name="assignment_rule_once_per_store"),
        ]


class AgentPresence(TenantModel):
    """Whether a staff member takes new conversations (round robin). No row: agents do, others not."""

    staff = models.ForeignKey("tenants.StaffMember", on_delete=models.CASCADE, related_name="+")
    is_available = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "staff"], name="agent_presence_once")]


class DeskState(TenantModel):
    """Per merchant: the round-robin cursor (the last agent given a conversation). Locked to assign."""

    last_agent_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant"], name="desk_state_once")]


class Ticket(TenantModel):
    """A service request (e.g. a damage claim with a photo and a place) followed to its resolution."""

    public_id = public_id_field("tk_")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tickets")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(_("subject"), max_length=120)
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    assignee = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    photo = models.ForeignKey(ConversationMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    place = models.ForeignKey(ConversationMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="ticket_public_id_per_merchant"),
        ]
        indexes = [
            models.Index(fields=["merchant", "status", "-id"], name="ticket_status_idx"),
            models.Index(fields=["merchant", "member", "-id"], name="ticket_member_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id
