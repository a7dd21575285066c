from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.models import OutboxEvent
from weloop.members import services
from weloop.members.enums import MemberSource, QrCodeKind, TouchKind
from weloop.members.errors import InvalidMemberProfile, InvalidQrCode, WechatNotConnected
from weloop.members.models import Member, MemberTouch, QrCode
from weloop.members.tests.factories import FakeQrApi
from weloop.tenants.models import WechatAccount
from weloop.wechat.errors import LimitExceeded, WeChatApiError

pytestmark = pytest.mark.django_db


@pytest.fixture
def qr_for(merchant):
    def make(**kwargs) -> QrCode:
        kwargs.setdefault("kind", QrCodeKind.STORE)
        return services.qr_code_create(merchant=merchant, api=FakeQrApi(), **kwargs)

    return make


def _events(name: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(name=name).order_by("id"))


# --- member_get_or_create -----------------------------------------------------------------------


def test_member_get_or_create_makes_one_member_per_openid(merchant, other_merchant):
    # when the same openid shows up twice for one merchant and once for another
    first, created_first = services.member_get_or_create(merchant=merchant, openid="o-1", source=MemberSource.OAUTH)
    again, created_again = services.member_get_or_create(merchant=merchant, openid="o-1", source=MemberSource.FOLLOW)
    other, _ = services.member_get_or_create(merchant=other_merchant, openid="o-1", source=MemberSource.SCAN)
    # then one member per merchant, the first touch kept, one creation event each
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk and again.first_source == MemberSource.OAUTH
    assert other.pk != first.pk
    assert first.public_id.startswith("mb_")
    assert [e.payload["member_id"] for e in _events("members.member_created")] == [first.public_id, other.public_id]


@pytest.mark.parametrize("openid", ["", "   ", "x" * 65])
def test_member_get_or_create_refuses_a_bad_openid(merchant, openid):
    with pytest.raises(InvalidMemberProfile):
        services.member_get_or_create(merchant=merchant, openid=openid, source=MemberSource.FOLLOW)
    assert not Member.objects.exists()


def test_member_get_or_create_refuses_another_merchants_store(merchant, other_merchant, make_store):
    foreign_store = make_store(other_merchant)
    with pytest.raises(NotFound):
        services.member_get_or_create(merchant=merchant, openid="o-1", source=MemberSource.SCAN, store=foreign_store)


# --- follow / unfollow --------------------------------------------------------------------------


def test_follow_through_a_store_qr_attributes_the_member_to_the_store(merchant, store, qr_for):
    # given a store QR code
    code = qr_for(store=store)
    # when a new user follows by scanning it
    member = services.member_follow(merchant=merchant, openid="o-new", scene=code.scene_str)
    # then the member's first touch is that code's store, and the code counts a scan and a follow
    member.refresh_from_db()
    code.refresh_from_db()
    assert member.is_following and member.followed_at is not None
    assert member.first_source == MemberSource.FOLLOW
    assert (member.first_qr_code, member.first_store) == (code, store)
    assert (code.scan_count, code.follow_count) == (1, 1)
    touch = MemberTouch.objects.get(member=member)
    assert (touch.kind, touch.store, touch.qr_code) == (TouchKind.FOLLOW, store, code)
    followed = _events("members.member_followed")
    assert len(followed) == 1
    assert followed[0].payload["store_id"] == store.public_id and followed[0].payload["returning"] is False


def test_unfollow_and_follow_again_keeps_the_history_and_the_first_touch(merchant, store, qr_for):
    code = qr_for(store=store)
    t0 = clock.now().replace(microsecond=0)
    # given a member who followed through a store code, then unfollowed
    services.member_follow(merchant=merchant, openid="o-1", scene=code.scene_str, at=t0)
    services.member_unfollow(merchant=merchant, openid="o-1", at=t0 + timedelta(days=1))
    unfollowed = Member.objects.get(openid="o-1")
    assert not unfollowed.is_following and unfollowed.unfollowed_at == t0 + timedelta(days=1)
    # when they follow again without a code
    member = services.member_follow(merchant=merchant, openid="o-1", at=t0 + timedelta(days=2))
    # then they follow, their first touch is still the store, and the timeline has all three
    member.refresh_from_db()
    assert member.is_following and member.followed_at == t0 + timedelta(days=2)
    assert member.first_store == store
    kinds = list(MemberTouch.objects.filter(member=member).order_by("-at").values_list("kind", flat=True))
    assert kinds == [TouchKind.FOLLOW, TouchKind.UNFOLLOW, TouchKind.FOLLOW]
    assert _events("members.member_followed")[-1].payload["returning"] is True
    assert len(_events("members.member_unfollowed")) == 1
    code.refresh_from_db()
    assert code.follow_count == 1


