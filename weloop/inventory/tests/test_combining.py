"""The combining writer of flash sales, on the default database (SQLite locally, PostgreSQL in CI).

The writer runs in its own thread with its own connection, so these tests commit for real
(``transaction=True``). Claims submitted before ``start()`` wait in the queue like a crowd at the
door, which makes the batches of a test deterministic.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count

from weloop.core import clock
from weloop.inventory import gates
from weloop.inventory.combining import ClaimedHold, CombiningClaimer, claimer_for, close_all_claimers
from weloop.inventory.enums import HoldStatus, Movement, PoolKind
from weloop.inventory.errors import (
    AlreadyClaimed,
    BuyerLimitExceeded,
    ClaimerClosed,
    InsufficientCapacity,
    InvalidQuantity,
)
from weloop.inventory.models import Hold, LedgerEntry
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.inventory.services import hold_confirm, hold_release, holds_expire_due

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flash_pool(make_pool):
    return make_pool(5, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_TEST")


def outcome(future):
    return future.exception(timeout=10) or future.result(timeout=10)


def test_a_batch_sells_exactly_the_capacity_and_refuses_the_rest(merchant, flash_pool):
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None)
    futures = [claimer.submit(f"member:{i}", reference=f"O{i}") for i in range(8)]

    claimer.start().close()

    results = [outcome(f) for f in futures]
    sold = [r for r in results if isinstance(r, ClaimedHold)]
    assert [r.buyer_key for r in sold] == [f"member:{i}" for i in range(5)]  # first come, first served
    assert all(isinstance(r, InsufficientCapacity) for r in results[5:])
    assert results[5].extra == {"pool": flash_pool.public_id, "requested": 1, "available": 0}
    assert list(claimer.stats.batch_sizes) == [8]
    assert (claimer.stats.admitted, claimer.stats.refused_in_batch) == (5, 3)
    balance = pool_balance(flash_pool)
    assert (balance.capacity, balance.held, balance.consumed) == (5, 5, 0)
    holds = {h.public_id: h for h in Hold.objects.filter(pool=flash_pool)}
    assert set(holds) == {r.public_id for r in sold}
    first = holds[sold[0].public_id]
    assert (first.pk, first.buyer_key, first.reference, first.status, first.quantity) == (
        sold[0].pk,
        "member:0",
        "O0",
        HoldStatus.HELD,
        1,
    )
    assert first.expires_at == sold[0].expires_at
    assert sold[0].load() == first


def test_each_batch_writes_one_ledger_entry_and_the_ledger_balances(merchant, flash_pool):
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None, max_batch=2)
    futures = [claimer.submit(f"m{i}") for i in range(5)]

    claimer.start().close()

    assert all(isinstance(outcome(f), ClaimedHold) for f in futures)
    assert list(claimer.stats.batch_sizes) == [2, 2, 1]
    claims = LedgerEntry.objects.filter(pool=flash_pool, movement=Movement.CLAIM).order_by("id")
    assert [(e.held_delta, e.hold_count, e.hold_id) for e in claims] == [(2, 2, None), (2, 2, None), (1, 1, None)]
    first_holds = Hold.objects.filter(pool=flash_pool, created_at=claims[0].at).count()
    assert first_holds == 2  # a batch's holds carry the entry's time
    assert ledger_balance(flash_pool) == pool_balance(flash_pool)


def test_a_buyer_gets_one_hold_however_often_they_press(merchant, flash_pool):
    first_round = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None)
    a, a_again, b = (first_round.submit(k) for k in ("m:a", "m:a", "m:b"))
    first_round.start().close()
    second_round = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None).start()

    late = outcome(second_round.submit("m:a"))
    second_round.close()

    hold_a = outcome(a)
    assert isinstance(outcome(b), ClaimedHold)
    assert isinstance(outcome(a_again), AlreadyClaimed)
    assert outcome(a_again).extra == {"buyer_key": "m:a", "hold": hold_a.public_id}
    assert isinstance(late, AlreadyClaimed)
    assert late.code == "inventory.already_claimed"
    assert late.extra["hold"] == hold_a.public_id
    assert Hold.objects.filter(pool=flash_pool, buyer_key="m:a").count() == 1
    assert pool_balance(flash_pool).held == 2


def test_per_buyer_limit_and_bad_claims_are_refused_at_the_gate(merchant, flash_pool):
    with CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None, per_buyer_limit=2) as claimer:
        two = claimer.submit("m:two", 2)
        three = claimer.submit("m:three", 3)
        bad = [claimer.submit("m:x", q) for q in (0, -1, 1.0, True)]
        anonymous = claimer.submit("", 1)

    assert isinstance(outcome(two), ClaimedHold) and outcome(two).quantity == 2
    assert isinstance(outcome(three), BuyerLimitExceeded)
    assert outcome(three).extra == {"buyer_key": "m:three", "limit": 2}
    assert all(isinstance(outcome(f), InvalidQuantity) for f in bad)
    assert isinstance(outcome(anonymous), BuyerLimitExceeded)
    assert claimer.stats.refused_at_gate == 6
    assert pool_balance(flash_pool).held == 2


def test_a_claim_bigger_than_what_is_left_does_not_block_smaller_ones(merchant, flash_pool):
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None, per_buyer_limit=3)
    futures = [claimer.submit(k, q) for k, q in (("a", 3), ("b", 3), ("c", 2), ("d", 1))]

    claimer.start().close()

    results = [outcome(f) for f in futures]
    assert [isinstance(r, ClaimedHold) for r in results] == [True, False, True, False]
    assert results[1].extra["available"] == 2
    assert pool_balance(flash_pool).held == 5


def test_once_sold_out_the_crowd_is_turned_away_without_the_queue(merchant, flash_pool):
    with CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None) as claimer:
        sold = [claimer.claim(f"m{i}") for i in range(5)]
        assert gates.SOLD_OUT.is_sold_out(flash_pool.pk)

        refused = claimer.submit("m-late")

        assert refused.done()  # answered in the caller's thread, before any batch
        assert isinstance(refused.exception(), InsufficientCapacity)
    assert len(sold) == 5
    assert claimer.stats.refused_at_gate == 1
    assert len(claimer.stats.batch_sizes) == 5


def test_released_and_expired_claims_free_the_units_and_the_buyer(merchant, flash_pool):
    with CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None) as claimer:
        holds = [claimer.claim(f"m{i}") for i in range(5)]
        hold_release(merchant=merchant, holds=[holds[0]], reason="cancelled")  # clears the sold-out mark
        again = claimer.claim("m0")
        Hold.objects.filter(pk=holds[1].pk).update(expires_at=clock.now() - timedelta(seconds=1))
        assert holds_expire_due() == 1
        after_expiry = claimer.claim("m1")

    assert isinstance(again, ClaimedHold) and again.pk != holds[0].pk
    assert isinstance(after_expiry, ClaimedHold)
    assert Hold.objects.filter(pool=flash_pool, buyer_key="m0").count() == 2
    assert pool_balance(flash_pool).held == 5
    assert ledger_balance(flash_pool) == pool_balance(flash_pool)


def test_claimed_holds_are_confirmed_like_any_hold(merchant, flash_pool):
    with CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None) as claimer:
        hold = claimer.claim("m:payer", reference="O123")

    (confirmed,) = hold_confirm(merchant=merchant, holds=[hold], actor="wechatpay")

    assert (confirmed.pk, confirmed.status) == (hold.pk, HoldStatus.CONFIRMED)
    balance = pool_balance(flash_pool)
    assert (balance.held, balance.consumed) == (0, 1)


class AlwaysAdmits:
    """A gate that lies: it admits everybody and never learns."""

    def __init__(self) -> None:
        self.given_back = 0

    def try_admit(self, pool_id, quantity):
        return True

    def give_back(self, pool_id, quantity):
        self.given_back += quantity

    def seed(self, pool_id, available):
        pass

    def set_sold_out(self, pool_id):
        pass

    def forget(self, pool_id):
        pass


def test_a_gate_that_admits_everybody_still_cannot_oversell(merchant, flash_pool):
    gate = AlwaysAdmits()
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=gate)
    futures = [claimer.submit(f"m{i % 7}") for i in range(20)]

    claimer.start().close()

    assert sum(isinstance(outcome(f), ClaimedHold) for f in futures) == 5
    assert pool_balance(flash_pool).held == 5
    assert gate.given_back == 0  # sold out: the gate is told so instead


def test_tokens_of_repeat_buyers_go_back_to_the_gate(merchant, flash_pool):
    gate = AlwaysAdmits()
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=gate)
    futures = [claimer.submit(key) for key in ("m0", "m0", "m1", "m0")]

    claimer.start().close()

    assert [type(outcome(f)).__name__ for f in futures] == [
        "ClaimedHold",
        "AlreadyClaimed",
        "ClaimedHold",
        "AlreadyClaimed",
    ]
    assert gate.given_back == 2  # their units are still for sale


def test_close_answers_everything_and_refuses_later_claims(merchant, flash_pool):
    never_started = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None)
    queued = never_started.submit("m1")
    never_started.close()
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None).start()
    claimer.close()

    assert isinstance(outcome(queued), ClaimerClosed)
    assert isinstance(outcome(claimer.submit("m2")), ClaimerClosed)
    assert outcome(claimer.submit("m2")).status == 503
    assert not Hold.objects.exists()


def test_claimer_for_gives_one_running_claimer_per_pool(merchant, flash_pool, make_pool):
    other = make_pool(3, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_OTHER")

    first = claimer_for(merchant=merchant, pool=flash_pool, gate=None)
    again = claimer_for(merchant=merchant, pool=flash_pool, gate=None)
    different = claimer_for(merchant=merchant, pool=other, gate=None)

    assert first is again and first is not different
    assert isinstance(first.claim("m1"), ClaimedHold)
    close_all_claimers()
    assert claimer_for(merchant=merchant, pool=flash_pool, gate=None) is not first


def test_a_pool_of_another_merchant_cannot_get_a_claimer(other_merchant, flash_pool):
    with pytest.raises(ValueError):
        CombiningClaimer(merchant=other_merchant, pool=flash_pool)


def test_threads_claiming_at_once_sell_exactly_the_capacity(merchant, make_pool):
    pool = make_pool(30, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_THREADS")
    claimer = CombiningClaimer(merchant=merchant, pool=pool, gate=None).start()
    barrier = threading.Barrier(10)
    results: list = []
    lock = threading.Lock()

    def buyer_thread(n: int) -> None:
        barrier.wait()
        mine = [claimer.submit(f"m{(n * 10 + j) % 60}") for j in range(10)]  # 100 claims, 60 buyers
        with lock:
            results.extend(outcome(f) for f in mine)
        connection.close()

    threads = [threading.Thread(target=buyer_thread, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claimer.close()

    assert sum(isinstance(r, ClaimedHold) for r in results) == 30
    assert pool_balance(pool).held == 30
    assert not Hold.objects.filter(pool=pool).values("buyer_key").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert ledger_balance(pool) == pool_balance(pool)


def test_a_failing_batch_answers_every_claim_with_the_error_and_the_next_batch_works(merchant, flash_pool, monkeypatch):
    from django.db import DatabaseError

    from weloop.inventory import claim_sql

    real_run_batch = claim_sql.run_batch
    calls = []

    def fail_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseError("disk full")
        return real_run_batch(*args, **kwargs)

    monkeypatch.setattr(claim_sql, "run_batch", fail_once)
    claimer = CombiningClaimer(merchant=merchant, pool=flash_pool, gate=None)
    failed = [claimer.submit(f"m{i}") for i in range(3)]
    claimer.start()
    errors = [outcome(f) for f in failed]
    later = claimer.claim("m9")
    claimer.close()

    assert all(isinstance(e, DatabaseError) for e in errors)
    assert claimer.stats.failed == 3
    assert isinstance(later, ClaimedHold)
    assert pool_balance(flash_pool).held == 1  # the failed batch left nothing behind
    assert Hold.objects.filter(pool=flash_pool).count() == 1
