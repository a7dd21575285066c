"""Reads for the phone: users, QR codes, the menu and the chat with an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from weloop.core import clock
from weloop.simulator.enums import DeliveryKind, DeliveryStatus
from weloop.simulator.models import SimDelivery, SimOutboundMessage, SimQrTicket, SimUser

CHAT_LENGTH = 60


@dataclass(frozen=True)
class ChatItem:
    """One line of the chat: ``side`` is "user" (sent by the phone), "account" or "notice"."""

    side: str
    at: datetime
    kind: str
    delivery: SimDelivery | None = None
    message: SimOutboundMessage | None = None

    @property
    def key(self) -> str:
        return f"d{self.delivery.pk}" if self.delivery else f"m{self.message.pk}" if self.message else ""


def users_of(appid: str) -> QuerySet[SimUser]:
    return SimUser.objects.filter(appid=appid).order_by("-id")


def user_for_phone(appid: str, openid: str) -> SimUser | None:
    return SimUser.objects.filter(appid=appid, openid=openid).first() if appid and openid else None


def scannable_tickets(appid: str) -> list[SimQrTicket]:
    """The account's QR codes that still work, newest first (one per permanent scene)."""
    live = Q(permanent=True) | Q(expire_at__gt=clock.now())
    return list(SimQrTicket.objects.filter(live, appid=appid).order_by("-id")[:100])


def chat(user: SimUser) -> list[ChatItem]:
    """The last messages between the phone's user and the account, oldest first.

    The phone's own messages and events, each with its delivery status; a failed one adds WeChat's
    "service unavailable" notice. Then everything the account sent (any channel).
    """
    deliveries = SimDelivery.objects.filter(
        user=user, kind__in=[DeliveryKind.USER_MESSAGE, DeliveryKind.USER_EVENT]
    ).order_by("-id")[:CHAT_LENGTH]
    items: list[ChatItem] = []
    for delivery in deliveries:
        items.append(ChatItem("user", delivery.created_at, delivery.kind, delivery=delivery))
        if delivery.status == DeliveryStatus.FAILED and delivery.event != "unsubscribe":
            items.append(ChatItem("notice", delivery.finished_at or delivery.created_at, "failure", delivery=delivery))
    # A template the user blocked never reaches the chat.
    shown = SimOutboundMessage.objects.filter(user=user).exclude(status="user block")
    for message in shown.order_by("-id")[:CHAT_LENGTH]:
        items.append(ChatItem("account", message.created_at, message.kind, message=message))
    items.sort(key=lambda item: (item.at, item.side != "user"))
    return items[-CHAT_LENGTH:]


def has_pending(user: SimUser) -> bool:
    return SimDelivery.objects.filter(user=user, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.DELIVERING]).exists()


def last_url_check(appid: str) -> SimDelivery | None:
    return SimDelivery.objects.filter(appid=appid, kind=DeliveryKind.URL_CHECK).order_by("-id").first()


def delivery_log(appid: str, limit: int = 30) -> list[dict[str, Any]]:
    """Recent pushes to the account's callback with every attempt, for the phone's debug panel."""
    rows = SimDelivery.objects.filter(appid=appid).prefetch_related("pushes").order_by("-id")[:limit]
    return [{"delivery": row, "pushes": list(row.pushes.all())} for row in rows]
