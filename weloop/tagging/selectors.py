"""Reads of the tagging app."""

from __future__ import annotations

from django.db.models import QuerySet

from weloop.members.models import Tag
from weloop.tagging.models import TagRule, TagSync
from weloop.tagging.rules import rule_get
from weloop.tagging.sync import members_over_limit, wechat_tag_limit
from weloop.tenants.models import Merchant


def rule_list(*, merchant: Merchant, tag: Tag | None = None) -> QuerySet[TagRule]:
    rules = TagRule.objects.for_merchant(merchant).select_related("tag")
    return rules.filter(tag=tag) if tag is not None else rules.order_by("-id")


def tag_sync_of(*, merchant: Merchant, tag: Tag) -> TagSync | None:
    return TagSync.objects.for_merchant(merchant).filter(tag=tag).first()


def tag_syncs_by_tag(*, merchant: Merchant) -> dict[int, TagSync]:
    return {sync.tag_id: sync for sync in TagSync.objects.for_merchant(merchant)}


def synced_tag_count(*, merchant: Merchant) -> int:
    return Tag.objects.for_merchant(merchant).filter(sync_to_wechat=True).count()


__all__ = [
    "members_over_limit",
    "rule_get",
    "rule_list",
    "synced_tag_count",
    "tag_sync_of",
    "tag_syncs_by_tag",
    "wechat_tag_limit",
]
