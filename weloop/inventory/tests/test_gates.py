"""Admission gates: the per-process sold-out mark and the Redis token counter.

The Redis tests use the server at WELOOP_TEST_REDIS_URL (default redis://127.0.0.1:6379/15) under
a key prefix of their own, and are skipped when no Redis answers.
"""

from __future__ import annotations

import os
import secrets
import time

import pytest

from weloop.inventory import gates
from weloop.inventory.combining import ClaimedHold, CombiningClaimer
from weloop.inventory.enums import PoolKind
from weloop.inventory.errors import InsufficientCapacity
from weloop.inventory.selectors import pool_balance

REDIS_URL = os.environ.get("WELOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_sold_out_marks_lapse_and_can_be_cleared():
    flags = gates.SoldOutFlags(ttl=0.05)

    flags.mark(7)
    assert flags.is_sold_out(7) and not flags.is_sold_out(8)
    time.sleep(0.06)
    assert not flags.is_sold_out(7)  # units may have come back in another process
    flags.mark(7)
    flags.clear(7)
    assert not flags.is_sold_out(7)


def test_capacity_freed_clears_the_mark_without_redis(settings):
    settings.REDIS_URL = ""
    gates.redis_gate.cache_clear()
    gates.SOLD_OUT.mark(42)

    gates.capacity_freed(42)

    assert not gates.SOLD_OUT.is_sold_out(42)


@pytest.fixture
def redis_gate():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"weloop-test:{secrets.token_hex(4)}"
    yield gates.RedisTokenGate(client, prefix=prefix, key_ttl_seconds=5)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_redis_gate_admits_only_while_tokens_last(redis_gate):
    assert redis_gate.try_admit(1, 1) is None  # not seeded: the writer decides

    redis_gate.seed(1, 3)
    redis_gate.seed(1, 100)  # a running count is not reset by a later seed

    assert [redis_gate.try_admit(1, 1) for _ in range(4)] == [True, True, True, False]
    assert redis_gate.try_admit(1, 2) is False
    redis_gate.give_back(1, 2)
    assert redis_gate.try_admit(1, 2) is True
    assert redis_gate.try_admit(1, 1) is False


def test_redis_gate_sold_out_forget_and_expiry(redis_gate):
    redis_gate.set_sold_out(2)
    assert redis_gate.try_admit(2, 1) is False
    redis_gate.forget(2)
    assert redis_gate.try_admit(2, 1) is None
    redis_gate.give_back(2, 5)  # nothing to give back to: the key stays absent
    assert redis_gate.try_admit(2, 1) is None
    redis_gate.seed(2, 9)
    assert 0 < redis_gate.client.ttl(redis_gate.key(2)) <= 5  # a count lapses and is re-seeded: drift heals


@pytest.mark.django_db(transaction=True)
def test_a_claimer_with_a_redis_gate_sells_exactly_and_turns_the_rest_away(merchant, make_pool, redis_gate):
    pool = make_pool(4, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_REDIS")
    redis_gate.seed(pool.pk, 10)  # a gate that believes in more units than exist

    with CombiningClaimer(merchant=merchant, pool=pool, gate=redis_gate) as claimer:
        results = [claimer.submit(f"m{i}").exception(10) or "sold" for i in range(12)]

    assert results.count("sold") == 4
    assert all(isinstance(r, InsufficientCapacity) for r in results if r != "sold")
    assert pool_balance(pool).held == 4
    assert claimer.stats.refused_at_gate >= 2  # tokens ran out: turned away without the writer
    assert redis_gate.try_admit(pool.pk, 1) is False  # the writer told the gate it is sold out


@pytest.mark.django_db(transaction=True)
def test_a_broken_redis_does_not_stop_the_sale(merchant, make_pool):
    class Down:
        def try_admit(self, pool_id, quantity):
            raise ConnectionError("redis is down")

        def seed(self, pool_id, available):
            raise ConnectionError("redis is down")

        def set_sold_out(self, pool_id):
            raise ConnectionError("redis is down")

        def give_back(self, pool_id, quantity):
            raise ConnectionError("redis is down")

    pool = make_pool(2, kind=PoolKind.FLASH_SALE_QUOTA, subject="flash:fs_DOWN")

    with CombiningClaimer(merchant=merchant, pool=pool, gate=Down()) as claimer:
        results = [claimer.claim(f"m{i}") for i in range(2)]

    assert all(isinstance(r, ClaimedHold) for r in results)
