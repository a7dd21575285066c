"""Admission gates: turn buyers away fast once a pool is sold out, without asking the database.

A gate may only ever *refuse*: whatever it says, a claim is admitted by the guarded UPDATE in the
database, so a stale or wrong gate can sell fewer units for a moment, never more.

- ``SOLD_OUT``: per process. A claimer marks a pool when a batch leaves it at 0 available; the mark
  lapses after ``ttl`` seconds (units may come back when holds expire in another process) and is
  cleared at once when this process gives units back (release, expiry, restock, return).
- ``RedisTokenGate``: shared by every process when ``REDIS_URL`` is set. A counter of admission
  tokens per pool, seeded from the database's ``available`` and taken by a Lua script, so a crowd
  spread over many web processes queues at most about ``available`` claims in total. The key
  expires after a few seconds and is re-seeded, so any drift heals by itself.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class SoldOutFlags:
    """Pools this process knows to be sold out, each until a deadline."""

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._until: dict[int, float] = {}
        self._lock = threading.Lock()

    def is_sold_out(self, pool_id: int) -> bool:
        until = self._until.get(pool_id)  # a dict read is atomic: no lock on the hot path
        return until is not None and time.monotonic() < until

    def mark(self, pool_id: int) -> None:
        with self._lock:
            self._until[pool_id] = time.monotonic() + self.ttl

    def clear(self, pool_id: int) -> None:
        with self._lock:
            self._until.pop(pool_id, None)


SOLD_OUT = SoldOutFlags()

# KEYS[1] = tokens key, ARGV[1] = quantity. Returns 1 admitted (tokens taken), 0 refused, -1 unknown.
_TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
left = tonumber(left)
local q = tonumber(ARGV[1])
if left < q then return 0 end
redis.call('DECRBY', KEYS[1], q)
return 1
"""
# Give tokens back only while the key lives: a missing key is re-seeded from the database anyway.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return -1
"""


class RedisTokenGate:
    """Admission tokens per pool in Redis. ``try_admit`` is True, False, or None (not seeded yet)."""

    def __init__(self, client: Any, *, prefix: str = "weloop:capacity", key_ttl_seconds: int = 5) -> None:
        self.client = client
        self.prefix = prefix
        self.key_ttl = key_ttl_seconds
        self._take = client.register_script(_TAKE)
        self._give_back = client.register_script(_GIVE_BACK)

    def key(self, pool_id: int) -> str:
        return f"{self.prefix}:{pool_id}:tokens"

    def try_admit(self, pool_id: int, quantity: int) -> bool | None:
        result = int(self._take(keys=[self.key(pool_id)], args=[quantity]))
        return None if result < 0 else bool(result)

    def give_back(self, pool_id: int, quantity: int) -> None:
        self._give_back(keys=[self.key(pool_id)], args=[quantity])

    def seed(self, pool_id: int, available: int) -> None:
        """Start counting from the database's figure, unless a count is already running."""
        self.client.set(self.key(pool_id), max(available, 0), nx=True, ex=self.key_ttl)

    def set_sold_out(self, pool_id: int) -> None:
        self.client.set(self.key(pool_id), 0, ex=self.key_ttl)

    def forget(self, pool_id: int) -> None:
        self.client.delete(self.key(pool_id))


@functools.cache
def redis_gate() -> RedisTokenGate | None:
    """The shared gate when REDIS_URL is set, else None (each process relies on SOLD_OUT)."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    return RedisTokenGate(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))


def known_sold_out(pool_id: int) -> bool:
    """True when this process's mark or the shared Redis counter already says ``pool_id`` is empty.

    For callers that want to turn a buyer away before doing any other work (a lookup, a query);
    False means "ask the claimer", never "there is stock". A Redis error counts as "don't know".
    """
    if SOLD_OUT.is_sold_out(pool_id):
        return True
    gate = redis_gate()
    if gate is None:
        return False
    try:
        left = gate.client.get(gate.key(pool_id))
    except Exception:
        return False
    return left is not None and int(left) <= 0


def capacity_freed(pool_id: int, gate: RedisTokenGate | None = None) -> None:
    """Units came back to ``pool_id``: let buyers in again. Called after the commit that freed them."""
    SOLD_OUT.clear(pool_id)
    gate = gate or redis_gate()
    if gate is None:
        return
    try:
        gate.forget(pool_id)
    except Exception:  # the gate is an accelerator: its key lapses within seconds anyway
        logger.warning("could not reset the admission gate of pool %s", pool_id, exc_info=True)
