"""Notifications over the API: the log of what members were told, and how it went."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import Page
from weloop.messaging.enums import NotificationChannel, NotificationKind, NotificationStatus
from weloop.messaging.models import Notification


class NotificationFilters(Schema):
    status: NotificationStatus | None = Field(
        None, description="Only this status: `pending`, `sent`, `delivered`, `failed` or `skipped`."
    )
    kind: NotificationKind | None = Field(None, description="Only this kind, e.g. `payment_succeeded`.")
    channel: NotificationChannel | None = Field(
        None, description="Only this channel: `template`, `subscribe` or `customer_service`."
    )
    member_id: str | None = Field(None, description="Only this member's notifications (`mb_…`).")
    errcode: int | None = Field(None, description="Only notifications WeChat refused with this errcode, e.g. 45009.")


class NotificationOut(Schema):
    id: str = Field(description="The notification's public id.", examples=["nt_4K9XPA7Q2M"])
    member_id: str = Field(description="The member told (`mb_…`).", examples=["mb_7Q2M4K9XPA"])
    kind: NotificationKind = Field(description="What the member is told about.", examples=["payment_succeeded"])
    dedup_key: str = Field(
        description="The fact told, unique per merchant: the same fact never notifies twice.",
        examples=["payment_succeeded:O2026112200123"],
    )
    channel: str = Field(
        description="How it went out: `template`, `subscribe`, `customer_service`; empty when it could not be sent."
    )
    status: NotificationStatus = Field(
        description="`pending` (waiting or retrying), `sent` (WeChat accepted a template message, report awaited), "
        "`delivered`, `failed` (see `reason`, `errcode`) or `skipped` (the member's preference).",
        examples=["delivered"],
    )
    summary: str = Field(description="What was sent: the template fields or the text.")
    msg_id: str = Field(description="WeChat's msgid of a template message (TEMPLATESENDJOBFINISH refers to it).")
    errcode: int | None = Field(description="WeChat's errcode of the last refusal, if any.", examples=[45009])
    reason: str = Field(description="Why it failed, waits or was skipped, e.g. `no channel`, `user block`.")
    attempts: int = Field(description="Calls made to WeChat so far.")
    next_attempt_at: dt.datetime = Field(description="When a pending notification is tried next (ISO 8601).")
    created_at: dt.datetime = Field(description="When the event was recorded (ISO 8601).")
    sent_at: dt.datetime | None = Field(description="When WeChat accepted it (ISO 8601).")
    finished_at: dt.datetime | None = Field(description="When it was delivered, failed or skipped (ISO 8601).")

    @staticmethod
    def resolve_id(obj: Notification) -> str:
        return obj.public_id

    @staticmethod
    def resolve_member_id(obj: Notification) -> str:
        return obj.member.public_id


class NotificationPage(Page):
    items: list[NotificationOut] = Field(description="This page of notifications, newest first.")
