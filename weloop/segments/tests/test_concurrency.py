"""On real PostgreSQL: a tag change that commits after a newer one (smaller id, later commit) is counted."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from weloop.members import services as members
from weloop.members.models import Member, MemberTag, TagChange
from weloop.segments import bitmaps
from weloop.segments.selectors import expression_members

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_change_committed_late_with_a_smaller_id_reaches_the_count(merchant):
    tag = members.tag_create(merchant=merchant, name="vip")
    people = []
    for n in range(3):
        m = members.member_get_or_create(merchant=merchant, openid=f"o-late-{n}", source="follow")[0]
        Member.objects.filter(pk=m.pk).update(is_following=True)
        people.append(m)
    bitmaps.clear_caches()
    assert len(expression_members(merchant=merchant, expression="tag:vip")) == 0

    written, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                members.member_tag_add(merchant=merchant, member=people[0], tag=tag, source="api")
                written.set()  # its TagChange id is taken, not yet visible
                release.wait(10)
        finally:
            connection.close()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert written.wait(10)
    # a newer change commits first (a larger id) and is read. Written directly: member_tag_add would
    # queue on the tag row the slow writer holds (which is how it usually orders commits; a writer
    # that reaches that row first with a larger id still commits first, as here).
    MemberTag.objects.create(merchant=merchant, member=people[1], tag=tag, source="api")
    TagChange.objects.create(merchant=merchant, tag=tag, member_id=people[1].pk, added=True)
    assert set(expression_members(merchant=merchant, expression="tag:vip")) == {people[1].pk}
    # when: the older change commits
    release.set()
    slow.join(10)
    # then: the next count has it, though its id is below what the reader has already seen
    assert set(expression_members(merchant=merchant, expression="tag:vip")) == {people[0].pk, people[1].pk}
