"""Auto-tag rules and the WeChat mirror of synced tags.

Tags themselves live in weloop/members (``Tag``, ``MemberTag``, ``TagChange``); this app decides
*when* members get them (rules fed by outbox events, a daily sweep, a backfill) and copies the tags
the merchant chose onto WeChat.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.tagging.enums import RuleKind, SyncStatus


class TagRule(TenantModel):
    """ "Members who <kind, params> get <tag>". Applied by event handlers, and by "apply now"."""

    public_id = public_id_field("trl_")
    name = models.CharField(_("name"), max_length=80)
    tag = models.ForeignKey("members.Tag", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=RuleKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    applied_count = models.PositiveIntegerField(default=0)  # members this rule tagged so far
    last_applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="tag_rule_public_id_per_merchant"),
        ]
        indexes = [models.Index(fields=["merchant", "kind", "active"], name="tag_rule_by_kind_idx")]

    def __str__(self) -> str:
        return self.name


class TagSync(TenantModel):
    """The WeChat copy of one tag: its id there, how far the last run got, and what went wrong.

    ``cursor`` is the last openid handled by the running pass (openids are handled in order), so a
    killed worker resumes after it; every call is idempotent on WeChat's side anyway.
    """

    tag = models.OneToOneField("members.Tag", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.IDLE)
    wechat_tag_id = models.IntegerField(null=True, blank=True)
    wechat_name = models.CharField(max_length=64, blank=True, default="")
    dirty = models.BooleanField(default=False)  # members changed since the last run
    cursor = models.CharField(max_length=64, blank=True, default="")
    tagged_count = models.PositiveIntegerField(default=0)
    untagged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)  # members already at WeChat's 20 tags
    skipped_sample = models.JSONField(default=list, blank=True)  # a few member public ids
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["merchant", "dirty"], name="tag_sync_dirty_idx")]

    def __str__(self) -> str:
        return f"{self.tag_id}:{self.status}"
