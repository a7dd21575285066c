"""Bindings: first wins within the window, self-referral and loops refused, blocked referrers refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.members.models import Member
from weloop.referrals import services
from weloop.referrals.errors import (
    AlreadyBound,
    ReferralLoop,
    ReferralsDisabled,
    ReferrerNotInGoodStanding,
    SelfReferral,
    UnknownReferralCode,
)
from weloop.referrals.models import ReferralBinding

pytestmark = pytest.mark.django_db


def test_landing_twice_is_one_binding(merchant, make_member, bind):
    a, b = make_member(), make_member()
    first = bind(b, a)
    assert bind(b, a).pk == first.pk
    assert first.expires_at - first.bound_at == timedelta(days=30)
    assert ReferralBinding.objects.count() == 1


def test_first_binding_wins_within_the_window_then_a_new_one_may_start(merchant, make_member, bind):
    a, b, c = make_member(), make_member(), make_member()
    bind(c, a)
    with pytest.raises(AlreadyBound) as caught:
        bind(c, b)
    assert caught.value.code == "referrals.already_bound"
    with clock.travel(timedelta(days=31)):
        later = bind(c, b)
    assert later.seq == 2 and later.referrer.member == b


def test_self_referral_refused(merchant, make_member, bind):
    a = make_member()
    with pytest.raises(SelfReferral) as caught:
        bind(a, a)
    assert caught.value.code == "referrals.self_referral"


def test_same_unionid_is_the_same_person(merchant, make_member, bind):
    a, b = make_member(), make_member()
    Member.objects.filter(pk__in=[a.pk, b.pk]).update(unionid="u-same")
    a.refresh_from_db()
    b.refresh_from_db()
    with pytest.raises(SelfReferral):
        bind(b, a)


def test_direct_loop_refused(merchant, make_member, bind):
    a, b = make_member(), make_member()
    bind(b, a)  # a brought b
    # even after a's binding of b expired
    with clock.travel(timedelta(days=60)), pytest.raises(ReferralLoop) as caught:
        bind(a, b)
    assert caught.value.code == "referrals.loop"


def test_longer_cycle_refused(merchant, make_member, bind):
    a, b, c, d = (make_member() for _ in range(4))
    bind(b, a)
    bind(c, b)
    bind(d, c)
    with pytest.raises(ReferralLoop):
        bind(a, d)
    bind(a, make_member())  # someone outside the downline is fine


def test_blocked_referrer_and_unknown_code_refused(merchant, make_member, bind):
    a, b = make_member(), make_member()
    referrer = services.referrer_for_member(merchant=merchant, member=a)
    services.referrer_block(merchant=merchant, referrer=referrer, reason="spam")
    with pytest.raises(ReferrerNotInGoodStanding):
        bind(b, a)
    with pytest.raises(UnknownReferralCode):
        services.binding_create(merchant=merchant, member=b, code="NOPE")


def test_switched_off_programme_binds_nobody(merchant, make_member, bind):
    services.settings_update(
        merchant=merchant, enabled=False, level1_bps=500, level2_bps=100, attribution_days=30, freeze_days=7
    )
    with pytest.raises(ReferralsDisabled):
        bind(make_member(), make_member())


def test_another_merchants_code_is_unknown(merchant, make_member, other_new_merchant):
    a = make_member()
    code = services.referrer_for_member(merchant=merchant, member=a).code
    stranger = make_member(other_new_merchant.merchant)
    with pytest.raises(UnknownReferralCode):
        services.binding_create(merchant=other_new_merchant.merchant, member=stranger, code=code)


def test_referrer_code_is_stable(merchant, make_member):
    a = make_member()
    first = services.referrer_for_member(merchant=merchant, member=a)
    assert services.referrer_for_member(merchant=merchant, member=a).code == first.code
    assert len(first.code) == 8


class LocalQrApi:
    """WeChat's qrcode/create answered in-process: these tests are about the binding, not the protocol."""

    def qrcode_create(self, scene, *, permanent, expire_seconds=None):
        from weloop.wechat.client import QrCode as WechatQrCode

        return WechatQrCode(ticket=f"t-{scene}", url=f"http://weixin.qq.com/q/{scene}", expire_seconds=expire_seconds)


def test_following_through_a_referrers_wechat_qr_binds_the_follower(merchant, make_member):
    from weloop.members.services import member_follow
    from weloop.referrals.tests.fixtures import settle

    referrer_member = make_member()
    referrer = services.referrer_for_member(merchant=merchant, member=referrer_member)
    qr = services.referrer_wechat_qr(merchant=merchant, referrer=referrer, api=LocalQrApi())
    assert (qr.kind, qr.channel, qr.permanent) == ("channel", f"ref:{referrer.code}", False)
    # the same code is shown again until it nears its expiry
    assert services.referrer_wechat_qr(merchant=merchant, referrer=referrer, api=LocalQrApi()).pk == qr.pk
    with clock.travel(timedelta(days=28)):
        assert services.referrer_wechat_qr(merchant=merchant, referrer=referrer, api=LocalQrApi()).pk != qr.pk
    # when a new visitor follows the account through it
    follower = member_follow(merchant=merchant, openid="o-new-follower", scene=qr.scene_str)
    settle()
    binding = ReferralBinding.objects.get(member=follower)
    assert binding.referrer == referrer and binding.source == "qr"
    # the referrer following through their own code is refused quietly
    member_follow(merchant=merchant, openid=referrer_member.openid, scene=qr.scene_str)
    settle()
    assert not ReferralBinding.objects.filter(member=referrer_member).exists()
