"""Auto-tag rules, one test per kind through the real events, plus apply-now and idempotency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due, publish
from weloop.members import services as member_services
from weloop.members.models import MemberTag, TagChange
from weloop.tagging import services
from weloop.tagging.errors import InvalidRule, RuleNotBackfillable
from weloop.tagging.models import TagRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(pay):
    def pay_and_deliver(order):
        pay(order)
        deliver_due()  # orders.order_paid, published by the payment handler

    return pay_and_deliver


@pytest.fixture
def pool(sku, sku_large, stock):
    stock(sku, 50)
    stock(sku_large, 50)


def tag(merchant, name):
    return member_services.tag_get_or_create(merchant=merchant, name=name)


def carries(member, name) -> bool:
    return MemberTag.objects.filter(member=member, tag__name=name).exists()


def rule(merchant, name, kind, params):
    return services.rule_create(
        merchant=merchant, name=name, tag_id=tag(merchant, name).public_id, kind=kind, params=params
    )


def test_bought_product_with_a_size_tags_only_buyers_of_that_size(
    merchant, place, paid, product, sku, sku_large, make_member, pool
):
    rule(merchant, "size-L", "bought_product", {"product_id": product.public_id, "options": {"size": "L"}})
    rule(merchant, "tea", "bought_product", {"product_id": product.public_id})
    small, large = make_member(), make_member()
    paid(place([(sku, 1)], who=small))
    paid(place([(sku_large, 1)], who=large))
    assert carries(large, "size-L") and not carries(small, "size-L")
    assert carries(small, "tea") and carries(large, "tea")
    assert MemberTag.objects.get(member=large, tag__name="size-L").source == "rule"


def test_spent_at_least_counts_the_window(merchant, place, paid, sku, member, pool):
    r = rule(merchant, "big", "spent_at_least", {"amount_fen": 2000, "days": 30})
    paid(place([(sku, 1)]))  # 12.50
    assert not carries(member, "big")
    paid(place([(sku, 1)]))  # 25.00
    assert carries(member, "big")
    r.refresh_from_db()
    assert r.applied_count == 1


def test_redeemed_deal_and_visited_store_from_events(merchant, member, store):
    deal_tag = tag(merchant, "deal-fan")
    TagRule.objects.create(merchant=merchant, name="d", tag=deal_tag, kind="redeemed_deal", params={"deal_id": "dl_x"})
    rule(merchant, "futian", "visited_store", {"store_id": store.public_id})
    payload = {"member_id": member.public_id, "deal_id": "dl_x", "store_id": store.public_id}
    publish(merchant=merchant, name="vouchers.voucher_redeemed", payload=payload)
    deliver_due()
    assert carries(member, "deal-fan") and carries(member, "futian")
    # Replaying the event adds nothing.
    before = TagChange.objects.count()
    services.rules_apply_event(merchant=merchant, name="vouchers.voucher_redeemed", payload=payload)
    assert TagChange.objects.count() == before


def test_visited_store_from_a_completed_booking(merchant, member, store):
    rule(merchant, "futian", "visited_store", {"store_id": store.public_id})
    publish(
        merchant=merchant,
        name="bookings.booking_completed",
        payload={"member_id": member.public_id, "store_id": store.public_id},
    )
    deliver_due()
    assert carries(member, "futian")


def test_attribute_rule_follows_the_member_both_ways(merchant, member):
    rule(merchant, "women", "attribute", {"field": "gender", "value": "female"})
    rule(merchant, "may-birthday", "attribute", {"field": "birthday_month", "value": 5})
    member_services.member_profile_update(merchant=merchant, member=member, gender="female", birthday=date(1990, 5, 3))
    deliver_due()
    assert carries(member, "women") and carries(member, "may-birthday")
    member_services.member_profile_update(merchant=merchant, member=member, gender="male")
    deliver_due()
    assert not carries(member, "women") and carries(member, "may-birthday")


def test_a_rule_never_removes_a_tag_staff_put(merchant, member):
    women = tag(merchant, "women")
    member_services.member_tag_add(merchant=merchant, member=member, tag=women, source="manual")
    rule(merchant, "women", "attribute", {"field": "gender", "value": "female"})
    member_services.member_profile_update(merchant=merchant, member=member, gender="male")
    deliver_due()
    assert carries(member, "women")


def test_survey_answer_tags_with_source_survey(merchant, member):
    rule(merchant, "likes-tea", "survey_answer", {"survey_id": "sv_1", "option_id": "op_tea"})
    payload = {"member_id": member.public_id, "survey_id": "sv_1", "question_id": "q1", "option_ids": ["op_tea"]}
    publish(merchant=merchant, name="engagement.survey_answered", payload=payload)
    other = {**payload, "option_ids": ["op_coffee"]}
    services.rules_apply_event(merchant=merchant, name="engagement.survey_answered", payload=other)
    deliver_due()
    assert MemberTag.objects.get(member=member, tag__name="likes-tea").source == "survey"


def test_no_purchase_for_days_sweeps_and_a_purchase_removes(merchant, place, paid, sku, member, make_member, pool):
    r = rule(merchant, "lapsed", "no_purchase_for_days", {"days": 30})
    quiet = make_member()
    with clock.frozen_at(clock.now() - timedelta(days=40)):
        paid(place([(sku, 1)]))
    with clock.frozen_at(clock.now() - timedelta(days=40)):
        old = make_member()
    fresh = make_member()
    services.rules_sweep(merchant=merchant)
    assert carries(member, "lapsed") and carries(old, "lapsed")
    assert not carries(fresh, "lapsed")
    del quiet
    paid(place([(sku, 1)]))
    assert not carries(member, "lapsed")
    # The sweep is idempotent.
    assert services.rules_sweep(merchant=merchant) == 0
    r.refresh_from_db()
    assert r.applied_count >= 2


def test_apply_now_backfills_past_purchases_once(merchant, place, paid, product, sku, member, pool):
    paid(place([(sku, 1)]))
    r = rule(merchant, "tea", "bought_product", {"product_id": product.public_id, "options": {"size": "S"}})
    MemberTag.objects.all().delete()
    assert services.rule_apply_now(merchant=merchant, rule_id=r.public_id) == 1
    assert services.rule_apply_now(merchant=merchant, rule_id=r.public_id) == 0
    assert carries(member, "tea")


def test_apply_now_of_a_survey_rule_is_refused(merchant):
    r = rule(merchant, "x", "survey_answer", {"survey_id": "sv_1", "option_id": "op"})
    with pytest.raises(RuleNotBackfillable):
        services.rule_apply_now(merchant=merchant, rule_id=r.public_id)


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("bought_product", {"product_id": "pr_missing"}, "product_id"),
        ("spent_at_least", {"amount_fen": -1}, "amount_fen"),
        ("spent_at_least", {"amount_fen": "lots"}, "amount_fen"),
        ("no_purchase_for_days", {"days": 0}, "days"),
        ("attribute", {"field": "shoe", "value": "x"}, "field"),
        ("attribute", {"field": "birthday_month", "value": 13}, "value"),
        ("visited_store", {"store_id": "st_nope"}, "store_id"),
        ("nope", {}, "kind"),
    ],
)
def test_bad_rules_are_refused_with_the_field(merchant, kind, params, field):
    with pytest.raises(InvalidRule) as error:
        services.rule_create(merchant=merchant, name="x", tag_id=tag(merchant, "x").public_id, kind=kind, params=params)
    assert error.value.extra["field"] == field
    assert not TagRule.objects.exists()


def test_another_merchants_rule_is_not_found(merchant, other_merchant):
    r = rule(merchant, "x", "no_purchase_for_days", {"days": 3})
    from weloop.core.errors import NotFound

    with pytest.raises(NotFound):
        services.rule_apply_now(merchant=other_merchant, rule_id=r.public_id)
