"""Console: tags (list, create, edit, care flags, sync switch, delete), rules, a member's tags and
attributes, and care flags on the service desk conversation page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from weloop.members import services as member_services
from weloop.members.models import Member, MemberTag, Tag
from weloop.service_desk.models import Conversation
from weloop.service_desk.tests.support import say
from weloop.tagging.models import TagRule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member(merchant):
    return member_services.member_get_or_create(merchant=merchant, openid="o-console-1", source="follow")[0]


def test_create_edit_and_list_tags(owner_client, merchant, member):
    page = owner_client.post(
        reverse("dashboard:tag_create"),
        {"name": "handle with care", "is_care_flag": "on", "care_note": "Speaks softly"},
    )
    assert page.status_code == 302
    tag = Tag.objects.get(name="handle with care")
    assert tag.is_care_flag and tag.kind == "care"
    duplicate = owner_client.post(reverse("dashboard:tag_create"), {"name": "handle with care"})
    assert duplicate.status_code == 400 and b"already exists" in duplicate.content
    member_services.member_tag_add(merchant=merchant, member=member, tag=tag, source="manual")
    body = owner_client.get(reverse("dashboard:tag_list")).content.decode()
    assert "handle with care" in body and 'data-testid="tag-member-count">1<' in body
    edit = reverse("dashboard:tag_edit", kwargs={"tag_id": tag.public_id})
    assert owner_client.post(edit, {"name": "gentle", "care_note": "x", "is_care_flag": "on"}).status_code == 302
    assert Tag.objects.get(pk=tag.pk).name == "gentle"
    delete = reverse("dashboard:tag_delete", kwargs={"tag_id": tag.public_id})
    owner_client.post(delete)
    assert Tag.objects.filter(pk=tag.pk).exists()  # still carried: refused
    owner_client.post(delete, {"force": "1"})
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_sync_limit_is_shown_as_an_error(owner_client, merchant):
    Tag.objects.bulk_create([Tag(merchant=merchant, name=f"s{n}", sync_to_wechat=True) for n in range(100)])
    page = owner_client.post(reverse("dashboard:tag_create"), {"name": "more", "sync_to_wechat": "on"})
    assert page.status_code == 400 and b"tagging.wechat_tag_limit" in page.content


def test_rules_pages_create_and_apply(owner_client, merchant, member):
    tag = member_services.tag_create(merchant=merchant, name="women")
    member_services.member_profile_update(merchant=merchant, member=member, gender="female")
    bad = owner_client.post(
        reverse("dashboard:tag_rule_create"),
        {"tag_id": tag.public_id, "kind": "attribute", "field": "", "active": "on"},
    )
    assert bad.status_code == 400 and b"tagging.invalid_rule" in bad.content
    created = owner_client.post(
        reverse("dashboard:tag_rule_create"),
        {"tag_id": tag.public_id, "kind": "attribute", "field": "gender", "value": "female", "active": "on"},
    )
    assert created.status_code == 302
    rule = TagRule.objects.get()
    owner_client.post(reverse("dashboard:tag_rule_apply", kwargs={"tag_rule_id": rule.public_id}))
    assert MemberTag.objects.filter(member=member, tag=tag).exists()
    assert b"women" in owner_client.get(reverse("dashboard:tag_rule_list")).content
    spend = owner_client.post(
        reverse("dashboard:tag_rule_create"),
        {"tag_id": tag.public_id, "kind": "spent_at_least", "amount_yuan": "99.50", "days": "30", "active": "on"},
    )
    assert spend.status_code == 302
    assert TagRule.objects.get(kind="spent_at_least").params == {"amount_fen": 9950, "days": 30}


def test_member_page_tags_and_attributes(owner_client, merchant, member):
    url = reverse("dashboard:member_detail", kwargs={"member_id": member.public_id})
    owner_client.post(reverse("dashboard:member_tag_edit", kwargs={"member_id": member.public_id}), {"new_tag": "VIP"})
    assert MemberTag.objects.filter(member=member, tag__name="VIP").exists()
    owner_client.post(
        reverse("dashboard:member_attributes_edit", kwargs={"member_id": member.public_id}),
        {"birthday": "1990-05-03", "gender": "female", "city": "上海"},
    )
    member.refresh_from_db()
    assert (str(member.birthday), member.gender, member.city) == ("1990-05-03", "female", "上海")
    care = member_services.tag_create(merchant=merchant, name="allergic", is_care_flag=True, care_note="No nuts")
    member_services.member_tag_add(merchant=merchant, member=member, tag=care, source="manual")
    body = owner_client.get(url).content.decode()
    assert 'data-testid="member-care-flags"' in body and "No nuts" in body and "VIP" in body
    vip = Tag.objects.get(name="VIP")
    owner_client.post(
        reverse("dashboard:member_tag_edit", kwargs={"member_id": member.public_id}), {"remove": vip.public_id}
    )
    assert not MemberTag.objects.filter(member=member, tag=vip).exists()


def test_clerks_cannot_manage_tags(staff_client, merchant):
    client = staff_client(merchant, "clerk")
    assert client.get(reverse("dashboard:tag_list")).status_code == 403


def test_service_desk_shows_care_flags(staff_client, merchant, new_merchant):
    say(merchant, new_merchant.wechat.original_id, "o-desk-care", "hello")
    member = Member.objects.get(openid="o-desk-care")
    care = member_services.tag_create(
        merchant=merchant, name="handle with care", is_care_flag=True, care_note="Complained twice"
    )
    member_services.member_tag_add(merchant=merchant, member=member, tag=care, source="manual")
    conversation = Conversation.objects.for_merchant(merchant).get(member=member)
    client = staff_client(merchant, "service_agent")
    page = client.get(
        reverse("dashboard:service_desk_conversation", kwargs={"conversation_id": conversation.public_id})
    )
    body = page.content.decode()
    assert 'data-testid="desk-care-flags"' in body and "Complained twice" in body
