"""Segments (issue #6): preview of a 5-tag-term segment over 10,000,000 members; PostgreSQL GIN baseline.

Goal: p50 <= 5 ms for the preview (count + sample) at 10M members.

Three parts, in one child process against a scratch PostgreSQL database (``WELOOP_BENCH_SEGMENTS_PG``,
dropped at the end):

1. In memory, 10M members: synthetic tag bitmaps with realistic densities (following 75 %; tags of
   30 %, 12 %, 5 % clustered on recent members, 1.5 %, 40 %) resolved by an in-memory resolver but
   parsed, audience-wrapped and evaluated by the production code (``expressions.parse``,
   ``selectors.with_default_audience``, ``expressions.evaluate``), then counted and sampled (10 pks).
   Expression: ``tag:"t1" AND (tag:"t2" OR tag:"t3") AND NOT tag:"t4" AND tag:"t5"`` (+ following),
   and a wide one ``t1 OR t2 OR t3 OR t4 OR t5``.
2. The GIN baseline at 2M members: a table (member_id, following, tags int[]) with a GIN index on
   tags in its own schema, the same expression as ``tags @> '{1,5}' AND tags && '{2,3}' AND NOT
   tags && '{4}' AND following`` (count, then the 10 highest member ids); the bitmap engine on the
   same densities at 2M for the ratio.
3. End to end through the database-backed path (``services.segment_preview``: tag lookup, change-log
   refresh, attribute caches, evaluation, sample members fetched) over ``BENCH_SEGMENTS_DB_MEMBERS``
   members (default 200,000): cold build from MemberTag, cold start from the persisted snapshot,
   warm, and warm with 10 tag changes between previews.

Load average is reported beside the figures: the machine is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from bench.harness import ROOT, write_report

PG_URL = os.environ.get("WELOOP_BENCH_SEGMENTS_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_segments")
MEMBERS = int(os.environ.get("BENCH_SEGMENTS_MEMBERS", "10000000"))
GIN_MEMBERS = int(os.environ.get("BENCH_SEGMENTS_GIN_MEMBERS", "2000000"))
DB_MEMBERS = int(os.environ.get("BENCH_SEGMENTS_DB_MEMBERS", "200000"))
RUNS = int(os.environ.get("BENCH_SEGMENTS_RUNS", "200"))
GOALS = {"preview_p50_ms_at_10m_max": 5.0}

# (name, density, clustered on the newest members?)
TAGS = [("t1", 0.30, False), ("t2", 0.12, False), ("t3", 0.05, True), ("t4", 0.015, False), ("t5", 0.40, False)]
FOLLOWING = 0.75
EXPRESSION = 'tag:"t1" AND (tag:"t2" OR tag:"t3") AND NOT tag:"t4" AND tag:"t5"'
WIDE = 'tag:"t1" OR tag:"t2" OR tag:"t3" OR tag:"t4" OR tag:"t5"'
GIN_WHERE = "tags @> '{1,5}' AND tags && '{2,3}' AND NOT tags && '{4}' AND following"


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return round(s[min(len(s) - 1, int(q * len(s)))] * 1000, 3)


def _stats(samples: list[float]) -> dict:
    return {"p50_ms": _pct(samples, 0.50), "p95_ms": _pct(samples, 0.95), "runs": len(samples)}


def _child() -> dict:
    import array
    import functools
    import math
    import random
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q
    from pyroaring import FrozenBitMap

    from weloop.segments import expressions
    from weloop.segments.selectors import with_default_audience

    rnd = random.Random(6)

    def random_bitmap(n: int, density: float, clustered: bool) -> FrozenBitMap:
        # Geometric skips: exact density without a Python loop per member.
        lo = int(n * 0.8) if clustered else 0
        d = min(0.99, density * (n / (n - lo)))
        out, i, lg = array.array("I"), lo - 1, math.log(1 - d)
        while True:
            i += 1 + int(math.log(1.0 - rnd.random()) / lg)
            if i >= n:
                return FrozenBitMap(out)
            out.append(i)

    class MemResolver:
        def __init__(self, n: int) -> None:
            self.all = FrozenBitMap(range(n))
            self.bits = {("following", ""): random_bitmap(n, FOLLOWING, False)}
            for name, density, clustered in TAGS:
                self.bits[("tag", name)] = random_bitmap(n, density, clustered)

        def universe(self) -> FrozenBitMap:
            return self.all

        def term(self, term: expressions.Term) -> FrozenBitMap:
            return self.bits[term.key()]

    def preview_in_memory(resolver: MemResolver, text: str) -> tuple[int, list[int]]:
        node = with_default_audience(expressions.parse(text))
        members = expressions.evaluate(node, resolver)
        return len(members), list(members[-10:])

    def measure(fn, runs: int) -> tuple[dict, object]:
        result = fn()  # warm-up
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            result = fn()
            samples.append(time.perf_counter() - t)
        return _stats(samples), result

    figures: dict = {}
    # 1. 10M in memory ---------------------------------------------------------------------------
    t = time.perf_counter()
    big = MemResolver(MEMBERS)
    figures["in_memory_build_s"] = round(time.perf_counter() - t, 1)
    figures["in_memory_bitmap_mib"] = round(sum(len(b.serialize()) for b in big.bits.values()) / 2**20, 1)
    stats, result = measure(functools.partial(preview_in_memory, big, EXPRESSION), RUNS)
    figures["preview_10m"] = {**stats, "count": result[0]}
    stats, result = measure(functools.partial(preview_in_memory, big, WIDE), RUNS)
    figures["preview_10m_wide_or"] = {**stats, "count": result[0]}
    big = None  # free ~0.5 GiB before the next part

    # 2. GIN baseline at 2M, and the bitmap engine on the same densities -----------------------------
    small = MemResolver(GIN_MEMBERS)
    stats, bitmap_result = measure(functools.partial(preview_in_memory, small, EXPRESSION), RUNS)
    figures["bitmap_preview_2m"] = {**stats, "count": bitmap_result[0]}
    small = None
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS bench_segments_gin CASCADE; CREATE SCHEMA bench_segments_gin")
        cases = ", ".join(
            f"CASE WHEN {f'g > {int(GIN_MEMBERS * 0.8)} AND ' if c else ''}random() < {d / (0.2 if c else 1)} "
            f"THEN {i + 1} END"
            for i, (_name, d, c) in enumerate(TAGS)
        )
        t = time.perf_counter()
        cur.execute(
            "CREATE TABLE bench_segments_gin.member_tags (member_id int PRIMARY KEY, following bool NOT NULL, "
            "tags int[] NOT NULL)"
        )
        cur.execute(
            "INSERT INTO bench_segments_gin.member_tags SELECT g, random() < %s, "
            f"array_remove(ARRAY[{cases}], NULL) FROM generate_series(0, %s) g",
            [FOLLOWING, GIN_MEMBERS - 1],
        )
        cur.execute("CREATE INDEX ON bench_segments_gin.member_tags USING gin (tags)")
        cur.execute("ANALYZE bench_segments_gin.member_tags")
        figures["gin_load_s"] = round(time.perf_counter() - t, 1)

        def gin_preview() -> tuple[int, list[int]]:
            cur.execute(f"SELECT count(*) FROM bench_segments_gin.member_tags WHERE {GIN_WHERE}")
            count = cur.fetchone()[0]
            cur.execute(
                f"SELECT member_id FROM bench_segments_gin.member_tags WHERE {GIN_WHERE} "
                "ORDER BY member_id DESC LIMIT 10"
            )
            return count, [r[0] for r in cur.fetchall()]

        stats, gin_result = measure(gin_preview, max(10, RUNS // 10))
        figures["gin_preview_2m"] = {**stats, "count": gin_result[0]}
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM bench_segments_gin.member_tags WHERE {GIN_WHERE}")
        figures["gin_plan"] = [r[0] for r in cur.fetchall()][:12]
        cur.execute("DROP SCHEMA bench_segments_gin CASCADE")
    figures["gin_over_bitmap_p50_ratio_2m"] = round(
        figures["gin_preview_2m"]["p50_ms"] / max(figures["bitmap_preview_2m"]["p50_ms"], 0.001), 1
    )

    # 3. End to end through the database-backed path ------------------------------------------------
    call_command("migrate", verbosity=0)
    from weloop.core import clock
    from weloop.members import services as members
    from weloop.members.models import Member, MemberTag
    from weloop.segments import bitmaps, services
    from weloop.segments.models import TagBitmapSnapshot
    from weloop.tenants.services import merchant_create

    merchant = merchant_create(name="Segments bench", slug=f"seg-bench-{os.getpid()}").merchant
    t = time.perf_counter()
    now = clock.now()
    Member.objects.bulk_create(
        (
            Member(
                merchant=merchant,
                openid=f"oSEG{i:012d}",
                is_following=rnd.random() < FOLLOWING,
                first_source="follow",
                created_at=now,
                updated_at=now,
            )
            for i in range(DB_MEMBERS)
        ),
        batch_size=5000,
    )
    tags = {name: members.tag_create(merchant=merchant, name=name) for name, _d, _c in TAGS}
    low = Member.objects.for_merchant(merchant).order_by("pk").values_list("pk", flat=True)[:1][0]
    high = Member.objects.for_merchant(merchant).order_by("-pk").values_list("pk", flat=True)[:1][0]
    with connection.cursor() as cur:
        for name, density, clustered in TAGS:
            start = low + int((high - low) * 0.8) if clustered else low
            cur.execute(
                "INSERT INTO members_membertag (merchant_id, member_id, tag_id, source, source_ref, added_at) "
                "SELECT %s, id, %s, 'import', '', now() FROM members_member "
                "WHERE merchant_id = %s AND id >= %s AND random() < %s",
                [merchant.pk, tags[name].pk, merchant.pk, start, density / (0.2 if clustered else 1)],
            )
        cur.execute(
            "UPDATE members_tag t SET member_count = "
            "(SELECT count(*) FROM members_membertag mt WHERE mt.tag_id = t.id) "
            "WHERE t.merchant_id = %s",
            [merchant.pk],
        )
    figures["db_load_s"] = round(time.perf_counter() - t, 1)
    figures["db_members"] = DB_MEMBERS

    def db_preview() -> tuple[int, list]:
        p = services.segment_preview(merchant=merchant, expression=EXPRESSION)
        return p.count, p.sample

    bitmaps.clear_caches()
    t = time.perf_counter()
    count, _ = db_preview()
    figures["db_cold_from_member_tags_ms"] = round((time.perf_counter() - t) * 1000, 1)
    figures["db_snapshots_written"] = TagBitmapSnapshot.objects.filter(merchant=merchant).count()
    bitmaps.clear_caches()
    t = time.perf_counter()
    db_preview()
    figures["db_cold_from_snapshots_ms"] = round((time.perf_counter() - t) * 1000, 1)
    stats, (count, _sample) = measure(db_preview, RUNS)
    figures["db_preview_warm"] = {**stats, "count": count}

    # correctness: the same expression as a plain ORM query
    def with_tag(name: str):
        return MemberTag.objects.filter(tag=tags[name]).values("member_id")

    orm = (
        Member.objects.for_merchant(merchant)
        .filter(is_following=True, pk__in=with_tag("t1"))
        .filter(pk__in=with_tag("t5"))
        .exclude(pk__in=with_tag("t4"))
        .filter(Q(pk__in=with_tag("t2")) | Q(pk__in=with_tag("t3")))
        .count()
    )
    figures["db_count_equals_orm"] = orm == count

    people = list(Member.objects.for_merchant(merchant).values_list("pk", flat=True)[:2000])
    samples = []
    for i in range(min(RUNS, 100)):
        for j in range(10):  # 10 tag changes between previews
            person = Member(pk=people[(i * 10 + j) % len(people)], merchant=merchant)
            tag = tags[TAGS[j % len(TAGS)][0]]
            if not members.member_tag_remove(merchant=merchant, member=person, tag=tag):
                members.member_tag_add(merchant=merchant, member=person, tag=tag, source="api")
        t = time.perf_counter()
        count, _ = db_preview()
        samples.append(time.perf_counter() - t)
    figures["db_preview_with_10_changes_between"] = _stats(samples)
    return figures


def run() -> None:
    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    load_before = os.getloadavg()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": PG_URL,
                "REDIS_URL": "",
                "WELOOP_DATA_DIR": tmp,
                "WELOOP_LOG_LEVEL": "WARNING",
                "WELOOP_QUEUE_IMMEDIATE": "0",
            }
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_segments", "--child"],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
            )
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], capture_output=True)
    figures["loadavg_1m_before"] = round(load_before[0], 2)
    figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    settings = {
        "members": MEMBERS,
        "gin_members": GIN_MEMBERS,
        "db_members": DB_MEMBERS,
        "runs": RUNS,
        "tags": [{"name": n, "density": d, "clustered_on_newest_20pct": c} for n, d, c in TAGS],
        "following": FOLLOWING,
        "expression": EXPRESSION,
        "wide_expression": WIDE,
        "gin_where": GIN_WHERE,
    }
    figures["goal_met"] = figures["preview_10m"]["p50_ms"] <= GOALS["preview_p50_ms_at_10m_max"]
    write_report("segments", figures, settings, GOALS)


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(_child(), ensure_ascii=False))
    else:
        run()
