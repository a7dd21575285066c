from __future__ import annotations

import pytest

from weloop.demo.seed import DemoContext
from weloop.demo.seed_segments import seed_segments
from weloop.members import services as members
from weloop.members.models import Member
from weloop.segments import selectors
from weloop.segments.models import Segment

pytestmark = pytest.mark.django_db


def test_the_demo_step_saves_segments_whose_counts_match_their_members(merchant):
    for n in range(6):
        m = members.member_get_or_create(merchant=merchant, openid=f"o-demo-{n}", source="follow")[0]
        Member.objects.filter(pk=m.pk).update(is_following=True)
    seed_segments(DemoContext(merchant=merchant))
    seed_segments(DemoContext(merchant=merchant))  # a second run adds nothing
    segments = list(Segment.objects.for_merchant(merchant))
    assert len(segments) == 4
    counts = {s.name: s.last_count for s in segments}
    assert counts["常客"] == 3 and counts["常客 · 爱尝鲜"] == 1
    for segment in segments:
        assert selectors.segment_count(merchant=merchant, segment=segment) == segment.last_count
