"""Nearby stores (issue #5): k nearest within a radius over many stores in one dense city.

Goals (2 cores, 1,000,000 stores): PostgreSQL p50 <= 0.25 ms, SQLite p50 <= 1 ms, results identical
to brute force. ``BENCH_NEARBY_STORES`` sets the store count (default 100,000: the machine is
shared; set 1000000 for the goal's size). One synthetic merchant, stores uniform over a 40 x 40 km
city (Shenzhen); queries at random points in the city, radius 5 km, limit 10.

Measured per database, in a child process of its own: the index search alone (``nearby_hits``:
the point index on PostgreSQL, the grid on SQLite and on PostgreSQL), the full ``stores_near``
answer (stores, open state, ratings), and the brute force (``stores.selectors.stores_nearest``,
over a few queries only: it reads every store). Every index answer of the checked queries is
compared with brute force. HTTP throughput is not measured here.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

from bench.harness import ROOT, write_report

PG_URL = os.environ.get("WELOOP_BENCH_NEARBY_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_nearby")
STORES = int(os.environ.get("BENCH_NEARBY_STORES", "100000"))
QUERIES, CHECKED, RADIUS_M, LIMIT = 2000, 5, 5000, 10
CENTER, HALF_SPAN = (22.55, 114.05), 0.18  # about 40 x 40 km
GOALS = {"stores": 1_000_000, "postgresql_p50_ms_max": 0.25, "sqlite_p50_ms_max": 1.0, "identical_to_brute_force": True}


def run() -> None:
    settings = {
        "stores": STORES,
        "queries": QUERIES,
        "radius_m": RADIUS_M,
        "limit": LIMIT,
        "brute_force_queries": CHECKED,
    }
    figures: dict = {}
    try:
        name, admin = PG_URL.rsplit("/", 1)[1], PG_URL.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        figures["postgresql"] = _child({"DATABASE_URL": PG_URL})
    except Exception as exc:  # no PostgreSQL here: report SQLite alone
        figures["postgresql"] = {"error": repr(exc)[:500]}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = _child({"DATABASE_URL": "", "WELOOP_DATA_DIR": tmp})
    write_report("nearby", figures, settings=settings, goals=GOALS)


def _child(env: dict) -> dict:
    full_env = {**os.environ, **env, "WELOOP_QUEUE_IMMEDIATE": "1", "WELOOP_LOG_LEVEL": "WARNING"}
    full_env.pop("REDIS_URL", None)
    if not env.get("DATABASE_URL"):
        full_env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_nearby", "--child"],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def _child_main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from weloop.discovery.selectors import nearby_hits, stores_near
    from weloop.discovery.services import location_reindex
    from weloop.stores.models import Store
    from weloop.stores.selectors import stores_nearest
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.services import merchant_create

    call_command("migrate", verbosity=0)
    merchant = merchant_create(
        name="Bench chain",
        slug="bench-nearby",
        status=MerchantStatus.ACTIVE,
        owner_password="Bench-pass-2026",
        actor="bench",
    ).merchant
    rng = random.Random(2026)
    started = time.monotonic()
    batch = []
    for i in range(STORES):
        lat = CENTER[0] + rng.uniform(-HALF_SPAN, HALF_SPAN)
        lng = CENTER[1] + rng.uniform(-HALF_SPAN, HALF_SPAN)
        batch.append(
            Store(
                merchant=merchant,
                name=f"S{i}",
                address="-",
                city="深圳",
                latitude=Decimal(f"{lat:.6f}"),
                longitude=Decimal(f"{lng:.6f}"),
            )
        )
        if len(batch) == 10_000:
            Store.objects.bulk_create(batch)
            batch = []
    Store.objects.bulk_create(batch)
    location_reindex(merchant=merchant)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE discovery_storelocation")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load_s = time.monotonic() - started
    points = [
        (CENTER[0] + rng.uniform(-HALF_SPAN, HALF_SPAN), CENTER[1] + rng.uniform(-HALF_SPAN, HALF_SPAN))
        for _ in range(QUERIES)
    ]
    methods = ["point", "grid"] if connection.vendor == "postgresql" else ["grid"]
    result: dict = {"vendor": connection.vendor, "load_seconds": round(load_s, 1)}
    for method in methods:
        for lat, lng in points[:50]:  # warm-up
            nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
        samples = []
        for lat, lng in points:
            t0 = time.perf_counter()
            nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
            samples.append(time.perf_counter() - t0)
        result[f"index_{method}"] = _percentiles(samples)
    samples = []
    for lat, lng in points[:500]:
        t0 = time.perf_counter()
        stores_near(merchant=merchant, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT)
        samples.append(time.perf_counter() - t0)
    result["stores_near_full_answer"] = _percentiles(samples)
    identical, brute = True, []
    for lat, lng in points[:CHECKED]:
        t0 = time.perf_counter()
        expected = stores_nearest(
            merchant=merchant, latitude=lat, longitude=lng, limit=LIMIT, radius_km=RADIUS_M / 1000
        )
        brute.append(time.perf_counter() - t0)
        expected_pairs = [(round(m, 6), s.pk) for s, m in expected]
        for method in methods:
            got = nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
            identical = identical and [(round(m, 6), pk) for m, pk in got] == expected_pairs
    result["brute_force"] = _percentiles(brute)
    result["identical_to_brute_force"] = identical
    print(json.dumps(result))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child_main()
    else:
        run()
