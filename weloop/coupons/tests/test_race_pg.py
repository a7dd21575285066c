"""Races on real PostgreSQL with real threads: the budget is never exceeded, a code is redeemed
once at two counters, a member's limit holds, one coupon goes into one order."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.coupons import services
from weloop.coupons.models import Coupon, CouponHolding, CouponTemplate

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _outcome(fn):
    def run(i: int) -> str:
        try:
            fn(i)
            return "ok"
        except WeloopError as exc:
            return exc.code

    return run


def test_many_members_claiming_at_once_never_exceed_the_budget(merchant, make_template, make_member):
    template = make_template(budget=5)
    members = [make_member() for _ in range(12)]
    results = race(
        _outcome(
            lambda i: services.coupon_issue(merchant=merchant, template=template, member=members[i], channel="qr")
        ),
        12,
    )
    assert Counter(results) == Counter({"ok": 5, "coupons.budget_exhausted": 7}), results
    assert Coupon.objects.filter(template=template).count() == 5
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 5


def test_one_member_tapping_claim_many_times_gets_their_limit(merchant, make_template, member):
    template = make_template(per_member_limit=2, budget=100)
    results = race(
        _outcome(lambda i: services.coupon_issue(merchant=merchant, template=template, member=member, channel="claim")),
        8,
    )
    assert Counter(results) == Counter({"ok": 2, "coupons.limit_reached": 6}), results
    assert CouponHolding.objects.get(template=template, member=member).count == 2
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 2


def test_the_same_claim_link_tapped_at_once_gives_one_coupon(merchant, make_template, member):
    template = make_template(claimable=True, per_member_limit=5)
    race(
        _outcome(lambda i: services.coupon_claim(merchant=merchant, member=member, claim_token=template.claim_token)), 6
    )
    assert Coupon.objects.filter(template=template, member=member).count() == 1


def test_two_counters_scanning_one_code_redeem_it_once(merchant, template, member):
    coupon = services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    results = race(
        _outcome(
            lambda i: services.coupon_redeem_offline(
                merchant=merchant, code=coupon.code, amount_fen=3000, store_id="", actor=f"counter-{i}"
            )
        ),
        8,
    )
    assert Counter(results) == Counter({"ok": 1, "coupons.already_used": 7}), results
    coupon.refresh_from_db()
    assert coupon.status == "used" and coupon.used_amount_fen == 500
