"""The customer-service window of one member, as WeChat counts it (WECHAT.md §3.3).

The member's touches (members app) say when they wrote, tapped a click menu, followed, scanned or
paid; our own customer-service messages use up the quota. ``wechat.limits`` replays both against
WeChat's table (5 messages within 48 h of a message; 3 within a minute of a click, follow or scan;
unlimited within 48 h of a payment).

Messages other apps send through the same API (notifications) also use the quota but are not seen
here: WeChat then refuses with 45047, which is recorded on the message like any refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from weloop.core import clock
from weloop.members.enums import TouchKind
from weloop.members.models import Member, MemberTouch
from weloop.service_desk.enums import MessageDirection, SendStatus
from weloop.service_desk.models import ConversationMessage
from weloop.tenants.models import Merchant
from weloop.wechat import limits

LOOKBACK = timedelta(hours=48)  # no window lasts longer
_CLICK_EVENTS = frozenset({"click", "scancode_push", "scancode_waitmsg"})
_TOUCH_KINDS = {
    TouchKind.MESSAGE: limits.MESSAGE,
    TouchKind.FOLLOW: limits.FOLLOW,
    TouchKind.SCAN: limits.SCAN,
    TouchKind.PURCHASE: limits.PAYMENT,
}


@dataclass(frozen=True)
class Window:
    is_open: bool
    remaining: int | None  # replies left; None = unlimited (after a payment)
    expires_at: datetime | None
    is_following: bool
    reason: str  # "" when open; "unsubscribed", "closed" or "quota"
    now: datetime

    @property
    def can_reply(self) -> bool:
        return self.is_open and self.is_following

    @property
    def seconds_left(self) -> int:
        if not self.expires_at:
            return 0
        return max(int((self.expires_at - self.now).total_seconds()), 0)

    @property
    def time_left(self) -> str:
        """``47h 12m`` / ``12m`` / ``40s``: what the console shows."""
        seconds = self.seconds_left
        hours, rest = divmod(seconds, 3600)
        minutes = rest // 60
        if hours:
            return f"{hours}h {minutes:02d}m"
        if minutes:
            return f"{minutes}m"
        return f"{seconds}s"


def _interactions(merchant: Merchant, member: Member, since: datetime) -> list[limits.Interaction]:
    found: list[limits.Interaction] = []
    touches = (
        MemberTouch.objects.for_merchant(merchant)
        .filter(member=member, at__gte=since, kind__in=[*_TOUCH_KINDS, TouchKind.MENU_CLICK])
        .values_list("kind", "at", "detail")
    )
    for kind, at, detail in touches:
        if kind == TouchKind.MENU_CLICK:
            if (detail or {}).get("event", "click") in _CLICK_EVENTS:
                found.append(limits.Interaction(limits.MENU_CLICK, at))
        else:
            found.append(limits.Interaction(_TOUCH_KINDS[kind], at))
    sent = (
        ConversationMessage.objects.for_merchant(merchant)
        .filter(
            conversation__member=member,
            direction=MessageDirection.OUT,
            send_status=SendStatus.SENT,
            at__gte=since,
        )
        .values_list("at", flat=True)
    )
    found.extend(limits.Interaction(limits.SENT, at) for at in sent)
    return found


def window_for(*, merchant: Merchant, member: Member, now: datetime | None = None) -> Window:
    """May we send ``member`` a customer-service message now, how many, until when."""
    now = now or clock.now()
    interactions = _interactions(merchant, member, now - LOOKBACK)
    allowed, remaining, expires_at = limits.window_allows(interactions, now)
    reason = ""
    if not member.is_following:
        reason = "unsubscribed"
    elif not allowed:
        opened, _, _ = limits.window_allows([i for i in interactions if i.kind != limits.SENT], now)
        reason = "quota" if opened else "closed"
    return Window(
        is_open=allowed,
        remaining=remaining if allowed else 0,
        expires_at=expires_at,
        is_following=member.is_following,
        reason=reason,
        now=now,
    )
