"""Flash sale at the engine: 10,000 buyers on 500 units through the CombiningClaimer (issue #4).

Goals (2 cores): >= 50,000 orders/s on PostgreSQL with durable commits, >= 5,000 orders/s on
SQLite; exactly 500 sold, 0 oversold, 0 duplicate buyers.

Each database runs in its own child process (Django is configured once per process): PostgreSQL in
a database of its own (``weloop_bench_inv``, dropped and re-created; ``synchronous_commit=on``),
SQLite in a temporary data dir, once with the project's pragmas (WAL, ``synchronous=NORMAL``) and
once with ``synchronous=FULL`` (durable against power loss). Every run uses a fresh pool; the
first run of each database is a warm-up and is not counted. 20 % of the buyers press twice.

Three ways the crowd arrives, all as Python threads in the same process as the engine:
- ``crowd_waiting`` (the engine figure): every claim is queued before the sale opens, then the
  writer opens. Nothing else competes for the GIL, so this measures the engine: the database
  transaction, the batching and the answers.
- ``live_submit``: 8 threads release together and fire their claims (``submit``) as fast as
  Python can, then collect the answers. The writer fights 8 CPU-bound threads for the GIL.
- ``live_blocking``: 200 threads, each claiming one buyer at a time and waiting for the answer,
  like a web server's request threads. A batch is at most 200 claims.

"orders/s" = units sold / time from the start until the COMMIT that sold the last unit (then
durable; the buyers' Futures are answered right after). "claims/s" counts every claim answered,
refusals included, until the last answer. The headline is the median of the crowd_waiting runs.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import ROOT, write_report

PG_URL = os.environ.get("WELOOP_BENCH_INV_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_inv")
BUYERS, UNITS, REPEAT_SHARE = 10_000, 500, 0.2
SUBMITTER_THREADS, BLOCKING_THREADS = 8, 200
MAX_BATCH, MAX_WAIT_MS = 1000, 1.0
MODES = ("crowd_waiting", "live_submit", "live_blocking")
RUNS = 3
GOALS = {"postgresql_orders_per_second_min": 50_000, "sqlite_orders_per_second_min": 5_000, "sold": UNITS}


def run() -> None:
    figures: dict = {}
    settings: dict = {
        "buyers": BUYERS,
        "units": UNITS,
        "buyers_trying_twice": f"{int(REPEAT_SHARE * 100)} %",
        "per_buyer_limit": 1,
        "runs_per_mode": RUNS,
        "submitter_threads": SUBMITTER_THREADS,
        "blocking_threads": BLOCKING_THREADS,
        "claimer": {"max_batch": MAX_BATCH, "max_wait_ms": MAX_WAIT_MS},
        "load_generator": "python threads in the same process, on the same 2 cores",
    }
    try:
        _recreate_pg_database()
        figures["postgresql"] = _child("postgresql", {"DATABASE_URL": PG_URL})
        settings["postgresql"] = "synchronous_commit=" + figures["postgresql"].pop("synchronous_commit", "?")
    except Exception as exc:  # no PostgreSQL here: report SQLite alone
        figures["postgresql"] = {"error": repr(exc)[:500]}
    for name, sync in (("sqlite", "NORMAL"), ("sqlite_synchronous_full", "FULL")):
        with tempfile.TemporaryDirectory() as tmp:
            env = {"DATABASE_URL": "", "WELOOP_DATA_DIR": tmp, "BENCH_SQLITE_SYNCHRONOUS": sync}
            figures[name] = _child("sqlite", env)
    settings["sqlite"] = "WAL, synchronous=NORMAL (the project's default pragmas)"
    settings["sqlite_synchronous_full"] = "WAL, synchronous=FULL"
    figures["goals_met"] = {
        "postgresql": figures["postgresql"].get("orders_per_second", 0) >= GOALS["postgresql_orders_per_second_min"],
        "sqlite": figures["sqlite"].get("orders_per_second", 0) >= GOALS["sqlite_orders_per_second_min"],
        "exact": all(figures[db].get("correct", False) for db in ("postgresql", "sqlite", "sqlite_synchronous_full")),
    }
    write_report("flash_sale_engine", figures, settings=settings, goals=GOALS)


def _recreate_pg_database() -> None:
    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)


def _child(database: str, env: dict) -> dict:
    full_env = {**os.environ, **env, "WELOOP_QUEUE_IMMEDIATE": "1", "WELOOP_LOG_LEVEL": "WARNING"}
    full_env.pop("REDIS_URL", None)  # the engine alone: the in-process sold-out gate
    if not env.get("DATABASE_URL"):
        full_env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_flash_sale_engine", "--child", database],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{database} run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: one database, several runs ---------------------------------------------------


def _child_main(database: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if database == "sqlite":  # before the first connection reads the pragmas
        options = settings.DATABASES["default"]["OPTIONS"]
        sync = os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "NORMAL")
        options["init_command"] = options["init_command"].replace("synchronous=NORMAL", f"synchronous={sync}")

    call_command("migrate", verbosity=0)
    merchant = _merchant()
    _one_run(merchant, mode="crowd_waiting")  # warm-up, not counted: caches, files, statistics
    modes = {mode: [_one_run(merchant, mode=mode) for _ in range(RUNS)] for mode in MODES}
    engine = modes["crowd_waiting"]
    best = max(engine, key=lambda r: r["orders_per_second"])
    result = {
        "orders_per_second": statistics.median(r["orders_per_second"] for r in engine),
        "orders_per_second_best": best["orders_per_second"],
        "correct": all(r["correct"] for runs in modes.values() for r in runs),
        "batch_sizes_of_best_run": best["batches"],
        "modes": {
            mode: {
                "orders_per_second_median": statistics.median(r["orders_per_second"] for r in runs),
                "claims_per_second_median": statistics.median(r["claims_per_second"] for r in runs),
                "runs": runs,
            }
            for mode, runs in modes.items()
        },
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
            result["synchronous_commit"] = cursor.fetchone()[0]
        else:
            cursor.execute("PRAGMA synchronous")
            result["synchronous"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
    print(json.dumps(result))


def _merchant():
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.models import Merchant

    merchant, _ = Merchant.objects.get_or_create(
        slug="bench-flash", defaults={"name": "Flash bench", "status": MerchantStatus.ACTIVE}
    )
    return merchant


def _crowd() -> list[str]:
    claims = [f"member:{i:05d}" for i in range(BUYERS)]
    claims += claims[: int(BUYERS * REPEAT_SHARE)]  # buyers who press the button twice
    random.Random(len(claims)).shuffle(claims)
    return claims


def _one_run(merchant, *, mode: str) -> dict:
    from django.db import connection

    from weloop.core.ids import new_public_id
    from weloop.inventory.combining import CombiningClaimer
    from weloop.inventory.enums import PoolKind
    from weloop.inventory.services import capacity_pool_get_or_create

    pool, _ = capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.FLASH_SALE_QUOTA,
        subject=f"flash:{new_public_id('fs_')}",
        initial_capacity=UNITS,
    )
    claims = _crowd()
    claimer = CombiningClaimer(merchant=merchant, pool=pool, gate=None, max_batch=MAX_BATCH, max_wait_ms=MAX_WAIT_MS)
    claimer.start(paused=(mode == "crowd_waiting"))
    while claimer.stats.ready_at is None:  # the writer has connected and prepared its statements
        time.sleep(0.01)
    if mode == "crowd_waiting":
        outcomes, started, finished = _crowd_waiting(claimer, claims)
    else:
        outcomes, started, finished = _live(claimer, claims, mode)
    claimer.close()
    connection.close()
    sold_out_at = claimer.stats.sold_out_at
    sellout = (sold_out_at - started) if sold_out_at else float("nan")
    checks = _verify(merchant, pool)
    stats = claimer.stats.as_dict()
    return {
        "mode": mode,
        **checks,
        "correct": checks["sold"] == UNITS and checks["oversold"] == 0 and checks["duplicate_buyers"] == 0,
        "claims": len(outcomes),
        "seconds_to_sell_out": round(sellout, 4),
        "orders_per_second": round(checks["sold"] / sellout) if sold_out_at else 0,
        "seconds_all_answered": round(finished - started, 4),
        "claims_per_second": round(len(outcomes) / (finished - started)),
        "refusals": _refusal_codes(outcomes),
        "batches": list(claimer.stats.batch_sizes)[:50],
        "commit_ms": list(claimer.stats.commit_ms)[:50],
        "stats": stats,
    }


def _crowd_waiting(claimer, claims: list[str]) -> tuple[list, float, float]:
    """The crowd is at the door when the sale opens: every claim is queued, then the writer opens."""
    futures = [claimer.submit(key) for key in claims]
    started = time.perf_counter()
    claimer.open()
    outcomes = [f.exception() or f.result() for f in futures]
    return outcomes, started, time.perf_counter()


def _live(claimer, claims: list[str], mode: str) -> tuple[list, float, float]:
    """Buyer threads released together, submitting while the writer works."""
    threads_count = SUBMITTER_THREADS if mode == "live_submit" else BLOCKING_THREADS
    shares = [claims[i::threads_count] for i in range(threads_count)]
    barrier = threading.Barrier(threads_count + 1)
    outcomes: list[list] = [[] for _ in range(threads_count)]

    def buyer_thread(n: int) -> None:
        barrier.wait()
        if mode == "live_submit":  # a thread that fires its buyers' claims, then collects the answers
            futures = [claimer.submit(key) for key in shares[n]]
            outcomes[n] = [f.exception() or f.result() for f in futures]
            return
        for key in shares[n]:  # a request thread: one claim at a time, waiting for each answer
            future = claimer.submit(key)
            outcomes[n].append(future.exception() or future.result())

    threads = [threading.Thread(target=buyer_thread, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return [o for group in outcomes for o in group], started, time.perf_counter()


def _verify(merchant, pool) -> dict:
    from django.db.models import Count

    from weloop.inventory.models import Hold
    from weloop.inventory.selectors import ledger_balance, pool_balance

    balance = pool_balance(pool)
    holds = Hold.objects.filter(pool=pool)
    return {
        "sold": balance.held + balance.consumed,
        "oversold": max(0, balance.held + balance.consumed - balance.capacity, holds.count() - UNITS),
        "duplicate_buyers": holds.values("buyer_key").annotate(n=Count("id")).filter(n__gt=1).count(),
        "ledger_balances": ledger_balance(pool) == balance,
    }


def _refusal_codes(outcomes: list) -> dict:
    codes: dict[str, int] = {}
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            code = getattr(outcome, "code", type(outcome).__name__)
            codes[code] = codes.get(code, 0) + 1
    return codes


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(Path(ROOT)))
        _child_main(sys.argv[2])
    else:
        run()
