from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from weloop.core.errors import NotFound
from weloop.core.models import OutboxEvent
from weloop.members import selectors, services
from weloop.members.enums import Gender, TagKind, TagSource
from weloop.members.errors import InvalidMemberProfile, InvalidTag, TagInUse, TagNameTaken
from weloop.members.models import Member, MemberTag, Tag, TagChange

pytestmark = pytest.mark.django_db


def _member(merchant, openid: str) -> Member:
    return services.member_get_or_create(merchant=merchant, openid=openid, source="follow")[0]


@pytest.fixture
def members(merchant):
    return [_member(merchant, f"o-tag-{n}") for n in range(5)]


def test_a_tag_name_is_unique_per_merchant_and_cleaned(merchant, other_merchant):
    tag = services.tag_create(merchant=merchant, name="  size   38 ")
    assert tag.name == "size 38" and tag.kind == TagKind.MANUAL and tag.public_id.startswith("tag_")
    with pytest.raises(TagNameTaken):
        services.tag_create(merchant=merchant, name="size 38")
    assert services.tag_create(merchant=other_merchant, name="size 38").merchant_id == other_merchant.pk


@pytest.mark.parametrize("name", ["", "   ", "x" * 31])
def test_a_bad_tag_name_is_refused(merchant, name):
    with pytest.raises(InvalidTag):
        services.tag_create(merchant=merchant, name=name)
    assert not Tag.objects.exists()


def test_a_care_flag_is_its_own_kind(merchant):
    tag = services.tag_create(merchant=merchant, name="handle with care", is_care_flag=True, care_note="Allergic")
    assert tag.kind == TagKind.CARE and tag.is_care_flag
    tag = services.tag_update(merchant=merchant, tag_id=tag.public_id, is_care_flag=False)
    assert tag.kind == TagKind.MANUAL


def test_adding_and_removing_logs_every_change_and_counts(merchant, members):
    tag = services.tag_create(merchant=merchant, name="VIP")
    assert services.member_tag_add(merchant=merchant, member=members[0], tag=tag, source=TagSource.MANUAL)
    assert not services.member_tag_add(merchant=merchant, member=members[0], tag=tag)  # already there
    assert services.member_tag_add(merchant=merchant, member=members[1], tag=tag, source=TagSource.RULE)
    assert services.member_tag_remove(merchant=merchant, member=members[0], tag=tag)
    assert not services.member_tag_remove(merchant=merchant, member=members[0], tag=tag)

    changes = list(TagChange.objects.filter(tag=tag).values_list("member_id", "added"))
    assert changes == [(members[0].pk, True), (members[1].pk, True), (members[0].pk, False)]
    tag.refresh_from_db()
    assert tag.member_count == 1
    names = list(OutboxEvent.objects.filter(name__startswith="members.member_").values_list("name", flat=True))
    assert names.count("members.member_tagged") == 2 and names.count("members.member_untagged") == 1


def test_another_merchants_member_cannot_be_tagged(merchant, other_merchant, members):
    foreign = services.tag_create(merchant=other_merchant, name="VIP")
    with pytest.raises(InvalidTag):
        services.member_tag_add(merchant=merchant, member=members[0], tag=foreign)
    with pytest.raises(InvalidTag):
        services.member_tag_add(merchant=other_merchant, member=members[0], tag=foreign)
    assert not MemberTag.objects.exists()


def test_bulk_add_skips_members_who_have_it_and_other_merchants(merchant, other_merchant, members):
    tag = services.tag_create(merchant=merchant, name="size-38")
    stranger = _member(other_merchant, "o-stranger")
    services.member_tag_add(merchant=merchant, member=members[0], tag=tag)

    added = services.member_tags_add_many(
        merchant=merchant, tag=tag, member_ids=[m.pk for m in members] + [stranger.pk], source=TagSource.CAMPAIGN
    )

    assert added == 4
    assert set(MemberTag.objects.filter(tag=tag).values_list("member_id", flat=True)) == {m.pk for m in members}
    assert TagChange.objects.filter(tag=tag, added=True).count() == 5
    tag.refresh_from_db()
    assert tag.member_count == 5
    assert services.member_tags_add_many(merchant=merchant, tag=tag, member_ids=[members[1].pk], source="api") == 0


def test_deleting_a_tag_in_use_needs_force(merchant, members):
    tag = services.tag_create(merchant=merchant, name="VIP")
    services.member_tag_add(merchant=merchant, member=members[0], tag=tag)
    with pytest.raises(TagInUse):
        services.tag_delete(merchant=merchant, tag_id=tag.public_id)
    services.tag_delete(merchant=merchant, tag_id=tag.public_id, force=True)
    assert not Tag.objects.exists() and not MemberTag.objects.exists()
    with pytest.raises(NotFound):
        services.tag_delete(merchant=merchant, tag_id=tag.public_id)


def test_care_flags_are_read_for_a_member(merchant, members):
    care = services.tag_create(merchant=merchant, name="handle with care", is_care_flag=True)
    plain = services.tag_create(merchant=merchant, name="VIP")
    for tag in (care, plain):
        services.member_tag_add(merchant=merchant, member=members[0], tag=tag)
    assert selectors.member_care_flags(merchant=merchant, member=members[0]) == [care]
    assert selectors.member_care_flags(merchant=merchant, member=members[1]) == []


def test_member_attributes(merchant, members):
    member = services.member_attributes_update(
        merchant=merchant, member=members[0], birthday=date(1990, 5, 17), gender=Gender.FEMALE, city=" 上海 "
    )
    member.refresh_from_db()
    assert (member.birthday, member.gender, member.city) == (date(1990, 5, 17), "female", "上海")
    with pytest.raises(InvalidMemberProfile):
        services.member_attributes_update(merchant=merchant, member=member, gender="robot")
    with pytest.raises(InvalidMemberProfile):
        services.member_attributes_update(merchant=merchant, member=member, birthday=date(2999, 1, 1))
    services.member_attributes_update(merchant=merchant, member=member, birthday=None)
    member.refresh_from_db()
    assert member.birthday is None and member.gender == "female"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_tag_count_once(merchant, members):
    tag = services.tag_create(merchant=merchant, name="VIP")
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def add() -> None:
        try:
            barrier.wait()
            results.append(services.member_tag_add(merchant=merchant, member=members[0], tag=tag))
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    tag.refresh_from_db()
    assert tag.member_count == 1
    assert TagChange.objects.filter(tag=tag).count() == 1
