"""Reads of segments: lists, lookups, and the members an expression or a segment selects."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from pyroaring import BitMap

from weloop.core.db import get_or_not_found
from weloop.members.models import Member
from weloop.segments import expressions
from weloop.segments.bitmaps import DbResolver, attribute_bitmap
from weloop.segments.expressions import Node, Term
from weloop.segments.models import Segment
from weloop.tenants.models import Merchant

SAMPLE_SIZE = 10


def segment_list(*, merchant: Merchant) -> QuerySet[Segment]:
    return Segment.objects.for_merchant(merchant).order_by("name", "id")


def segment_get(*, merchant: Merchant, public_id: str) -> Segment:
    return get_or_not_found(Segment.objects.for_merchant(merchant), what="segment", public_id=public_id)


def with_default_audience(node: Node) -> Node:
    """Following members only unless the expression names ``following`` itself."""
    return node if expressions.mentions_following(node) else expressions.And((node, Term("following")))


def evaluate_node(*, merchant: Merchant, node: Node) -> BitMap:
    """Members (pks) selected by a parsed expression: following members only unless it names ``following``."""
    node = with_default_audience(node)
    return expressions.evaluate(node, DbResolver(merchant, node))


def expression_members(*, merchant: Merchant, expression: str | dict[str, Any]) -> BitMap:
    """Members (pks) an expression selects; raises InvalidExpression / UnknownTag."""
    node, _text = expressions.normalize(expression)
    return evaluate_node(merchant=merchant, node=node)


def segment_members(*, merchant: Merchant, segment: Segment) -> BitMap:
    """Members (pks) in ``segment`` now; following members only unless the expression says otherwise."""
    if segment.merchant_id != merchant.pk:
        return BitMap()
    return expression_members(merchant=merchant, expression=segment.expression)


def segment_count(*, merchant: Merchant, segment: Segment) -> int:
    return len(segment_members(merchant=merchant, segment=segment))


def members_sample(*, merchant: Merchant, members: BitMap, size: int = SAMPLE_SIZE) -> list[Member]:
    """A few of the selected members (the most recent ones) for a page to show."""
    pks = list(members[-size:]) if len(members) > size else list(members)
    return list(Member.objects.for_merchant(merchant).filter(pk__in=pks).order_by("-pk"))


def member_universe_count(*, merchant: Merchant) -> int:
    return len(attribute_bitmap(merchant, None))
