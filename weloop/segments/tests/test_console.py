from __future__ import annotations

import pytest
from django.urls import reverse

from weloop.members import services as members
from weloop.members.models import Member
from weloop.segments.models import Segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def tagged(merchant):
    tag = members.tag_create(merchant=merchant, name="size-38")
    m = members.member_get_or_create(merchant=merchant, openid="o-con-1", source="follow")[0]
    Member.objects.filter(pk=m.pk).update(is_following=True, nickname="Lily")
    members.member_tag_add(merchant=merchant, member=m, tag=tag, source="manual")
    return tag


def test_live_preview_shows_count_sample_errors_and_nobody(owner_client, tagged):
    url = reverse("dashboard:segment_preview")
    page = owner_client.post(url, {"expression": 'tag:"size-38"'}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="segment-live-count"' in page and "<strong>1</strong>" in page and "Lily" in page
    page = owner_client.post(url, {"expression": 'tag:"size-38" AND NOT following'}).content.decode()
    assert "matches nobody" in page
    page = owner_client.post(url, {"expression": "tag:size-38 AND ("}).content.decode()
    assert 'data-code="segments.invalid_expression"' in page and "character 18" in page
    page = owner_client.post(url, {"expression": "tag:nope"}).content.decode()
    assert 'data-code="segments.unknown_tag"' in page


def test_create_edit_delete_a_segment(owner_client, merchant, tagged):
    response = owner_client.post(
        reverse("dashboard:segment_create"), {"name": "38s", "description": "", "expression": "tag:size-38"}
    )
    assert response.status_code == 302
    segment = Segment.objects.get(merchant=merchant)
    assert segment.expression == 'tag:"size-38"' and segment.last_count == 1
    page = owner_client.get(reverse("dashboard:segment_list")).content.decode()
    assert "38s" in page and segment.public_id in page
    edit = reverse("dashboard:segment_edit", kwargs={"segment_id": segment.public_id})
    assert owner_client.get(edit).status_code == 200
    bad = owner_client.post(edit, {"name": "38s", "expression": "tag:missing"})
    assert bad.status_code == 400 and "segments.unknown_tag" in bad.content.decode()
    owner_client.post(reverse("dashboard:segment_delete", kwargs={"segment_id": segment.public_id}))
    assert not Segment.objects.exists()


def test_builder_appends_terms_left_to_right(owner_client, tagged):
    url = reverse("dashboard:segment_builder")
    data = {"expression": "following OR source:scan", "builder_op": "and_not", "builder_tag": "size-38"}
    page = owner_client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert "(following OR source:scan) AND NOT tag:&quot;size-38&quot;" in page
    # without JavaScript the form itself re-renders with the term added
    page = owner_client.post(
        reverse("dashboard:segment_create"),
        {"name": "", "expression": "", "builder_op": "and", "builder_tag": "size-38", "add_term": "1"},
    ).content.decode()
    assert "tag:&quot;size-38&quot;</textarea>" in page


def test_a_clerk_cannot_manage_segments(staff_client, merchant):
    client = staff_client(merchant, "clerk")
    assert client.get(reverse("dashboard:segment_list")).status_code in (302, 403)
