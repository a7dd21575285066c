"""/tags, /members/{member_id}/tags and /tag-rules over the API."""

from __future__ import annotations

import pytest

from weloop.members import services as member_services
from weloop.members.models import MemberTag, Tag

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def members(merchant):
    return [
        member_services.member_get_or_create(merchant=merchant, openid=f"o-api-{n}", source="follow")[0]
        for n in range(3)
    ]


def test_tag_lifecycle_with_members(call, members):
    created = call("POST", "/tags", {"name": "size-38", "description": "shoe size"})
    assert created.status_code == 201, created.content
    tag_id = created.json()["id"]
    assert call("POST", "/tags", {"name": "size-38"}).json()["code"] == "members.tag_name_taken"
    body = {"member_ids": [m.public_id for m in members] + ["mb_nobody"]}
    added = call("POST", f"/tags/{tag_id}/members", body).json()
    assert added == {"changed": 3, "unknown": ["mb_nobody"]}
    assert call("POST", f"/tags/{tag_id}/members", body).json()["changed"] == 0
    listed = call("GET", "/tags").json()["items"]
    assert [(t["name"], t["member_count"]) for t in listed] == [("size-38", 3)]
    assert MemberTag.objects.filter(source="api").count() == 3
    mine = call("GET", f"/members/{members[0].public_id}/tags").json()
    assert [t["name"] for t in mine] == ["size-38"]
    assert call("DELETE", f"/members/{members[0].public_id}/tags/{tag_id}").json() == {"changed": True}
    removed = call("POST", f"/tags/{tag_id}/members/remove", {"member_ids": [members[1].public_id]}).json()
    assert removed["changed"] == 1
    assert call("DELETE", f"/tags/{tag_id}").json()["code"] == "members.tag_in_use"
    assert call("DELETE", f"/tags/{tag_id}?force=true").status_code == 204
    assert not Tag.objects.exists()


def test_care_flag_and_patch(call, members):
    tag_id = call("POST", "/tags", {"name": "handle with care", "is_care_flag": True, "care_note": "No calls"}).json()[
        "id"
    ]
    got = call("GET", f"/tags/{tag_id}").json()
    assert got["kind"] == "care" and got["care_note"] == "No calls" and got["sync"] is None
    patched = call("PATCH", f"/tags/{tag_id}", {"name": "gentle"}).json()
    assert patched["name"] == "gentle"
    assert call("POST", f"/members/{members[0].public_id}/tags", {"tag_id": tag_id}).json() == {"changed": True}
    assert call("GET", f"/members/{members[0].public_id}/tags").json()[0]["is_care_flag"] is True


def test_the_wechat_tag_limit_is_a_409(call, merchant):
    Tag.objects.bulk_create([Tag(merchant=merchant, name=f"s{n}", sync_to_wechat=True) for n in range(100)])
    answer = call("POST", "/tags", {"name": "more", "sync_to_wechat": True})
    assert answer.status_code == 409 and answer.json()["code"] == "tagging.wechat_tag_limit"


def test_rules_crud_and_apply(call, members):
    tag_id = call("POST", "/tags", {"name": "women"}).json()["id"]
    member_services.member_profile_update(merchant=members[0].merchant, member=members[0], gender="female")
    bad = call("POST", "/tag-rules", {"tag_id": tag_id, "kind": "attribute", "params": {"field": "shoe"}})
    assert bad.status_code == 400 and bad.json()["code"] == "tagging.invalid_rule"
    rule = call(
        "POST", "/tag-rules", {"tag_id": tag_id, "kind": "attribute", "params": {"field": "gender", "value": "female"}}
    )
    assert rule.status_code == 201, rule.content
    rule_id = rule.json()["id"]
    assert call("POST", f"/tag-rules/{rule_id}/apply").json() == {"added": 1}
    assert call("POST", f"/tag-rules/{rule_id}/apply").json() == {"added": 0}
    assert call("PATCH", f"/tag-rules/{rule_id}", {"active": False}).json()["active"] is False
    assert call("GET", "/tag-rules").json()["items"][0]["id"] == rule_id
    assert call("DELETE", f"/tag-rules/{rule_id}").status_code == 204


def test_another_merchants_tag_is_404(call, other_merchant):
    other = member_services.tag_create(merchant=other_merchant, name="theirs")
    assert call("GET", f"/tags/{other.public_id}").status_code == 404
    assert call("POST", f"/tags/{other.public_id}/members", {"member_ids": ["mb_x"]}).status_code == 404
