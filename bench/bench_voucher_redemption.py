"""Voucher redemption (issue #5), on PostgreSQL through the service (``vouchers.services.voucher_redeem``).

Goals (2 cores): 10,000 concurrent attempts on one single-use code give exactly 1 success; >= 4,000
redemptions/s of distinct codes; a code with a bad check character is refused in < 5 µs without a
database query.

- *One code*: ``BENCH_VOUCHER_ATTEMPTS`` (default 10,000) attempts on one single-use code from
  ``BENCH_VOUCHER_PROCESSES`` forked processes (default 8), each with its own database connection,
  released together by a barrier: successes and refusals are counted, and the voucher row is checked.
- *One redemption*: the SQL statements of one redemption (Django's query capture) and its cost in
  one process: Python CPU time and wall time per redemption, over 200 codes.
- *Distinct codes*: ``BENCH_VOUCHER_CODES`` (default 20,000) single-use vouchers redeemed once
  each by the same processes: redemptions/s over the wall-clock time, and the workers' Python CPU
  time per redemption.
- *Check character*: ``timeit`` of ``voucher_find`` on codes with one substituted character, under
  Django's query capture (the number of queries must be 0).

Processes rather than threads: threads share the GIL, so a thread pool measures Python as much as
PostgreSQL. The machine is shared by other work, so figures are noisy: the load average is reported
beside them.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
import timeit

from bench.harness import ROOT, write_report

PG_URL = os.environ.get("WELOOP_BENCH_VOUCHER_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_vouchers")
ATTEMPTS = int(os.environ.get("BENCH_VOUCHER_ATTEMPTS", "10000"))
PROCESSES = int(os.environ.get("BENCH_VOUCHER_PROCESSES", "8"))
CODES = int(os.environ.get("BENCH_VOUCHER_CODES", "20000"))
GOALS = {
    "one_code_attempts": 10_000,
    "one_code_successes": 1,
    "distinct_redemptions_per_second_min": 4000,
    "bad_check_character_us_max": 5.0,
    "bad_check_character_queries": 0,
}


def run() -> None:
    settings = {
        "attempts_on_one_code": ATTEMPTS,
        "processes": PROCESSES,
        "distinct_codes": CODES,
        "database": "postgresql",
    }
    name, admin = PG_URL.rsplit("/", 1)[1], PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    env = {**os.environ, "DATABASE_URL": PG_URL, "WELOOP_QUEUE_IMMEDIATE": "0", "WELOOP_LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_voucher_redemption", "--child"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"run failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    write_report("voucher_redemption", figures, settings=settings, goals=GOALS)


def _issue(merchant, deal, member, count: int, line: str) -> list[str]:
    from django.db import transaction

    from weloop.vouchers import codes
    from weloop.vouchers.services import vouchers_issue

    found: list[str] = []
    for start in range(0, count, 1000):
        size = min(1000, count - start)
        with transaction.atomic():
            vouchers = vouchers_issue(
                merchant=merchant,
                deal=deal,
                member=member,
                order_no=f"B{line}{start}",
                order_line_id=f"{line}-{start}",
                quantity=size,
                line_paid_fen=size * deal.deal_price_fen,
                actor="bench",
            )
        found += [codes.unseal(v.code_sealed, voucher_id=v.public_id) for v in vouchers]
    return found


def _in_processes(work, items: list, processes: int) -> tuple[float, dict, float]:
    """Run ``work(item)`` over ``items`` from ``processes`` forked processes released together.

    Returns (wall seconds, outcome counts, CPU seconds the workers spent in Python and the driver).
    Processes, not threads: a thread pool shares one GIL, so it measures Python more than the database.
    """
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    chunks = [items[i::processes] for i in range(processes)]

    def worker(chunk: list) -> None:
        mine: dict[str, int] = {}
        connections.close_all()
        barrier.wait()
        cpu = time.process_time()
        for item in chunk:
            outcome = work(item)
            mine[outcome] = mine.get(outcome, 0) + 1
        results.put((mine, time.process_time() - cpu))
        connections.close_all()

    pool = [context.Process(target=worker, args=(chunk,)) for chunk in chunks]
    for process in pool:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    cpu_total = 0.0
    for _ in pool:
        mine, cpu = results.get()
        cpu_total += cpu
        for key, value in mine.items():
            outcomes[key] = outcomes.get(key, 0) + value
    seconds = time.perf_counter() - started
    for process in pool:
        process.join()
    return seconds, outcomes, cpu_total


def _child_main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from weloop.core.errors import WeloopError
    from weloop.members.services import member_touch
    from weloop.orders import deals
    from weloop.stores.services import StoreInput, store_create
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.services import merchant_create
    from weloop.vouchers import codes
    from weloop.vouchers.models import Voucher
    from weloop.vouchers.services import DealInput, voucher_find, voucher_redeem

    call_command("migrate", verbosity=0)
    merchant = merchant_create(
        name="Bench vouchers",
        slug="bench-vouchers",
        status=MerchantStatus.ACTIVE,
        owner_password="Bench-2026!",
        actor="b",
    ).merchant
    store = store_create(
        merchant=merchant,
        data=StoreInput(name="Counter", address="-", city="深圳", latitude="22.5", longitude="114.0"),
        actor="b",
    )
    member = member_touch(merchant=merchant, openid="o-bench", kind="oauth").member
    deal = deals.deal_launch(
        merchant=merchant,
        data=DealInput(name="Bench deal", list_price_fen=5000, deal_price_fen=3990, valid_days=30, quota=CODES + 10),
        stores=[store],
        actor="b",
    )
    deal = deals.deal_change_status(merchant=merchant, deal_id=deal.public_id, status="active", actor="b")
    started = time.monotonic()
    (single,) = _issue(merchant, deal, member, 1, "one")
    distinct = _issue(merchant, deal, member, CODES, "many")
    figures: dict = {"issue_seconds": round(time.monotonic() - started, 1)}

    def attempt(code: str) -> str:
        try:
            voucher_redeem(merchant=merchant, code=code, store=store, actor="bench")
            return "redeemed"
        except WeloopError as error:
            return error.code

    seconds, outcomes, _cpu = _in_processes(attempt, [single] * ATTEMPTS, PROCESSES)
    voucher = Voucher.objects.get(code_hash=codes.code_hash(single))
    figures["one_code"] = {
        "attempts": ATTEMPTS,
        "outcomes": outcomes,
        "successes": outcomes.get("redeemed", 0),
        "exactly_one_success": outcomes.get("redeemed", 0) == 1 and voucher.redemptions.count() == 1,
        "voucher_status": voucher.status,
        "attempts_per_second": round(ATTEMPTS / seconds, 1),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
    }
    # queries of one redemption, and its in-process cost (one process, no contention)
    with CaptureQueriesContext(connection) as queries:
        attempt(distinct[0])
    cpu, wall = time.process_time(), time.perf_counter()
    for code in distinct[1:201]:
        attempt(code)
    cpu, wall = (time.process_time() - cpu) / 200, (time.perf_counter() - wall) / 200
    figures["one_redemption"] = {
        "queries": len(queries.captured_queries),
        "statements": [q["sql"][:60] for q in queries.captured_queries],
        "python_cpu_ms": round(cpu * 1000, 3),
        "wall_ms_one_process": round(wall * 1000, 3),
    }
    load_before = round(os.getloadavg()[0], 2)
    seconds, outcomes, cpu_total = _in_processes(attempt, distinct[201:], PROCESSES)
    figures["distinct_codes"] = {
        "codes": CODES,
        "outcomes": outcomes,
        "all_redeemed": outcomes.get("redeemed", 0) == CODES - 201,
        "processes": PROCESSES,
        "python_cpu_ms_per_redemption": round(cpu_total / max(outcomes.get("redeemed", 0), 1) * 1000, 3),
        "loadavg_1m_before": load_before,
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "seconds": round(seconds, 2),
        "redemptions_per_second": round(outcomes.get("redeemed", 0) / seconds, 1),
    }
    # one substituted character in each of many codes: refused by the check character alone
    alphabet = codes.ALPHABET
    bad = []
    for code in distinct[:1000]:
        position = len(bad) % len(code)
        wrong = alphabet[(alphabet.index(code[position]) + 1) % len(alphabet)]
        bad.append(code[:position] + wrong + code[position + 1 :])
    bad_cycle = itertools.cycle(bad)

    def refuse() -> None:
        try:
            voucher_find(merchant=merchant, code=next(bad_cycle))
        except WeloopError:
            return
        raise AssertionError("a code with a wrong character was accepted")

    with CaptureQueriesContext(connection) as queries:
        timer = timeit.Timer(refuse)
        loops = 20_000
        best = min(timer.repeat(repeat=5, number=loops)) / loops
    figures["bad_check_character"] = {
        "microseconds_per_call_best_of_5": round(best * 1e6, 3),
        "queries": len(queries.captured_queries),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child_main()
    else:
        run()
