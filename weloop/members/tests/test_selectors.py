from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.members import selectors, services
from weloop.members.enums import MemberSource, QrCodeKind, TouchKind
from weloop.members.tests.factories import FakeQrApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(merchant, make_store):
    """Alice followed via the Futian code, Bob via nothing and unfollowed, Carol opened an H5 page."""
    futian, nanshan = make_store(merchant, name="Futian"), make_store(merchant, name="Nanshan")
    code = services.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=futian, api=FakeQrApi())
    alice = services.member_follow(merchant=merchant, openid="o-alice", scene=code.scene_str)
    services.member_update_profile(merchant=merchant, openid="o-alice", nickname="Alice Wang", phone="13800000001")
    bob = services.member_follow(merchant=merchant, openid="o-bob")
    services.member_unfollow(merchant=merchant, openid="o-bob")
    carol = services.member_record_oauth(merchant=merchant, openid="o-carol", nickname="Carol")
    return {"futian": futian, "nanshan": nanshan, "code": code, "alice": alice, "bob": bob, "carol": carol}


def _openids(members) -> list[str]:
    return [m.openid for m in members]


def test_member_list_is_newest_first(merchant, population):
    assert _openids(selectors.member_list(merchant=merchant)) == ["o-carol", "o-bob", "o-alice"]


def test_member_list_filters(merchant, population):
    assert _openids(selectors.member_list(merchant=merchant, following=True)) == ["o-alice"]
    assert _openids(selectors.member_list(merchant=merchant, following=False)) == ["o-carol", "o-bob"]
    futian, nanshan = population["futian"].public_id, population["nanshan"].public_id
    assert _openids(selectors.member_list(merchant=merchant, source_store_id=futian)) == ["o-alice"]
    assert _openids(selectors.member_list(merchant=merchant, source_store_id=nanshan)) == []
    assert _openids(selectors.member_list(merchant=merchant, q="wang")) == ["o-alice"]
    assert _openids(selectors.member_list(merchant=merchant, q="0001")) == ["o-alice"]
    assert _openids(selectors.member_list(merchant=merchant, q="o-bob")) == ["o-bob"]
    assert _openids(selectors.member_list(merchant=merchant, q="o-b")) == []  # openids match whole only


def test_member_list_shows_no_other_merchants_members(merchant, other_merchant, population):
    services.member_follow(merchant=other_merchant, openid="o-rival")
    assert "o-rival" not in _openids(selectors.member_list(merchant=merchant))
    with pytest.raises(NotFound):
        selectors.member_by_openid(merchant=merchant, openid="o-rival")
    rival = selectors.member_by_openid(merchant=other_merchant, openid="o-rival")
    with pytest.raises(NotFound):
        selectors.member_get(merchant=merchant, public_id=rival.public_id)


def test_member_timeline_is_newest_first(merchant):
    start = clock.now()
    services.member_follow(merchant=merchant, openid="o-1", at=start)
    services.member_touch(merchant=merchant, openid="o-1", kind=TouchKind.MESSAGE, at=start + timedelta(minutes=2))
    services.member_touch(merchant=merchant, openid="o-1", kind=TouchKind.MENU_VIEW, at=start + timedelta(minutes=1))
    member = selectors.member_by_openid(merchant=merchant, openid="o-1")
    kinds = [t.kind for t in selectors.member_timeline(merchant=merchant, member=member)]
    assert kinds == [TouchKind.MESSAGE, TouchKind.MENU_VIEW, TouchKind.FOLLOW]


def test_qr_code_list_has_counts_and_filters(merchant, population):
    channel = services.qr_code_create(merchant=merchant, kind=QrCodeKind.CHANNEL, channel="flyer", api=FakeQrApi())
    codes = list(selectors.qr_code_list(merchant=merchant))
    assert [c.public_id for c in codes] == [channel.public_id, population["code"].public_id]
    assert (codes[1].scan_count, codes[1].follow_count) == (1, 1)
    by_store = selectors.qr_code_list(merchant=merchant, store_id=population["futian"].public_id)
    assert [c.kind for c in by_store] == [QrCodeKind.STORE]
    assert [c.kind for c in selectors.qr_code_list(merchant=merchant, kind=QrCodeKind.CHANNEL)] == ["channel"]


def test_qr_code_for_scene_is_per_merchant(merchant, other_merchant, population):
    scene = population["code"].scene_str
    assert selectors.qr_code_for_scene(merchant=merchant, scene=scene) == population["code"]
    assert selectors.qr_code_for_scene(merchant=other_merchant, scene=scene) is None
    assert selectors.qr_code_for_scene(merchant=merchant, scene="") is None


def test_first_touch_source_survives_later_touches(merchant, population):
    services.member_follow(merchant=merchant, openid="o-carol")
    carol = selectors.member_by_openid(merchant=merchant, openid="o-carol")
    assert carol.first_source == MemberSource.OAUTH and carol.is_following
