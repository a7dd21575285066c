from __future__ import annotations

import pytest

from weloop.core.errors import NotFound
from weloop.coupons import services
from weloop.coupons.enums import CouponStatus
from weloop.coupons.errors import (
    CouponBudgetExhausted,
    CouponLimitReached,
    InvalidTemplate,
    TemplateNotIssuable,
)
from weloop.coupons.models import Coupon, CouponTemplate
from weloop.coupons.services import TemplateInput

pytestmark = pytest.mark.django_db


def test_coupon_issue_gives_a_short_unique_code(merchant, template, member):
    coupon = services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    assert coupon.status == CouponStatus.AVAILABLE
    assert len(coupon.code) == 8 and coupon.public_id.startswith("cpn_")
    template.refresh_from_db()
    assert template.issued_count == 1


def test_coupon_issue_same_source_ref_is_idempotent(merchant, make_template, member):
    template = make_template(per_member_limit=5)
    first = services.coupon_issue(
        merchant=merchant, template=template, member=member, channel="campaign", source_ref="c1"
    )
    again = services.coupon_issue(
        merchant=merchant, template=template, member=member, channel="campaign", source_ref="c1"
    )
    assert first.pk == again.pk
    assert Coupon.objects.count() == 1


def test_coupon_issue_refuses_beyond_the_per_member_limit(merchant, make_template, member):
    template = make_template(per_member_limit=2)
    services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    with pytest.raises(CouponLimitReached):
        services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    template.refresh_from_db()
    assert template.issued_count == 2


def test_coupon_issue_refuses_beyond_the_budget(merchant, make_template, make_member):
    template = make_template(budget=2)
    for _ in range(2):
        services.coupon_issue(merchant=merchant, template=template, member=make_member(), channel="api")
    with pytest.raises(CouponBudgetExhausted):
        services.coupon_issue(merchant=merchant, template=template, member=make_member(), channel="api")
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 2


def test_coupon_issue_refuses_a_paused_template(merchant, template, member):
    services.template_set_status(merchant=merchant, template_id=template.public_id, status="paused", actor="t")
    with pytest.raises(TemplateNotIssuable):
        services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")


def test_coupon_issue_refuses_another_merchants_member(merchant, template, make_member, other_new_merchant):
    stranger = make_member(owner=other_new_merchant.merchant)
    with pytest.raises(NotFound):
        services.coupon_issue(merchant=merchant, template=template, member=stranger, channel="api")


def test_coupons_issue_many_counts_refusals(merchant, make_template, make_member):
    template = make_template(budget=3)
    members = [make_member() for _ in range(5)]
    ids = [m.pk for m in members]
    result = services.coupons_issue_many(
        merchant=merchant, template=template, member_ids=ids, channel="campaign", source_ref="cmp_1"
    )
    assert (result.issued, result.refused_budget, result.refused_limit) == (3, 2, 0)
    again = services.coupons_issue_many(
        merchant=merchant, template=template, member_ids=ids, channel="campaign", source_ref="cmp_1"
    )
    assert (again.issued, again.refused_budget) == (3, 2)
    assert Coupon.objects.count() == 3


def test_coupon_claim_twice_gives_one_coupon(merchant, make_template, member):
    template = make_template(claimable=True, per_member_limit=3)
    first = services.coupon_claim(merchant=merchant, member=member, claim_token=template.claim_token)
    second = services.coupon_claim(merchant=merchant, member=member, claim_token=template.claim_token)
    assert not first.already_claimed and second.already_claimed
    assert first.coupon.pk == second.coupon.pk


def test_coupon_claim_refuses_a_template_that_is_not_claimable(merchant, template, member):
    with pytest.raises(NotFound):
        services.coupon_claim(merchant=merchant, member=member, claim_token=template.claim_token)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "threshold", "amount_fen": 500, "threshold_fen": 400},
        {"kind": "percent_off", "percent_bps": 0},
        {"kind": "free_item"},
        {"kind": "amount_off", "amount_fen": 0},
        {"kind": "amount_off", "amount_fen": 100, "valid_days": None},
        {"kind": "amount_off", "amount_fen": -1},
    ],
)
def test_template_create_refuses_bad_input(merchant, fields):
    data = {"name": "x", "valid_days": 10, **fields}
    with pytest.raises((InvalidTemplate, Exception)) as exc:
        services.template_create(merchant=merchant, data=TemplateInput(**data), actor="t")
    assert getattr(exc.value, "code", "").startswith(("coupons.", "money."))


def test_template_update_refuses_a_budget_below_issued(merchant, make_template, member):
    template = make_template(budget=5)
    services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    with pytest.raises(InvalidTemplate):
        services.template_update(
            merchant=merchant,
            template_id=template.public_id,
            data=TemplateInput(name="x", kind="amount_off", amount_fen=100, valid_days=3, budget=0),
            actor="t",
        )


def test_follow_issues_flagged_templates_once(merchant, make_template):
    from weloop.core.events import deliver_due
    from weloop.members.services import member_follow

    make_template(on_follow=True)
    member = member_follow(merchant=merchant, openid="o-follow-1")
    deliver_due()
    member_follow(merchant=merchant, openid="o-follow-1")
    deliver_due()
    assert Coupon.objects.filter(member=member, channel="follow").count() == 1


def test_birthday_issue_once_a_year(merchant, make_template, member):
    from datetime import date

    member.birthday = date(1990, 5, 17)
    member.save(update_fields=["birthday"])
    make_template(is_birthday=True)
    assert services.coupons_issue_birthdays(merchant=merchant, today=date(2026, 5, 17)) == 1
    assert services.coupons_issue_birthdays(merchant=merchant, today=date(2026, 5, 17)) == 1  # same one again
    assert Coupon.objects.filter(member=member, channel="birthday").count() == 1
    assert services.coupons_issue_birthdays(merchant=merchant, today=date(2026, 5, 18)) == 0