def test_replaying_the_same_follow_or_unfollow_changes_nothing(merchant, store, qr_for):
    code = qr_for(store=store)
    at = clock.now()
    services.member_follow(merchant=merchant, openid="o-1", scene=code.scene_str, at=at)
    services.member_follow(merchant=merchant, openid="o-1", scene=code.scene_str, at=at)
    services.member_unfollow(merchant=merchant, openid="o-1", at=at + timedelta(minutes=1))
    services.member_unfollow(merchant=merchant, openid="o-1", at=at + timedelta(minutes=1))
    assert MemberTouch.objects.count() == 2
    code.refresh_from_db()
    assert (code.scan_count, code.follow_count) == (1, 1)
    assert len(_events("members.member_followed")) == 1


def test_a_late_follow_does_not_undo_a_newer_unfollow(merchant):
    at = clock.now()
    # given an unfollow, then a follow that happened before it but arrives after it
    services.member_unfollow(merchant=merchant, openid="o-1", at=at)
    services.member_follow(merchant=merchant, openid="o-1", at=at - timedelta(seconds=30))
    # then the member stays unfollowed, and both touches are in the timeline
    member = Member.objects.get(openid="o-1")
    assert not member.is_following
    assert MemberTouch.objects.filter(member=member).count() == 2


def test_unfollow_of_a_stranger_creates_an_unfollowed_member(merchant):
    member = services.member_unfollow(merchant=merchant, openid="o-ghost")
    assert member.first_source == MemberSource.FOLLOW and not member.is_following
    assert member.unfollowed_at is not None


# --- scans and touches --------------------------------------------------------------------------


def test_scan_creates_a_member_attributed_to_a_guide_and_counts_the_scan(merchant, make_staff, qr_for):
    guide = make_staff(merchant, "clerk")
    code = qr_for(kind=QrCodeKind.GUIDE, staff=guide)
    member = services.member_record_scan(merchant=merchant, openid="o-1", scene=code.scene_str)
    services.member_record_scan(merchant=merchant, openid="o-1", scene=code.scene_str)
    member.refresh_from_db()
    code.refresh_from_db()
    assert (member.first_source, member.first_staff, member.is_following) == (MemberSource.SCAN, guide, True)
    assert (code.scan_count, code.follow_count) == (2, 0)
    assert MemberTouch.objects.filter(member=member, kind=TouchKind.SCAN, staff=guide).count() == 2


def test_scan_of_an_unknown_scene_is_recorded_without_attribution(merchant):
    member = services.member_record_scan(merchant=merchant, openid="o-1", scene="12345")
    touch = MemberTouch.objects.get(member=member)
    assert touch.qr_code is None and touch.detail == {"scene": "12345"}


def test_touch_keeps_invalid_coordinates_only_in_detail(merchant):
    touch = services.member_touch(
        merchant=merchant, openid="o-1", kind=TouchKind.LOCATION, latitude="91.5", longitude="114.1"
    )
    assert touch.latitude is None and touch.longitude is None
    assert touch.detail["invalid_coordinates"] == ["91.5", "114.1"]
    good = services.member_touch(
        merchant=merchant, openid="o-1", kind=TouchKind.LOCATION, latitude=22.5431, longitude=114.0579
    )
    good.refresh_from_db()
    assert str(good.latitude) == "22.543100" and str(good.longitude) == "114.057900"


def test_touch_refuses_an_unknown_kind(merchant):
    with pytest.raises(InvalidMemberProfile):
        services.member_touch(merchant=merchant, openid="o-1", kind="teleport")


def test_oauth_creates_the_member_with_its_profile(merchant):
    member = services.member_record_oauth(
        merchant=merchant, openid="o-1", nickname="小明", avatar_url="https://example.com/a.png", unionid="u-1"
    )
    assert (member.first_source, member.nickname, member.unionid) == (MemberSource.OAUTH, "小明", "u-1")
    assert member.touches.get().kind == TouchKind.OAUTH


# --- profile ------------------------------------------------------------------------------------


def test_update_profile_changes_given_fields_only(merchant):
    services.member_get_or_create(merchant=merchant, openid="o-1", source=MemberSource.FOLLOW)
    services.member_update_profile(merchant=merchant, openid="o-1", nickname="Alice", phone="+86 138-0000-0000")
    member = services.member_update_profile(merchant=merchant, openid="o-1", avatar_url="https://x.cn/a.png")
    assert (member.nickname, member.phone, member.avatar_url) == ("Alice", "+86 138-0000-0000", "https://x.cn/a.png")


