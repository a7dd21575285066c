"""Who a campaign reaches: a segment's members (the segments app) or all followers, as a BitMap."""

from __future__ import annotations

from pyroaring import BitMap

from weloop.marketing.errors import SegmentNotFound
from weloop.marketing.models import MarketingOptOut
from weloop.members.models import Member
from weloop.tenants.models import Merchant


def segment_lookup(*, merchant: Merchant, segment_ref: str) -> tuple[str, str]:
    """``(public_id, name)`` of a segment of ``merchant``; SegmentNotFound otherwise ("" = all followers)."""
    if not segment_ref:
        return "", ""
    from weloop.segments.models import Segment  # the segments app (same build, its own migrations)

    segment = Segment.objects.for_merchant(merchant).filter(public_id=segment_ref).first()
    if segment is None:
        raise SegmentNotFound(extra={"segment_id": segment_ref})
    return segment.public_id, segment.name


def audience_members(*, merchant: Merchant, segment_ref: str) -> BitMap:
    """Member pks the campaign targets, before opt-outs and caps (those are applied per batch)."""
    if not segment_ref:
        return BitMap(
            Member.objects.for_merchant(merchant).filter(is_following=True).values_list("pk", flat=True).iterator()
        )
    from weloop.segments import selectors as segment_selectors
    from weloop.segments.models import Segment

    segment = Segment.objects.for_merchant(merchant).filter(public_id=segment_ref).first()
    if segment is None:
        raise SegmentNotFound(extra={"segment_id": segment_ref})
    return BitMap(segment_selectors.segment_members(merchant=merchant, segment=segment))


def opted_out_members(*, merchant: Merchant) -> BitMap:
    return BitMap(
        MarketingOptOut.objects.for_merchant(merchant).filter(opted_out=True).values_list("member_id", flat=True)
    )
