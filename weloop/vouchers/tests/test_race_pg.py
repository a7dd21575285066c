"""Two counters scanning one code at the same moment: exactly one redemption (PostgreSQL, real threads)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race
from weloop.core.errors import WeloopError
from weloop.vouchers import services
from weloop.vouchers.models import Redemption, Voucher

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _redeem_in_race(merchant, code, store, count):
    def redeem(i: int) -> str:
        try:
            services.voucher_redeem(merchant=merchant, code=code, store=store, count=count, actor=f"counter-{i}")
            return "redeemed"
        except WeloopError as exc:
            return exc.code

    return redeem


def test_eight_counters_scanning_one_single_use_code_redeem_it_once(merchant, cafe_deal, buy, store, code_of):
    _, (voucher,) = buy(cafe_deal)
    results = race(_redeem_in_race(merchant, code_of(voucher), store, 1), 8)
    assert Counter(results) == Counter({"redeemed": 1, "vouchers.already_used": 7}), results
    voucher.refresh_from_db()
    assert voucher.uses_remaining == 0 and voucher.status == "used"
    assert Redemption.objects.filter(voucher=voucher).count() == 1


def test_a_punch_card_is_never_punched_past_zero(merchant, punch_deal, buy, store, code_of):
    _, (voucher,) = buy(punch_deal)
    results = race(_redeem_in_race(merchant, code_of(voucher), store, 3), 8)
    assert results.count("redeemed") == 3, results  # 3 × 3 = 9 of 10 uses; the rest refused
    voucher = Voucher.objects.get(pk=voucher.pk)
    assert voucher.uses_remaining == 1
    assert sum(r.count for r in Redemption.objects.filter(voucher=voucher)) == 9
