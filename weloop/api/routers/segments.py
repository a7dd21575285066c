"""/segments: saved member selections (tags and attributes), their counts and a preview.

Counts are exact and fresh: tag changes are read from the tag change log on every count;
attributes (following, gender, city...) are at most ``SEGMENTS_ATTRIBUTE_TTL_SECONDS`` old.
Errors: 400 `segments.invalid_expression` (with `extra.position`), 400 `segments.unknown_tag`
(with `extra.tag`), 400 `segments.invalid_segment` (name), 404 `not_found`.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.segments import (
    SegmentCountOut,
    SegmentIn,
    SegmentOut,
    SegmentPage,
    SegmentPatch,
    SegmentPreviewIn,
    SegmentPreviewOut,
)
from weloop.segments import selectors, services
from weloop.segments.models import Segment

router = Router(tags=["Segments"])

SegmentId = Annotated[str, Path(description="The segment's public id (`seg_…`).", example="seg_4K9QX2M7PA")]


@router.get("", response=SegmentPage, summary="List segments")
def list_segments(request: HttpRequest, page: Query[PageIn]) -> dict:
    """All segments of the merchant by name, with the count of their last counting."""
    return paginate(selectors.segment_list(merchant=merchant_of(request)), page)


@router.post("", response={201: SegmentOut}, summary="Create a segment")
def create_segment(request: HttpRequest, payload: SegmentIn) -> Segment:
    """Check the expression (and that its tags exist), count it, and save it. A segment matching nobody is valid."""
    return services.segment_create(merchant=merchant_of(request), **payload.model_dump(), created_by=actor_of(request))


@router.post("/preview", response=SegmentPreviewOut, summary="Preview an expression")
def preview_segment(request: HttpRequest, payload: SegmentPreviewIn) -> Any:
    """How many members an expression selects now, and a sample of them; nothing is saved."""
    return services.segment_preview(
        merchant=merchant_of(request), expression=payload.expression, sample_size=payload.sample_size
    )


@router.get("/{segment_id}", response=SegmentOut, summary="Get a segment")
def get_segment(request: HttpRequest, segment_id: SegmentId) -> Segment:
    """One segment with its expression and last count; 404 `not_found` for an unknown or another merchant's id."""
    return selectors.segment_get(merchant=merchant_of(request), public_id=segment_id)


@router.patch("/{segment_id}", response=SegmentOut, summary="Change a segment")
def update_segment(request: HttpRequest, payload: SegmentPatch, segment_id: SegmentId) -> Segment:
    """Change its name, expression or description; a new expression is checked and counted."""
    return services.segment_update(
        merchant=merchant_of(request), segment_id=segment_id, **payload.model_dump(exclude_none=True)
    )


@router.delete("/{segment_id}", response={204: None}, summary="Delete a segment")
def delete_segment(request: HttpRequest, segment_id: SegmentId) -> None:
    """Delete a segment (204); campaigns already sent keep their recipients. 404 for an unknown id."""
    services.segment_delete(merchant=merchant_of(request), segment_id=segment_id)


@router.get("/{segment_id}/count", response=SegmentCountOut, summary="Count a segment now")
def count_segment(request: HttpRequest, segment_id: SegmentId) -> dict:
    """Count the segment's members now and remember the figure as `last_count`."""
    segment = services.segment_recount(merchant=merchant_of(request), segment_id=segment_id)
    return {"id": segment.public_id, "count": segment.last_count or 0, "counted_at": segment.last_counted_at}
