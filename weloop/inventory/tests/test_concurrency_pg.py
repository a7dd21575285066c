"""Races on PostgreSQL: real threads, each with its own connection, on the same pools and holds.

Run with: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/pytest -q weloop/inventory -p no:randomly
(SQLite serializes writers, so it cannot show an oversell or a deadlock; these are skipped there.)
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count

from tests.races import race
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.inventory.combining import ClaimedHold, CombiningClaimer
from weloop.inventory.enums import HoldStatus, Movement, PoolKind
from weloop.inventory.models import Hold, LedgerEntry
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.inventory.services import (
    capacity_adjust,
    capacity_hold,
    hold_confirm,
    holds_expire_due,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def no_duplicate_buyers(pool) -> bool:
    return not Hold.objects.filter(pool=pool).values("buyer_key").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_twenty_threads_holding_from_ten_units_hold_exactly_ten(merchant, make_pool, later):
    pool = make_pool(10)

    def hold_three_times(i: int) -> list[str]:
        outcomes = []
        for _ in range(3):
            try:
                capacity_hold(merchant=merchant, lines=[(pool, 1)], expires_at=later, reference=f"T{i}")
                outcomes.append("held")
            except WeloopError as exc:
                outcomes.append(exc.code)
        return outcomes

    results = race(hold_three_times, 20)

    outcomes = Counter(code for r in results for code in r)  # type: ignore[union-attr]
    assert outcomes == Counter({"held": 10, "inventory.insufficient": 50}), results
    assert pool_balance(pool).held == 10
    assert Hold.objects.filter(pool=pool).count() == 10
    assert ledger_balance(pool) == pool_balance(pool)


def test_random_sized_holds_never_exceed_the_capacity(merchant, make_pool, later):
    pool = make_pool(25)

    def hold_some(i: int) -> int:
        rng, got = random.Random(i), 0
        for _ in range(5):
            quantity = rng.randint(1, 4)
            try:
                capacity_hold(merchant=merchant, lines=[(pool, quantity)], expires_at=later)
                got += quantity
            except WeloopError:
                pass
        return got

    results = race(hold_some, 20)

    assert all(isinstance(r, int) for r in results), results
    balance = pool_balance(pool)
    assert balance.held == sum(results) <= 25  # type: ignore[arg-type]
    assert balance.held >= 22  # the last units only stay free when every try left was too big
    assert ledger_balance(pool) == balance


def test_multi_line_holds_in_opposite_orders_do_not_deadlock(merchant, make_pool, later):
    a, b = make_pool(1000), make_pool(1000)

    def hold_both(i: int) -> int:
        lines = [(a, 1), (b, 1)] if i % 2 else [(b, 1), (a, 1)]
        for _ in range(15):
            capacity_hold(merchant=merchant, lines=lines, expires_at=later)
        return 15

    results = race(hold_both, 12)

    assert results == [15] * 12, [r for r in results if not isinstance(r, int)]
    assert pool_balance(a).held == pool_balance(b).held == 180


def test_shrinking_while_holding_never_goes_below_committed(merchant, make_pool, later):
    pool = make_pool(40)

    def work(i: int) -> str:
        try:
            if i % 2:
                capacity_hold(merchant=merchant, lines=[(pool, 3)], expires_at=later)
            else:
                capacity_adjust(merchant=merchant, pool=pool, delta=-3, reason="shrink", actor="t")
        except WeloopError as exc:
            return exc.code
        return "ok"

    results = race(work, 20)

    assert set(results) <= {"ok", "inventory.insufficient", "inventory.below_committed"}, results
    balance = pool_balance(pool)
    assert balance.held + balance.consumed <= balance.capacity
    assert balance.held == 3 * Hold.objects.filter(pool=pool).count()
    assert ledger_balance(pool) == balance


def test_the_combining_claimer_sells_exactly_a_hundred_to_fifty_threads(merchant, make_pool):
    pool = make_pool(100, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_RACE")
    claimer = CombiningClaimer(merchant=merchant, pool=pool, gate=None).start()

    def twenty_buyers(i: int) -> list[object]:
        # 50 threads x 20 claims = 1,000 claims from 500 buyers: each buyer presses in two threads
        futures = [claimer.submit(f"member:{(i * 20 + j) % 500}") for j in range(20)]
        return [f.exception(30) or f.result() for f in futures]

    results = race(twenty_buyers, 50)
    claimer.close()

    flat = [o for r in results for o in r]  # type: ignore[union-attr]
    sold = [o for o in flat if isinstance(o, ClaimedHold)]
    assert len(flat) == 1000
    assert len(sold) == 100
    assert len({h.buyer_key for h in sold}) == 100
    assert {o.code for o in flat if not isinstance(o, ClaimedHold)} <= {  # type: ignore[union-attr]
        "inventory.insufficient",
        "inventory.already_claimed",
    }
    assert pool_balance(pool).held == 100
    assert Hold.objects.filter(pool=pool).count() == 100
    assert no_duplicate_buyers(pool)
    assert ledger_balance(pool) == pool_balance(pool)


def test_two_claimers_on_one_pool_like_two_processes_sell_exactly(merchant, make_pool):
    pool = make_pool(60, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_TWO")
    claimers = [CombiningClaimer(merchant=merchant, pool=pool, gate=None, max_batch=7).start() for _ in range(2)]

    def buyers(i: int) -> int:
        claimer = claimers[i % 2]
        futures = [claimer.submit(f"member:{(i * 10 + j) % 90}") for j in range(10)]
        return sum(isinstance(f.exception(30) or f.result(), ClaimedHold) for f in futures)

    results = race(buyers, 20)
    for claimer in claimers:
        claimer.close()

    assert sum(results) == 60  # type: ignore[arg-type]
    assert pool_balance(pool).held == 60
    assert no_duplicate_buyers(pool)
    assert ledger_balance(pool) == pool_balance(pool)


def test_expiry_racing_confirmation_settles_each_hold_exactly_once(merchant, make_pool):
    pool = make_pool(200)
    soon = clock.now() + timedelta(seconds=30)
    holds = capacity_hold(merchant=merchant, lines=[(pool, 1)] * 120, expires_at=soon)
    Hold.objects.filter(pool=pool).update(expires_at=clock.now() - timedelta(seconds=1))  # all due now

    def work(i: int) -> list[str]:
        if i < 4:  # four sweepers, like four queue consumers
            return [f"expired:{holds_expire_due(limit=50)}" for _ in range(4)]
        outcomes = []
        for hold in holds[(i - 4) * 15 : (i - 3) * 15]:  # eight payers, 15 holds each
            try:
                hold_confirm(merchant=merchant, holds=[hold], actor="wechatpay")
                outcomes.append("confirmed")
            except WeloopError as exc:
                outcomes.append(exc.code)
        return outcomes

    results = race(work, 12)

    payer_outcomes = Counter(o for r in results[4:] for o in r)  # type: ignore[union-attr]
    assert set(payer_outcomes) <= {"confirmed", "inventory.hold_not_active"}, results
    statuses = Counter(Hold.objects.filter(pool=pool).values_list("status", flat=True))
    assert statuses[HoldStatus.CONFIRMED] == payer_outcomes["confirmed"]
    assert statuses[HoldStatus.CONFIRMED] + statuses[HoldStatus.EXPIRED] == 120
    settled = LedgerEntry.objects.filter(pool=pool, movement__in=[Movement.CONFIRM, Movement.EXPIRE])
    assert settled.count() == 120  # one settling entry per hold: nobody settled one twice
    assert not settled.values("hold").annotate(n=Count("id")).filter(n__gt=1).exists()
    balance = pool_balance(pool)
    assert (balance.held, balance.consumed) == (0, statuses[HoldStatus.CONFIRMED])
    assert ledger_balance(pool) == balance