@pytest.mark.parametrize(
    ("field", "value"), [("phone", "call me"), ("avatar_url", "javascript:alert(1)"), ("unionid", "u" * 65)]
)
def test_update_profile_refuses_bad_values(merchant, field, value):
    services.member_get_or_create(merchant=merchant, openid="o-1", source=MemberSource.FOLLOW)
    with pytest.raises(InvalidMemberProfile) as caught:
        services.member_update_profile(merchant=merchant, openid="o-1", **{field: value})
    assert caught.value.extra["field"] == field


def test_update_profile_of_another_merchants_member_is_not_found(merchant, other_merchant):
    services.member_get_or_create(merchant=other_merchant, openid="o-1", source=MemberSource.FOLLOW)
    with pytest.raises(NotFound):
        services.member_update_profile(merchant=merchant, openid="o-1", nickname="x")


# --- QR codes -----------------------------------------------------------------------------------


def test_qr_code_create_stores_wechats_ticket_and_uses_the_public_id_as_scene(merchant, store):
    api = FakeQrApi()
    code = services.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store, api=api)
    assert api.calls == [(code.public_id, True, None)]
    assert code.scene_str == code.public_id and code.public_id.startswith("qr_")
    assert code.ticket == f"ticket-{code.public_id}" and code.expire_at is None and code.permanent


def test_temporary_qr_code_gets_its_expiry(merchant):
    now = clock.now()
    with clock.frozen_at(now):
        code = services.qr_code_create(
            merchant=merchant,
            kind=QrCodeKind.CHANNEL,
            channel="flyer",
            permanent=False,
            expire_seconds=600,
            api=FakeQrApi(),
        )
    assert code.expire_at == now + timedelta(seconds=600) and not code.permanent


@pytest.mark.parametrize(
    ("kind", "kwargs", "field"),
    [
        (QrCodeKind.STORE, {}, "store_id"),
        (QrCodeKind.GUIDE, {}, "staff_id"),
        (QrCodeKind.CHANNEL, {"channel": "  "}, "channel"),
        ("poster", {"channel": "x"}, "kind"),
        (QrCodeKind.CHANNEL, {"channel": "c" * 65}, "channel"),
    ],
)
def test_qr_code_create_refuses_incomplete_targets(merchant, kind, kwargs, field):
    api = FakeQrApi()
    with pytest.raises(InvalidQrCode) as caught:
        services.qr_code_create(merchant=merchant, kind=kind, api=api, **kwargs)
    assert caught.value.extra["field"] == field
    assert api.calls == [] and not QrCode.objects.exists()


def test_qr_code_for_another_merchants_store_is_not_found(merchant, other_merchant, make_store):
    with pytest.raises(NotFound):
        services.qr_code_create(
            merchant=merchant, kind=QrCodeKind.STORE, store=make_store(other_merchant), api=FakeQrApi()
        )


def test_qr_code_create_keeps_nothing_when_wechat_refuses(merchant, store):
    refusal = WeChatApiError(errcode=45009, errmsg="reach max api daily quota limit", api="/cgi-bin/qrcode/create")
    with pytest.raises(WeChatApiError) as caught:
        services.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store, api=FakeQrApi(refusal))
    assert caught.value.extra["errcode"] == 45009 and caught.value.retryable
    assert not QrCode.objects.exists()


def test_qr_code_create_checks_wechats_limits_with_the_real_client(merchant, store):
    # the real client refuses, before any HTTP call, an expiry past 30 days or on a permanent code
    with pytest.raises(LimitExceeded):
        services.qr_code_create(
            merchant=merchant, kind=QrCodeKind.CHANNEL, channel="x", permanent=False, expire_seconds=2_592_001
        )
    with pytest.raises(LimitExceeded):
        services.qr_code_create(merchant=merchant, kind=QrCodeKind.CHANNEL, channel="x", expire_seconds=60)
    assert not QrCode.objects.exists()


def test_qr_code_create_needs_a_wechat_account(merchant, store):
    WechatAccount.objects.filter(merchant=merchant).delete()
    with pytest.raises(WechatNotConnected):
        services.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store)


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_touches_make_exactly_one_member(merchant):
    # given 8 threads that each see the same new openid at the same moment
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def touch(n: int) -> None:
        try:
            barrier.wait()
            services.member_touch(merchant=merchant, openid="o-race", kind=TouchKind.MESSAGE, detail={"n": n})
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=touch, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one member, eight touches, one creation event
    assert errors == []
    assert Member.objects.filter(openid="o-race").count() == 1
    assert MemberTouch.objects.filter(member__openid="o-race").count() == 8
    assert OutboxEvent.objects.filter(name="members.member_created").count() == 1
