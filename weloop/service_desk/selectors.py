"""Reads of the service desk: the inbox (keyset pages), a conversation, the member's context, metrics."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.apps import apps
from django.db.models import OuterRef, Q, QuerySet, Subquery

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.members.models import Member
from weloop.members.selectors import member_care_flags, member_timeline
from weloop.orders.selectors import order_list
from weloop.service_desk.enums import ConversationStatus, InboxFilter, TicketStatus
from weloop.service_desk.models import (
    AgentPresence,
    AssignmentRule,
    CannedReply,
    Conversation,
    ConversationClosure,
    ConversationMessage,
    Ticket,
)
from weloop.tenants.enums import StaffRole
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.permissions import PERMISSIONS

INBOX_PAGE_SIZE = 50
COUNT_CAP = 1000  # beyond this the inbox says "1000+" instead of counting every row


def _desk_roles() -> frozenset[str]:
    return PERMISSIONS["service_desk.use"]


def agent_is_eligible(staff: StaffMember | None, *, any_presence: bool = False) -> bool:
    """An active staff member who may use the desk (and, unless ``any_presence``, takes new ones)."""
    if staff is None or not staff.is_active or staff.role not in _desk_roles():
        return False
    if any_presence:
        return True
    presence = AgentPresence.objects.filter(merchant_id=staff.merchant_id, staff=staff).first()
    return presence.is_available if presence else True


def desk_staff(*, merchant: Merchant) -> list[StaffMember]:
    """Everyone who may answer customers, by id."""
    return list(
        StaffMember.objects.for_merchant(merchant)
        .filter(is_active=True, role__in=_desk_roles())
        .select_related("user")
        .order_by("id")
    )


def presence_of(*, merchant: Merchant) -> dict[int, bool]:
    return dict(AgentPresence.objects.for_merchant(merchant).values_list("staff_id", "is_available"))


def is_available(staff: StaffMember, presence: dict[int, bool]) -> bool:
    """In the round robin: as set, else service agents yes and managers no."""
    return presence.get(staff.pk, staff.role == StaffRole.SERVICE_AGENT)


def available_agents(*, merchant: Merchant) -> list[StaffMember]:
    """Staff in the round robin, by id (one query: the presence rows are a subquery)."""
    presence = AgentPresence.objects.filter(merchant_id=OuterRef("merchant_id"), staff_id=OuterRef("pk"))
    staff = (
        StaffMember.objects.for_merchant(merchant)
        .filter(is_active=True, role__in=_desk_roles())
        .annotate(available=Subquery(presence.values("is_available")[:1]))
        .order_by("id")
    )
    return [s for s in staff if (s.available if s.available is not None else is_available(s, {}))]


# --- the inbox ----------------------------------------------------------------------------------


def _inbox_queryset(merchant: Merchant, view: str, staff: StaffMember | None) -> QuerySet[Conversation]:
    conversations = Conversation.objects.for_merchant(merchant)
    if view == InboxFilter.CLOSED:
        return conversations.filter(status=ConversationStatus.CLOSED)
    conversations = conversations.filter(status=ConversationStatus.OPEN)
    if view == InboxFilter.MINE:
        return conversations.filter(assignee=staff)
    if view == InboxFilter.UNASSIGNED:
        return conversations.filter(assignee__isnull=True)
    return conversations


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        moment = datetime.fromisoformat(at)
        return (moment, int(pk)) if moment.tzinfo else None
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class InboxPage:
    items: list[Conversation]
    next_cursor: str | None
    view: str
    count: int | None = None  # exact up to COUNT_CAP
    count_capped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def inbox_page(
    *,
    merchant: Merchant,
    view: str = InboxFilter.ALL,
    staff: StaffMember | None = None,
    cursor: str | None = None,
    limit: int = INBOX_PAGE_SIZE,
    with_count: bool = True,
) -> InboxPage:
    """One page of the inbox, the most recent conversation first; ``cursor`` continues after a page.

    Keyset pagination on (last_message_at, id) over the (merchant, status[, assignee]) indexes: a
    page costs the same on the first or the thousandth page. The count stops at ``COUNT_CAP``.
    An unreadable cursor starts from the top.
    """
    view = view if view in InboxFilter.values else InboxFilter.ALL
    conversations = _inbox_queryset(merchant, view, staff)
    page = conversations
    position = _decode_cursor(cursor) if cursor else None
    if position:
        at, pk = position
        # The plain ``<=`` bound lets the index range-scan; the OR only breaks ties within it.
        page = page.filter(Q(last_message_at__lte=at), Q(last_message_at__lt=at) | Q(pk__lt=pk))
    rows = list(page.select_related("member", "assignee__user").order_by("-last_message_at", "-id")[: limit + 1])
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    result = InboxPage(items=items, next_cursor=next_cursor, view=view)
    if with_count:
        counted = conversations.order_by()[: COUNT_CAP + 1].count()
        result.count, result.count_capped = min(counted, COUNT_CAP), counted > COUNT_CAP
    return result


def conversation_list(*, merchant: Merchant, status: str | None = None) -> QuerySet[Conversation]:
    conversations = Conversation.objects.for_merchant(merchant).select_related("member", "assignee__user", "store")
    if status:
        conversations = conversations.filter(status=status)
    return conversations.order_by("-last_message_at", "-id")


def conversation_get(*, merchant: Merchant, public_id: str) -> Conversation:
    return get_or_not_found(conversation_list(merchant=merchant), what="conversation", public_id=public_id)


def conversation_messages(*, merchant: Merchant, conversation: Conversation) -> QuerySet[ConversationMessage]:
    """Every message, note and event of the conversation, in order."""
    return (
        ConversationMessage.objects.for_merchant(merchant)
        .filter(conversation=conversation)
        .select_related("author")
        .order_by("id")
    )


def message_get(*, merchant: Merchant, public_id: str) -> ConversationMessage:
    return get_or_not_found(
        ConversationMessage.objects.for_merchant(merchant).select_related("conversation"),
        what="message",
        public_id=public_id,
    )


# --- the member beside the chat -----------------------------------------------------------------


@dataclass
class MemberContext:
    member: Member
    recent_touches: list[Any]
    orders: list[Any]
    order_count: int
    tickets: list[Ticket]
    # Apps that do not exist yet are shown only once they do (never imported from here).
    vouchers_enabled: bool
    bookings_enabled: bool
    # Care flags (接待注意): tags marked for whoever serves the member, shown first.
    care_flags: list[Any] = field(default_factory=list)


def member_context(*, merchant: Merchant, member: Member) -> MemberContext:
    orders = order_list(merchant=merchant, member_id=member.public_id)
    return MemberContext(
        member=member,
        recent_touches=list(member_timeline(merchant=merchant, member=member)[:5]),
        orders=list(orders[:5]),
        order_count=orders.count(),
        tickets=list(Ticket.objects.for_merchant(merchant).filter(member=member).order_by("-id")[:5]),
        vouchers_enabled=apps.is_installed("weloop.vouchers"),
        bookings_enabled=apps.is_installed("weloop.bookings"),
        care_flags=member_care_flags(merchant=merchant, member=member),
    )


# --- tools --------------------------------------------------------------------------------------


def canned_reply_list(*, merchant: Merchant) -> QuerySet[CannedReply]:
    return CannedReply.objects.for_merchant(merchant).order_by("title", "id")


def canned_reply_get(*, merchant: Merchant, public_id: str) -> CannedReply:
    return get_or_not_found(canned_reply_list(merchant=merchant), what="canned reply", public_id=public_id)


def assignment_rule_list(*, merchant: Merchant) -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.for_merchant(merchant).select_related("store", "agent").order_by("id")


def assignment_rule_get(*, merchant: Merchant, public_id: str) -> AssignmentRule:
    return get_or_not_found(assignment_rule_list(merchant=merchant), what="assignment rule", public_id=public_id)


# --- tickets ------------------------------------------------------------------------------------


def ticket_list(*, merchant: Merchant, status: str | None = None, member: Member | None = None) -> QuerySet[Ticket]:
    tickets = Ticket.objects.for_merchant(merchant).select_related("member", "assignee", "photo", "place")
    if status:
        tickets = tickets.filter(status=status)
    if member is not None:
        tickets = tickets.filter(member=member)
    return tickets.order_by("-id")


def ticket_get(*, merchant: Merchant, public_id: str, member: Member | None = None) -> Ticket:
    return get_or_not_found(ticket_list(merchant=merchant, member=member), what="ticket", public_id=public_id)


def ticket_updates(*, merchant: Merchant, ticket: Ticket) -> QuerySet[ConversationMessage]:
    """The status updates sent (or not) to the customer about ``ticket``."""
    return ConversationMessage.objects.for_merchant(merchant).filter(ticket=ticket).order_by("id")


OPEN_TICKETS = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)


# --- metrics ------------------------------------------------------------------------------------


@dataclass
class AgentMetrics:
    agent: StaffMember | None
    closed: int = 0
    answered: int = 0
    first_response: list[float] = field(default_factory=list)  # seconds
    resolution: list[float] = field(default_factory=list)

    @staticmethod
    def _avg(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    @property
    def first_response_avg(self) -> float | None:
        return self._avg(self.first_response)

    @property
    def first_response_median(self) -> float | None:
        return median(self.first_response) if self.first_response else None

    @property
    def resolution_avg(self) -> float | None:
        return self._avg(self.resolution)

    @property
    def resolution_median(self) -> float | None:
        return median(self.resolution) if self.resolution else None


def agent_metrics(*, merchant: Merchant, days: int = 30) -> list[AgentMetrics]:
    """First-response and resolution times of the conversations closed in the last ``days``, per agent.

    First response: from the (re)opening to the first reply sent. Resolution: to the close.
    """
    since = clock.now() - timedelta(days=days)
    closures = ConversationClosure.objects.for_merchant(merchant).filter(closed_at__gte=since).select_related("agent")
    by_agent: dict[int | None, AgentMetrics] = {}
    for closure in closures.iterator():
        row = by_agent.setdefault(closure.agent_id, AgentMetrics(agent=closure.agent))
        row.closed += 1
        row.resolution.append((closure.closed_at - closure.opened_at).total_seconds())
        if closure.first_response_at:
            row.answered += 1
            row.first_response.append((closure.first_response_at - closure.opened_at).total_seconds())
    return sorted(by_agent.values(), key=lambda m: (m.agent is None, str(m.agent or "")))
