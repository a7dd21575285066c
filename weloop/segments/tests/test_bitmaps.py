"""Bitmap results against a plain ORM query, including after tags change, and freshness mechanics."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core import clock
from weloop.members import services as members
from weloop.members.models import Member, MemberTag, TagChange
from weloop.segments import bitmaps
from weloop.segments import expressions as ex
from weloop.segments.errors import InvalidExpression, UnknownTag
from weloop.segments.models import TagBitmapSnapshot
from weloop.segments.selectors import expression_members

pytestmark = pytest.mark.django_db

TAGS = ["size-38", "vip", "new mum", "咖啡"]


def _orm_q(node, merchant) -> Q:
    """The reference: the same expression as a plain ORM filter."""
    if isinstance(node, ex.Term):
        k, v = node.kind, node.value
        if k == "tag":
            return Q(pk__in=MemberTag.objects.filter(merchant=merchant, tag__name=v).values("member_id"))
        if k == "following":
            return Q(is_following=True)
        if k == "source":
            return Q(first_source=v) if v in ex.SOURCES else Q(first_qr_code__kind=v)
        if k == "gender":
            return Q(gender=v)
        if k == "city":
            return Q(city=v)
        if k == "birthday_month":
            return Q(birthday__month=int(v))
        if k == "joined_within":
            return Q(created_at__gte=clock.now() - timedelta(days=int(v[:-1])))
        if k == "first_store":
            return Q(first_store__public_id=v)
        raise AssertionError(k)
    if isinstance(node, ex.Not):
        return ~_orm_q(node.arg, merchant)
    q = _orm_q(node.args[0], merchant)
    for a in node.args[1:]:
        q = (q & _orm_q(a, merchant)) if isinstance(node, ex.And) else (q | _orm_q(a, merchant))
    return q


def _orm_members(merchant, text: str) -> set[int]:
    node = ex.parse(text)
    if not ex.mentions_following(node):
        node = ex.And((node, ex.Term("following")))
    return set(Member.objects.for_merchant(merchant).filter(_orm_q(node, merchant)).values_list("pk", flat=True))


@pytest.fixture
def world(merchant, other_merchant):
    rnd = random.Random(6)
    tags = {name: members.tag_create(merchant=merchant, name=name) for name in TAGS}
    # Another merchant's tags and members must never leak in.
    other_tag = members.tag_create(merchant=other_merchant, name="vip")
    people = []
    for n in range(40):
        m = members.member_get_or_create(merchant=merchant, openid=f"o-seg-{n}", source=rnd.choice(ex.SOURCES))[0]
        Member.objects.filter(pk=m.pk).update(
            is_following=rnd.random() < 0.7,
            gender=rnd.choice(ex.GENDERS),
            city=rnd.choice(["上海", "北京", ""]),
            birthday=date(1990, rnd.randint(1, 12), 1) if rnd.random() < 0.6 else None,
            created_at=clock.now() - timedelta(days=rnd.randint(0, 90)),
        )
        people.append(m)
        for tag in tags.values():
            if rnd.random() < 0.4:
                members.member_tag_add(merchant=merchant, member=m, tag=tag, source="manual")
    stranger = members.member_get_or_create(merchant=other_merchant, openid="o-seg-x", source="follow")[0]
    Member.objects.filter(pk=stranger.pk).update(is_following=True)
    members.member_tag_add(merchant=other_merchant, member=stranger, tag=other_tag, source="manual")
    return {"merchant": merchant, "tags": tags, "people": people}


_term_texts = st.sampled_from(
    [f'tag:"{t}"' for t in TAGS]
    + [
        "following",
        "source:scan",
        "source:follow",
        "gender:female",
        'city:"上海"',
        "birthday_month:5",
        "joined_within:30d",
    ]
)
_texts = st.recursive(
    _term_texts,
    lambda kids: st.one_of(
        kids.map(lambda k: f"NOT {k}"),
        st.tuples(kids, kids).map(lambda ab: f"({ab[0]} AND {ab[1]})"),
        st.tuples(kids, kids).map(lambda ab: f"({ab[0]} OR {ab[1]})"),
    ),
    max_leaves=6,
)
_hyp = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_hyp
@given(text=_texts, flips=st.lists(st.tuples(st.integers(0, 39), st.sampled_from(TAGS)), max_size=4))
def test_bitmaps_equal_the_orm_for_random_expressions_as_tags_change(world, text, flips):
    merchant = world["merchant"]
    # when: some tags flip (added or removed) between evaluations
    for index, name in flips:
        member, tag = world["people"][index], world["tags"][name]
        if not members.member_tag_remove(merchant=merchant, member=member, tag=tag):
            members.member_tag_add(merchant=merchant, member=member, tag=tag, source="api")
    # then: the bitmap engine (warm caches, refreshed from the log) agrees with the ORM
    assert set(expression_members(merchant=merchant, expression=text)) == _orm_members(merchant, text)


def test_a_tag_bitmap_picks_up_changes_from_the_log_without_rereading_member_tags(world, django_assert_num_queries):
    merchant, tag, person = world["merchant"], world["tags"]["vip"], world["people"][0]
    members.member_tag_remove(merchant=merchant, member=person, tag=tag)
    assert person.pk not in bitmaps.tag_bitmap(tag)
    members.member_tag_add(merchant=merchant, member=person, tag=tag, source="manual")
    # one count of the unsettled range + one read of new rows; no MemberTag scan
    with django_assert_num_queries(2):
        assert person.pk in bitmaps.tag_bitmap(tag)


def test_a_process_start_loads_the_snapshot_and_replays_only_the_log(world, monkeypatch):
    merchant, tag = world["merchant"], world["tags"]["vip"]
    expected = set(MemberTag.objects.filter(tag=tag).values_list("member_id", flat=True))
    assert bitmaps.snapshot_rebuild(tag=tag) == len(expected)
    snap = TagBitmapSnapshot.objects.get(tag=tag)
    person = next(p for p in world["people"] if p.pk not in expected)
    members.member_tag_add(merchant=merchant, member=person, tag=tag, source="manual")
    bitmaps.clear_caches()  # a new process
    # MemberTag is never read again: corrupt it to prove it
    MemberTag.objects.filter(tag=tag).exclude(member=person).delete()
    assert set(bitmaps.tag_bitmap(tag)) == expected | {person.pk}
    assert snap.last_change_id <= TagChange.objects.filter(tag=tag).order_by("-id").first().id


def test_a_late_commit_with_a_smaller_id_is_still_applied(world):
    merchant, tag = world["merchant"], world["tags"]["vip"]
    outsiders = [p for p in world["people"] if not MemberTag.objects.filter(tag=tag, member=p).exists()]
    late, early = outsiders[0], outsiders[1]
    bitmaps.tag_bitmap(tag)
    # given: a change row (id N) the reader has not seen, and a newer one (id N+1) it has
    members.member_tag_add(merchant=merchant, member=late, tag=tag, source="manual")
    members.member_tag_add(merchant=merchant, member=early, tag=tag, source="manual")
    late_row = TagChange.objects.filter(tag=tag, member_id=late.pk).order_by("-id").first()
    row_values = {f.attname: getattr(late_row, f.attname) for f in TagChange._meta.concrete_fields}
    late_row.delete()  # "not committed yet"
    bits = bitmaps.tag_bitmap(tag)
    assert early.pk in bits and late.pk not in bits
    # when: it commits (appears with its smaller id)
    TagChange.objects.create(**row_values)
    # then: the next read sees it
    assert late.pk in bitmaps.tag_bitmap(tag)


def test_settled_changes_are_folded_into_the_persisted_snapshot(world, monkeypatch):
    merchant, tag = world["merchant"], world["tags"]["vip"]
    monkeypatch.setattr(bitmaps, "SNAPSHOT_EVERY", 1)
    monkeypatch.setattr(bitmaps, "SETTLE", timedelta(seconds=-60))  # everything is settled at once
    members.member_tag_remove(merchant=merchant, member=world["people"][1], tag=tag)
    members.member_tag_add(merchant=merchant, member=world["people"][1], tag=tag, source="manual")
    bitmaps.tag_bitmap(tag)
    snap = TagBitmapSnapshot.objects.get(tag=tag)
    assert snap.last_change_id == TagChange.objects.filter(tag=tag).order_by("-id").first().id
    assert snap.member_count == MemberTag.objects.filter(tag=tag).count()


def test_unknown_tag_and_unknown_store_are_reported(world):
    merchant = world["merchant"]
    with pytest.raises(UnknownTag) as err:
        expression_members(merchant=merchant, expression='following AND tag:"nope"')
    assert err.value.code == "segments.unknown_tag" and err.value.extra == {"tag": "nope", "position": 14}
    with pytest.raises(InvalidExpression):
        expression_members(merchant=merchant, expression="first_store:st_nothere")


def test_first_store_term_matches_the_first_touch_store(world, store):
    merchant, person = world["merchant"], world["people"][2]
    Member.objects.filter(pk=person.pk).update(first_store=store, is_following=True)
    assert set(expression_members(merchant=merchant, expression=f"first_store:{store.public_id}")) == {person.pk}


def test_not_is_relative_to_the_merchants_members(world, other_merchant):
    merchant = world["merchant"]
    everyone = set(Member.objects.for_merchant(merchant).values_list("pk", flat=True))
    got = set(expression_members(merchant=merchant, expression='NOT tag:"vip" OR tag:"vip"'))
    following = set(Member.objects.for_merchant(merchant).filter(is_following=True).values_list("pk", flat=True))
    assert got == following and got <= everyone
    unfollowed = set(expression_members(merchant=merchant, expression="NOT following"))
    assert unfollowed == everyone - following
