"""Reads for notifications: the log with its filters, a member's preferences."""

from __future__ import annotations

from django.db.models import QuerySet

from weloop.messaging.models import Notification, NotificationTemplate
from weloop.tenants.models import Merchant


def notification_list(
    *,
    merchant: Merchant,
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    member_id: str | None = None,
    errcode: int | None = None,
) -> QuerySet[Notification]:
    """The notification log, newest first; ``member_id`` is a member's public id."""
    rows = Notification.objects.for_merchant(merchant).select_related("member")
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if channel is not None and channel != "all":
        rows = rows.filter(channel=channel)
    if member_id:
        rows = rows.filter(member__public_id=member_id)
    if errcode is not None:
        rows = rows.filter(errcode=errcode)
    return rows.order_by("-id")


def template_list(*, merchant: Merchant) -> dict[str, NotificationTemplate]:
    """The merchant's template mapping by kind."""
    return {t.kind: t for t in NotificationTemplate.objects.for_merchant(merchant)}
