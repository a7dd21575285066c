"""/notifications: the log of what members were told (one row per message) and its delivery status."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from weloop.api.auth import merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.notifications import NotificationFilters, NotificationPage
from weloop.messaging import notification_selectors

router = Router(tags=["Notifications"])


@router.get("", response=NotificationPage, summary="List notifications")
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters], page: Query[PageIn]) -> dict:
    """Notifications newest first, filtered by status, kind, channel, member or WeChat errcode."""
    rows = notification_selectors.notification_list(
        merchant=merchant_of(request),
        status=filters.status,
        kind=filters.kind,
        channel=filters.channel,
        member_id=filters.member_id,
        errcode=filters.errcode,
    )
    return paginate(rows, page)
