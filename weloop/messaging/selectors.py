"""Reads for auto-replies, the follow greeting, the menu and the message log."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from weloop.core.db import get_or_not_found
from weloop.messaging.enums import MatchType
from weloop.messaging.models import AutoReplyRule, FollowGreeting, MenuConfig, MessageLog
from weloop.tenants.models import Merchant


def rule_list(*, merchant: Merchant, q: str | None = None) -> QuerySet[AutoReplyRule]:
    """Every rule in the order they are tried within a match type: priority first, then age."""
    rules = AutoReplyRule.objects.for_merchant(merchant)
    if q and q.strip():
        rules = rules.filter(keyword__icontains=q.strip())
    return rules.order_by("-priority", "id")


def rule_get(*, merchant: Merchant, public_id: str) -> AutoReplyRule:
    return get_or_not_found(AutoReplyRule.objects.for_merchant(merchant), what="auto-reply rule", public_id=public_id)


def _active_rules(merchant: Merchant) -> list[AutoReplyRule]:
    # A merchant has a few dozen rules: one query and matching in Python beats a "keyword is a
    # substring of the message" query, which no index can serve anyway.
    rules = list(AutoReplyRule.objects.for_merchant(merchant).filter(is_active=True).order_by("-priority", "id"))
    return [r for r in rules if r.match_type == MatchType.EXACT] + [r for r in rules if r.match_type != MatchType.EXACT]


def rule_matching(
    *, merchant: Merchant, text: str, rules: Sequence[AutoReplyRule] | None = None
) -> AutoReplyRule | None:
    """The rule answering a text message: an exact match (ignoring case and surrounding spaces)
    before a "contains" match, the higher priority first, then the older rule.

    ``rules`` are the merchant's active rules in that order (the callback's cached copy); read
    from the database when not given."""
    folded = (text or "").strip().casefold()
    if not folded:
        return None
    for rule in _active_rules(merchant) if rules is None else rules:
        keyword = rule.keyword.strip().casefold()
        if not keyword:
            continue
        if rule.match_type == MatchType.EXACT and keyword == folded:
            return rule
        if rule.match_type == MatchType.CONTAINS and keyword in folded:
            return rule
    return None


def rule_for_click(
    *, merchant: Merchant, key: str, rules: Sequence[AutoReplyRule] | None = None
) -> AutoReplyRule | None:
    """The rule answering a menu click: its keyword equals the button's key (case-sensitive).
    ``rules`` as for ``rule_matching``."""
    if not key:
        return None
    candidates = _active_rules(merchant) if rules is None else rules
    return next((rule for rule in candidates if rule.keyword == key), None)


def greeting_of(*, merchant: Merchant) -> FollowGreeting | None:
    return FollowGreeting.objects.for_merchant(merchant).first()


def menu_of(*, merchant: Merchant) -> MenuConfig | None:
    return MenuConfig.objects.for_merchant(merchant).first()


def message_log_list(
    *,
    merchant: Merchant,
    direction: str | None = None,
    openid: str | None = None,
    member_id: str | None = None,
    status: str | None = None,
) -> QuerySet[MessageLog]:
    """The message log, newest first; ``member_id`` is a member's public id."""
    logs = MessageLog.objects.for_merchant(merchant).select_related("member")
    if direction:
        logs = logs.filter(direction=direction)
    if openid:
        logs = logs.filter(openid=openid)
    if member_id:
        logs = logs.filter(member__public_id=member_id)
    if status:
        logs = logs.filter(status=status)
    return logs.order_by("-id")
