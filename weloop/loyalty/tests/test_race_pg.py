"""Races on real PostgreSQL with real threads: the stored-value balance is never overdrawn, a
top-up or payment ref is applied once, points are never spent twice."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.loyalty import services
from weloop.loyalty.models import MemberAccount, PointsEntry, ValueEntry

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _outcome(fn):
    def run(i: int) -> str:
        try:
            fn(i)
            return "ok"
        except WeloopError as exc:
            return exc.code

    return run


def test_concurrent_payments_never_overdraw(merchant, member):
    services.value_topup(merchant=merchant, member=member, amount_fen=10000, method="cash", ref="t")
    results = race(
        _outcome(lambda i: services.value_spend(merchant=merchant, member=member, amount_fen=3000, ref=f"p{i}")), 10
    )
    assert Counter(results) == Counter({"ok": 3, "loyalty.insufficient_balance": 7}), results
    assert MemberAccount.objects.get(member=member).balance_fen == 1000
    assert ValueEntry.objects.filter(member=member, kind="spend").count() == 3


def test_the_same_topup_ref_at_once_credits_once_even_on_a_new_account(merchant, member):
    race(
        _outcome(
            lambda i: services.value_topup(merchant=merchant, member=member, amount_fen=500, method="card", ref="same")
        ),
        8,
    )
    assert MemberAccount.objects.get(member=member).balance_fen == 500
    assert ValueEntry.objects.filter(member=member, kind="topup").count() == 1


def test_points_spent_concurrently_are_never_spent_twice(merchant, member):
    services.points_adjust(merchant=merchant, member=member, delta=100, reason="gift")
    results = race(
        _outcome(lambda i: services.points_spend(merchant=merchant, member=member, points=30, ref=f"o{i % 5}")), 10
    )
    assert results.count("ok") >= 3
    account = MemberAccount.objects.get(member=member)
    assert account.points_balance == 10
    assert PointsEntry.objects.filter(member=member, kind="spend").count() == 3
    remaining = sum(PointsEntry.objects.filter(member=member).values_list("remaining", flat=True))
    assert remaining == account.points_balance
