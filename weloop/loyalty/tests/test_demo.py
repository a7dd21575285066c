"""The demo step: three levels, points for the demo members, a stored-value balance."""

from __future__ import annotations

import pytest

from weloop.loyalty.models import Level, MemberAccount, ValueEntry

pytestmark = pytest.mark.django_db


def test_the_demo_has_levels_points_and_a_balance(db):
    from weloop.demo.seed import demo_seed

    merchant = demo_seed().merchant
    assert list(Level.objects.for_merchant(merchant).values_list("name", flat=True)) == ["普通", "银卡", "金卡"]
    accounts = MemberAccount.objects.for_merchant(merchant)
    assert accounts.filter(points_balance__gt=0).count() >= 3
    assert accounts.filter(balance_fen__gt=0, level__name="金卡").exists()
    assert ValueEntry.objects.for_merchant(merchant).filter(kind="bonus").exists()
