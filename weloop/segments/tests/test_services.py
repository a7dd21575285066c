from __future__ import annotations

import pytest

from weloop.core.errors import NotFound
from weloop.members import services as members
from weloop.members.models import Member
from weloop.segments import selectors, services
from weloop.segments.errors import InvalidExpression, InvalidSegment, UnknownTag
from weloop.segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(merchant):
    tag = members.tag_create(merchant=merchant, name="vip")
    for n in range(3):
        m = members.member_get_or_create(merchant=merchant, openid=f"o-svc-{n}", source="follow")[0]
        Member.objects.filter(pk=m.pk).update(is_following=n < 2, city="上海")
        members.member_tag_add(merchant=merchant, member=m, tag=tag, source="manual")
    return tag


def test_segment_create_stores_the_canonical_expression_and_its_count(merchant, vip):
    segment = services.segment_create(
        merchant=merchant, name=" VIPs ", expression={"term": "tag", "value": "vip"}, created_by="staff:amy"
    )
    assert segment.public_id.startswith("seg_") and segment.name == "VIPs"
    assert segment.expression == 'tag:"vip"' and segment.last_count == 2
    assert selectors.segment_count(merchant=merchant, segment=segment) == 2
    # following members only unless the expression says otherwise
    assert (
        len(selectors.expression_members(merchant=merchant, expression='tag:"vip" AND (following OR NOT following)'))
        == 3
    )


def test_a_segment_matching_nobody_is_valid(merchant, vip):
    preview = services.segment_preview(merchant=merchant, expression='tag:"vip" AND city:"北京"')
    assert preview.count == 0 and preview.matches_nobody and preview.sample == []
    segment = services.segment_create(merchant=merchant, name="Beijing VIPs", expression='tag:"vip" AND city:"北京"')
    assert segment.last_count == 0


def test_bad_input_writes_nothing(merchant, vip):
    with pytest.raises(InvalidExpression):
        services.segment_create(merchant=merchant, name="x", expression="tag:vip AND")
    with pytest.raises(UnknownTag):
        services.segment_create(merchant=merchant, name="x", expression="tag:nope")
    with pytest.raises(InvalidSegment):
        services.segment_create(merchant=merchant, name="  ", expression="following")
    services.segment_create(merchant=merchant, name="x", expression="following")
    with pytest.raises(InvalidSegment) as err:
        services.segment_create(merchant=merchant, name="x", expression="following")
    assert err.value.extra == {"fields": {"name": ["duplicate"]}}
    assert Segment.objects.count() == 1


def test_update_recount_and_delete(merchant, vip):
    segment = services.segment_create(merchant=merchant, name="all", expression="following")
    updated = services.segment_update(merchant=merchant, segment_id=segment.public_id, expression='NOT tag:"vip"')
    assert updated.expression == 'NOT tag:"vip"' and updated.last_count == 0
    with pytest.raises(UnknownTag):
        services.segment_update(merchant=merchant, segment_id=segment.public_id, expression="tag:gone")
    assert Segment.objects.get(pk=segment.pk).expression == 'NOT tag:"vip"'
    services.segment_delete(merchant=merchant, segment_id=segment.public_id)
    assert not Segment.objects.exists()


def test_another_merchants_segment_is_not_found(merchant, other_merchant, vip):
    segment = services.segment_create(merchant=merchant, name="VIPs", expression='tag:"vip"')
    with pytest.raises(NotFound):
        selectors.segment_get(merchant=other_merchant, public_id=segment.public_id)
    with pytest.raises(NotFound):
        services.segment_delete(merchant=other_merchant, segment_id=segment.public_id)
    assert len(selectors.segment_members(merchant=other_merchant, segment=segment)) == 0
    with pytest.raises(UnknownTag):  # tags are per merchant too
        selectors.expression_members(merchant=other_merchant, expression='tag:"vip"')
