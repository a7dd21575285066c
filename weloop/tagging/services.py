"""Writes of the tagging app: auto-tag rules (rules.py) and the WeChat tag sync (sync.py)."""

from weloop.tagging.rules import (
    clean_params,
    rule_apply_now,
    rule_create,
    rule_delete,
    rule_update,
    rules_apply_event,
    rules_sweep,
)
from weloop.tagging.sync import (
    synced_tag_create,
    synced_tag_update,
    tag_sync_mark_dirty,
    tag_sync_request,
    tag_sync_run,
    tag_sync_set,
    tag_syncs_flush,
    wechat_tag_delete,
)

__all__ = [
    "clean_params",
    "rule_apply_now",
    "rule_create",
    "rule_delete",
    "rule_update",
    "rules_apply_event",
    "rules_sweep",
    "synced_tag_create",
    "synced_tag_update",
    "tag_sync_mark_dirty",
    "tag_sync_request",
    "tag_sync_run",
    "tag_sync_set",
    "tag_syncs_flush",
    "wechat_tag_delete",
]
