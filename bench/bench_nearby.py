"""Nearby stores (issue #5): k nearest within a radius over many stores in one dense city.

Goals (2 cores, 1,000,000 stores): PostgreSQL p50 <= 0.25 ms, SQLite p50 <= 1 ms, results identical
to brute force, >= 1,200 requests/s over HTTP. ``BENCH_NEARBY_STORES`` sets the store count
(default 1,000,000). One synthetic merchant in a dedicated bench database (PostgreSQL:
``WELOOP_BENCH_NEARBY_PG``; SQLite: a temporary data dir), stores uniform over a 40 x 40 km city
(Shenzhen), loaded in bulk (COPY on PostgreSQL, one executemany transaction on SQLite; the point
index is built after the load); queries at random points in the city, radius 5 km, limit 10.

Measured per database, in a child process of its own:
- the index search alone (``nearby_hits``: the point index on PostgreSQL, the grid on SQLite),
- the full ``stores_near`` answer (stores, opening hours and today's exceptions, ratings, deals)
  and its query count,
- the identity check: ``BENCH_NEARBY_CHECKED`` queries (default 10) compared with a brute force
  over every store in memory (``stores.selectors.distance_m`` on each, sorted by metres then store
  id: what ``stores_nearest`` does, without building a million model instances),
- the PostgreSQL plan of the search (EXPLAIN ANALYZE, BUFFERS) for one query.
Then over HTTP: ``GET /api/v1/stores/nearby`` with an API key, through ``harness.running_server``
(2 workers) and wrk (``BENCH_NEARBY_HTTP_SECONDS``, default 10), on each database.
Load average is reported beside every figure: the machine is shared.
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
from pathlib import Path

from bench.harness import ROOT, running_server, write_report, wrk_available

PG_URL = os.environ.get("WELOOP_BENCH_NEARBY_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_nearby")
STORES = int(os.environ.get("BENCH_NEARBY_STORES", "1000000"))
CHECKED = int(os.environ.get("BENCH_NEARBY_CHECKED", "10"))
HTTP_SECONDS = float(os.environ.get("BENCH_NEARBY_HTTP_SECONDS", "10"))
HTTP_CONNECTIONS = 16
QUERIES, FULL_QUERIES, RADIUS_M, LIMIT = 2000, 500, 5000, 10
CENTER, HALF_SPAN = (22.55, 114.05), 0.18  # about 40 x 40 km
GOALS = {
    "stores": 1_000_000,
    "postgresql_p50_ms_max": 0.25,
    "sqlite_p50_ms_max": 1.0,
    "identical_to_brute_force": True,
    "http_requests_per_second_min": 1200,
}

# GET each path in turn with the API key (args: file of paths, key).
WRK_GET = """
local paths, i, auth = {}, 0, ""
function init(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do paths[#paths + 1] = line end
  file:close()
  auth = args[2]
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Bearer " .. auth})
end
"""


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def run() -> None:
    settings = {
        "stores": STORES,
        "queries": QUERIES,
        "full_answer_queries": FULL_QUERIES,
        "radius_m": RADIUS_M,
        "limit": LIMIT,
        "brute_force_queries": CHECKED,
        "http_seconds": HTTP_SECONDS,
        "http_connections": HTTP_CONNECTIONS,
    }
    figures: dict = {}
    try:
        name, admin = PG_URL.rsplit("/", 1)[1], PG_URL.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        figures["postgresql"] = _database({"DATABASE_URL": PG_URL}, Path(tempfile.mkdtemp()))
    except Exception as exc:  # no PostgreSQL here: report SQLite alone
        figures["postgresql"] = {"error": repr(exc)[:500]}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = _database({"DATABASE_URL": "", "WELOOP_DATA_DIR": tmp}, Path(tmp))
    write_report("nearby", figures, settings=settings, goals=GOALS)


def _database(env: dict, data_dir: Path) -> dict:
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
    result = json.loads(done.stdout.strip().splitlines()[-1])
    key, paths = result.pop("api_key"), result.pop("http_paths")
    if HTTP_SECONDS > 0 and wrk_available():
        server_env = {k: v for k, v in full_env.items() if k in ("DATABASE_URL", "WELOOP_LOG_LEVEL")}
        server_env["WELOOP_QUEUE_IMMEDIATE"] = "0"
        try:
            with running_server(data_dir, workers=2, threads=4, env=server_env, seed_demo=False) as base:
                result["http"] = _wrk(base, paths, key)
        except Exception as exc:
            result["http"] = {"error": repr(exc)[:500]}
    return result


def _wrk(base: str, paths: list[str], key: str) -> dict:
    import re

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "paths.txt").write_text("\n".join(paths) + "\n")
        (Path(tmp) / "get.lua").write_text(WRK_GET)
        # warm-up: every worker process opens its connection and imports the views
        subprocess.run(
            ["wrk", "-t1", "-c4", "-d2s", "-s", f"{tmp}/get.lua", base, "--", f"{tmp}/paths.txt", key],
            capture_output=True,
            timeout=60,
        )
        load_before = _load()
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{HTTP_CONNECTIONS}",
                f"-d{int(HTTP_SECONDS)}s",
                "--latency",
                "-s",
                f"{tmp}/get.lua",
                base,
                "--",
                f"{tmp}/paths.txt",
                key,
            ],
            capture_output=True,
            text=True,
            timeout=HTTP_SECONDS + 60,
        ).stdout

    def ms(label: str) -> float | None:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "requests_per_second": float(rps.group(1)) if rps else 0.0,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "load_generator": f"wrk -t2 -c{HTTP_CONNECTIONS} -d{int(HTTP_SECONDS)}s, server 2 workers x 4 threads",
        "loadavg_1m_before": load_before,
        "loadavg_1m_after": _load(),
    }


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 4),
    }


def _bulk_load(merchant, points: list[tuple[float, float]]) -> None:
    """Stores and their index rows in bulk, with ids assigned here; the point index built after."""
    from django.db import connection, transaction

    from weloop.core import clock
    from weloop.discovery.calculations import cell_of
    from weloop.stores.models import Store

    now = clock.now()
    prefix = Store._meta.get_field("public_id").get_default()[:-10]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM stores_store")
        first = cursor.fetchone()[0] + 1
    known = {
        "id": None,
        "merchant_id": merchant.pk,
        "public_id": None,
        "name": None,
        "address": "-",
        "city": "深圳",
        "latitude": None,
        "longitude": None,
        "created_at": now,
        "updated_at": now,
    }
    fields = Store._meta.concrete_fields
    constants = {f.column: (known[f.column] if f.column in known else f.get_default()) for f in fields}
    columns = [f.column for f in fields]

    def store_rows():
        for i, (lat, lng) in enumerate(points):
            values = dict(constants)
            values.update(
                id=first + i, public_id=f"{prefix}B{i:09d}", name=f"S{i}", latitude=f"{lat:.6f}", longitude=f"{lng:.6f}"
            )
            yield [values[c] for c in columns]

    def location_rows():
        for i, (lat, lng) in enumerate(points):
            yield (first + i, merchant.pk, lat, lng, cell_of(lat, lng), now)

    loc_columns = "store_id, merchant_id, latitude, longitude, cell, updated_at"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            cursor.execute("DROP INDEX IF EXISTS discovery_loc_point_sp")
            with raw.copy(f"COPY stores_store ({', '.join(columns)}) FROM STDIN") as copy:
                for row in store_rows():
                    copy.write_row(row)
            with raw.copy(f"COPY discovery_storelocation ({loc_columns}) FROM STDIN") as copy:
                for row in location_rows():
                    copy.write_row(row)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('stores_store', 'id'), (SELECT MAX(id) FROM stores_store))"
            )
            cursor.execute(
                "CREATE INDEX discovery_loc_point_sp ON discovery_storelocation USING spgist (location)"
                " INCLUDE (merchant_id, store_id)"
            )
            cursor.execute("VACUUM ANALYZE stores_store")
            cursor.execute("VACUUM ANALYZE discovery_storelocation")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO stores_store ({', '.join(columns)}) VALUES ({marks})", store_rows())
            cursor.executemany(
                f"INSERT INTO discovery_storelocation ({loc_columns}) VALUES (%s, %s, %s, %s, %s, %s)", location_rows()
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _brute(points: list[tuple[float, float]], first_pk: int, lat: float, lng: float) -> list[tuple[float, int]]:
    from weloop.stores.selectors import distance_m

    found = [
        (metres, first_pk + i)
        for i, (s_lat, s_lng) in enumerate(points)
        if (metres := distance_m(lat, lng, s_lat, s_lng)) <= RADIUS_M
    ]
    found.sort()
    return found[:LIMIT]


def _child_main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from weloop.discovery.calculations import radius_box
    from weloop.discovery.selectors import _POINT_SQL, nearby_hits, stores_near
    from weloop.stores.models import Store
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.services import api_key_create, merchant_create

    call_command("migrate", verbosity=0)
    merchant = merchant_create(
        name="Bench chain",
        slug="bench-nearby",
        status=MerchantStatus.ACTIVE,
        owner_password="Bench-pass-2026",
        actor="bench",
    ).merchant
    raw_key, _ = api_key_create(merchant=merchant, name="bench")
    rng = random.Random(2026)

    def spot() -> tuple[float, float]:
        lat = CENTER[0] + rng.uniform(-HALF_SPAN, HALF_SPAN)
        lng = CENTER[1] + rng.uniform(-HALF_SPAN, HALF_SPAN)
        return float(f"{lat:.6f}"), float(f"{lng:.6f}")

    points = [spot() for _ in range(STORES)]
    started = time.monotonic()
    _bulk_load(merchant, points)
    load_s = time.monotonic() - started
    first_pk = Store.objects.filter(merchant=merchant).order_by("pk").values_list("pk", flat=True).first()
    queries = [spot() for _ in range(QUERIES)]
    methods = ["point", "grid"] if connection.vendor == "postgresql" else ["grid"]
    result: dict = {"vendor": connection.vendor, "load_seconds": round(load_s, 1), "loadavg_1m_after_load": _load()}
    for method in methods:
        for lat, lng in queries[:100]:  # warm-up
            nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
        samples, load_before = [], _load()
        for lat, lng in queries:
            t0 = time.perf_counter()
            nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
            samples.append(time.perf_counter() - t0)
        result[f"index_{method}"] = {**_percentiles(samples), "loadavg_1m": load_before}
    for lat, lng in queries[:50]:
        stores_near(merchant=merchant, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT)
    samples, load_before = [], _load()
    for lat, lng in queries[:FULL_QUERIES]:
        t0 = time.perf_counter()
        stores_near(merchant=merchant, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT)
        samples.append(time.perf_counter() - t0)
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        stores_near(merchant=merchant, latitude=queries[0][0], longitude=queries[0][1], radius_m=RADIUS_M, limit=LIMIT)
    result["stores_near_full_answer"] = {
        **_percentiles(samples),
        "queries_per_answer": len(statements),
        "loadavg_1m": load_before,
    }
    identical, brute = True, []
    for lat, lng in queries[:CHECKED]:
        t0 = time.perf_counter()
        expected = [(round(m, 6), pk) for m, pk in _brute(points, first_pk, lat, lng)]
        brute.append(time.perf_counter() - t0)
        for method in methods:
            got = nearby_hits(
                merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=RADIUS_M, limit=LIMIT, method=method
            )
            identical = identical and [(round(m, 6), pk) for m, pk in got] == expected and len(expected) == LIMIT
    result["brute_force_in_memory"] = _percentiles(brute)
    result["identical_to_brute_force"] = identical
    if connection.vendor == "postgresql":
        lat, lng = queries[1]
        box = radius_box(lat, lng, RADIUS_M)
        params = [lng, lat, merchant.pk, box.west, box.south, box.east, box.north, lng, lat, 2 * LIMIT + 8]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _POINT_SQL, params)
            result["explain_analyze_point"] = [row[0] for row in cursor.fetchall()]
    result["api_key"] = raw_key
    result["http_paths"] = [
        f"/api/v1/stores/nearby?lat={lat:.6f}&lng={lng:.6f}&radius_m={RADIUS_M}&limit={LIMIT}" for lat, lng in queries
    ]
    print(json.dumps(result))


if __name__ == "__main__":
    if "--child" in sys.argv:
        _child_main()
    else:
        run()
