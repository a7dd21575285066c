"""Writes of segments: create, update, delete, and a preview that records nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.members.models import Member
from weloop.segments import expressions
from weloop.segments.errors import InvalidSegment
from weloop.segments.models import Segment
from weloop.segments.selectors import evaluate_node, members_sample, segment_get
from weloop.tenants.models import Merchant


@dataclass(frozen=True)
class Preview:
    expression: str  # canonical text
    count: int
    sample: list[Member]

    @property
    def matches_nobody(self) -> bool:
        return self.count == 0


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidSegment("A segment needs a name.", extra={"fields": {"name": ["required"]}})
    if len(name) > 60:
        raise InvalidSegment("A segment name has at most 60 characters.", extra={"fields": {"name": ["too_long"]}})
    return name


def segment_preview(*, merchant: Merchant, expression: str | dict[str, Any], sample_size: int = 10) -> Preview:
    """Count (and sample) the members an expression selects now; raise InvalidExpression / UnknownTag."""
    node, text = expressions.normalize(expression)
    members = evaluate_node(merchant=merchant, node=node)
    return Preview(text, len(members), members_sample(merchant=merchant, members=members, size=sample_size))


def _save(merchant: Merchant, segment: Segment) -> Segment:
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError as exc:
        raise InvalidSegment(
            "Another segment already has this name.", extra={"fields": {"name": ["duplicate"]}}
        ) from exc
    return segment


def segment_create(
    *,
    merchant: Merchant,
    name: str,
    expression: str | dict[str, Any],
    description: str = "",
    created_by: str = "",
) -> Segment:
    """Save a segment after checking its expression (and tags) and counting it.

    Raises InvalidSegment (name), InvalidExpression, UnknownTag. A segment matching nobody is valid.
    """
    name = _clean_name(name)
    preview = segment_preview(merchant=merchant, expression=expression, sample_size=0)
    now = clock.now()
    segment = Segment(
        merchant=merchant,
        name=name,
        expression=preview.expression,
        description=str(description or "")[:200],
        last_count=preview.count,
        last_counted_at=now,
        created_by=str(created_by or "")[:64],
        created_at=now,
        updated_at=now,
    )
    return _save(merchant, segment)


def segment_update(
    *,
    merchant: Merchant,
    segment_id: str,
    name: str | None = None,
    expression: str | dict[str, Any] | None = None,
    description: str | None = None,
) -> Segment:
    """Change a segment's name, expression or description; same errors as ``segment_create``."""
    segment = segment_get(merchant=merchant, public_id=segment_id)
    if name is not None:
        segment.name = _clean_name(name)
    if description is not None:
        segment.description = str(description)[:200]
    if expression is not None:
        preview = segment_preview(merchant=merchant, expression=expression, sample_size=0)
        segment.expression = preview.expression
        segment.last_count, segment.last_counted_at = preview.count, clock.now()
    segment.updated_at = clock.now()
    return _save(merchant, segment)


def segment_recount(*, merchant: Merchant, segment_id: str) -> Segment:
    """Count a segment now and remember the figure."""
    segment = segment_get(merchant=merchant, public_id=segment_id)
    preview = segment_preview(merchant=merchant, expression=segment.expression, sample_size=0)
    Segment.objects.filter(pk=segment.pk).update(last_count=preview.count, last_counted_at=clock.now())
    segment.refresh_from_db()
    return segment


def segment_delete(*, merchant: Merchant, segment_id: str) -> None:
    segment = segment_get(merchant=merchant, public_id=segment_id)
    segment.delete()
