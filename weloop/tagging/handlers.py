"""Outbox subscribers of the tagging app (autodiscovered by core). Idempotent: replays add nothing."""

from __future__ import annotations

from django.db import transaction

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.tagging import rules, sync

RULE_EVENTS = (
    "orders.order_paid",
    "orders.order_completed",
    "vouchers.voucher_redeemed",
    "bookings.booking_completed",
    "members.member_followed",
    "members.member_attributes_updated",
    "engagement.survey_answered",
    "engagement.event_checked_in",
)


def _apply_rules(event: OutboxEvent) -> None:
    rules.rules_apply_event(merchant=event.merchant, name=event.name, payload=dict(event.payload))


for _name in RULE_EVENTS:
    subscribe(_name)(_apply_rules)


@subscribe("members.member_tagged")
def tagged(event: OutboxEvent) -> None:
    sync.tag_sync_mark_dirty(merchant=event.merchant, tag_public_id=str(event.payload.get("tag_id", "")))


@subscribe("members.member_untagged")
def untagged(event: OutboxEvent) -> None:
    sync.tag_sync_mark_dirty(merchant=event.merchant, tag_public_id=str(event.payload.get("tag_id", "")))


@subscribe("members.tag_bulk_added")
def bulk_tagged(event: OutboxEvent) -> None:
    sync.tag_sync_mark_dirty(merchant=event.merchant, tag_public_id=str(event.payload.get("tag_id", "")))


@subscribe("members.tag_deleted")
def tag_deleted(event: OutboxEvent) -> None:
    wechat_tag_id = event.payload.get("wechat_tag_id")
    if wechat_tag_id:
        from weloop.tagging import tasks

        pk, merchant_pk = int(wechat_tag_id), event.merchant_id
        transaction.on_commit(lambda: tasks.wechat_tag_delete_task(merchant_pk, pk))
