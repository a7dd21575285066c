from __future__ import annotations

import pytest

from weloop.members import services as members
from weloop.members.models import Member

pytestmark = pytest.mark.django_db

BASE = "/api/v1/segments"


@pytest.fixture
def tagged(merchant):
    tag = members.tag_create(merchant=merchant, name="size-38")
    for n in range(3):
        m = members.member_get_or_create(merchant=merchant, openid=f"o-api-{n}", source="scan")[0]
        Member.objects.filter(pk=m.pk).update(is_following=True, nickname=f"m{n}")
        if n:
            members.member_tag_add(merchant=merchant, member=m, tag=tag, source="api")
    return tag


def test_preview_counts_and_samples(api_client, tagged):
    r = api_client.post(
        f"{BASE}/preview", {"expression": 'tag:"size-38"', "sample_size": 1}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and body["matches_nobody"] is False and len(body["sample"]) == 1
    assert body["sample"][0]["id"].startswith("mb_")
    json_form = {"op": "not", "arg": {"term": "tag", "value": "size-38"}}
    r = api_client.post(f"{BASE}/preview", {"expression": json_form}, content_type="application/json")
    assert r.json()["count"] == 1 and r.json()["expression"] == 'NOT tag:"size-38"'


def test_preview_errors_are_mapped(api_client, tagged):
    r = api_client.post(f"{BASE}/preview", {"expression": "tag:size-38 OR"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "segments.invalid_expression"
    assert r.json()["extra"]["position"] == 14
    r = api_client.post(f"{BASE}/preview", {"expression": "tag:nope"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "segments.unknown_tag" and r.json()["extra"]["tag"] == "nope"


def test_segment_crud_and_count(api_client, tagged, merchant):
    r = api_client.post(BASE, {"name": "38s", "expression": "tag:size-38"}, content_type="application/json")
    assert r.status_code == 201, r.content
    seg = r.json()
    assert seg["id"].startswith("seg_") and seg["last_count"] == 2 and seg["expression"] == 'tag:"size-38"'
    assert api_client.get(BASE).json()["count"] == 1
    assert api_client.get(f"{BASE}/{seg['id']}").json()["name"] == "38s"
    # a tag change shows in the next count
    m = Member.objects.for_merchant(merchant).get(openid="o-api-0")
    members.member_tag_add(merchant=merchant, member=m, tag=tagged, source="api")
    assert api_client.get(f"{BASE}/{seg['id']}/count").json()["count"] == 3
    r = api_client.patch(
        f"{BASE}/{seg['id']}", {"expression": 'tag:"size-38" AND gender:male'}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["last_count"] == 0
    r = api_client.post(BASE, {"name": "38s", "expression": "following"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "segments.invalid_segment"
    assert api_client.delete(f"{BASE}/{seg['id']}").status_code == 204
    assert api_client.get(f"{BASE}/{seg['id']}").status_code == 404


def test_openapi_documents_segments(api_client):
    spec = api_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/segments/preview" in spec["paths"]
