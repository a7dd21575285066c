"""Reads the console's WeChat-channel pages need beyond what the members and messaging selectors give.

Built on those selectors (which start from ``for_merchant``); what is added here is only how the
pages combine them: a source filter on the member list, and the words of a member's messages on
their timeline (a message touch names the message, the log holds what it said).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from weloop.members.enums import MemberSource, TouchKind
from weloop.members.models import Member, MemberTouch
from weloop.members.selectors import member_list
from weloop.messaging.enums import Direction
from weloop.messaging.selectors import message_log_list
from weloop.tenants.models import Merchant


def member_search(
    *,
    merchant: Merchant,
    q: str | None = None,
    following: bool | None = None,
    store_id: str | None = None,
    source: str | None = None,
) -> QuerySet[Member]:
    """The member list filtered as the console's filter bar asks, newest first."""
    members = member_list(merchant=merchant, following=following, source_store_id=store_id, q=q)
    if source in MemberSource.values:
        members = members.filter(first_source=source)
    return members


@dataclass(frozen=True)
class TimelineItem:
    touch: MemberTouch
    message: str  # what the member wrote or sent, for message and location touches; "" otherwise


def timeline_items(*, merchant: Merchant, member: Member, touches: Iterable[MemberTouch]) -> list[TimelineItem]:
    """``touches`` (one page of the member's timeline) with the log's summary of each message."""
    touches = list(touches)
    msg_ids = {
        str(touch.detail.get("msg_id"))
        for touch in touches
        if touch.kind in (TouchKind.MESSAGE, TouchKind.LOCATION) and touch.detail.get("msg_id")
    }
    summaries: dict[str, str] = {}
    if msg_ids:
        logs = message_log_list(merchant=merchant, direction=Direction.IN, openid=member.openid)
        summaries = dict(logs.filter(msg_id__in=msg_ids).values_list("msg_id", "summary"))
    return [TimelineItem(touch, summaries.get(str(touch.detail.get("msg_id", "")), "")) for touch in touches]
