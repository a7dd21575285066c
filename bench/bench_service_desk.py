"""The service-desk inbox with 100,000 open conversations (issue #7): a page lists in <= 100 ms.

One child process with a fresh SQLite data dir (or ``WELOOP_BENCH_DESK_PG``, a PostgreSQL URL of a
database the bench may fill): 100,000 members with one open conversation each (bulk inserts), a
third of them assigned round the three agents, a tenth unassigned. Then, timed (median of 30 runs
after a warm-up): the first page of ``all``, ``mine`` and ``unassigned`` with the capped count, a
page deep in the list (keyset cursor after 50,000 rows), and the whole console request of the
inbox rows (middleware, session, selector, template) through Django's test client.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

from bench.harness import ROOT, write_report

CONVERSATIONS = int(os.environ.get("WELOOP_BENCH_DESK_CONVERSATIONS", "100000"))
RUNS = 30
GOALS = {"inbox_page_ms_max": 100}


def run() -> None:
    env = {**os.environ, "WELOOP_DATA_DIR": tempfile.mkdtemp(prefix="weloop-bench-desk-")}
    env.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    if os.environ.get("WELOOP_BENCH_DESK_PG"):
        env["DATABASE_URL"] = os.environ["WELOOP_BENCH_DESK_PG"]
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_service_desk", "child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    write_report(
        "service_desk",
        figures,
        {"conversations": CONVERSATIONS, "runs": RUNS, "database": figures.pop("database")},
        GOALS,
    )


def _timed(fn, runs: int = RUNS) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(samples), 2)


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from weloop.core import clock
    from weloop.members.models import Member
    from weloop.service_desk.models import Conversation
    from weloop.service_desk.selectors import encode_cursor, inbox_page
    from weloop.tenants.services import merchant_create, staff_create

    created = merchant_create(name="Bench", slug="bench-desk", owner_password="Bench-desk-12345")
    merchant = created.merchant
    agents = [
        staff_create(
            merchant=merchant,
            username=f"bench-agent-{n}",
            password="Bench-desk-12345",
            role="service_agent",
            check_password_strength=False,
        )
        for n in range(3)
    ]
    now = clock.now()
    started = time.perf_counter()
    batch = 5000
    for start in range(0, CONVERSATIONS, batch):
        members = Member.objects.bulk_create(
            [
                Member(merchant=merchant, openid=f"oBENCH{n:022d}", first_source="message", is_following=True)
                for n in range(start, min(start + batch, CONVERSATIONS))
            ]
        )
        if connection.vendor == "sqlite" and members[0].pk is None:
            members = list(Member.objects.filter(merchant=merchant).order_by("-id")[: len(members)])
        conversations = []
        for member in members:
            n = int(member.openid[6:])
            conversations.append(
                Conversation(
                    merchant=merchant,
                    member=member,
                    assignee=None if n % 10 == 0 else agents[n % 3],
                    preview=f"message {n}",
                    last_message_at=now - timedelta(seconds=n),
                    last_inbound_at=now,
                )
            )
        Conversation.objects.bulk_create(conversations)
    fill_s = round(time.perf_counter() - started, 1)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE service_desk_conversation")

    deep = Conversation.objects.filter(merchant=merchant).order_by("-last_message_at", "-id")[CONVERSATIONS // 2]
    deep_cursor = encode_cursor(deep)
    figures = {
        "database": connection.vendor,
        "fill_seconds": fill_s,
        "all_first_page_ms": _timed(lambda: inbox_page(merchant=merchant, view="all")),
        "mine_first_page_ms": _timed(lambda: inbox_page(merchant=merchant, view="mine", staff=agents[0])),
        "unassigned_first_page_ms": _timed(lambda: inbox_page(merchant=merchant, view="unassigned")),
        "all_deep_page_ms": _timed(lambda: inbox_page(merchant=merchant, view="all", cursor=deep_cursor)),
        "all_first_page_without_count_ms": _timed(lambda: inbox_page(merchant=merchant, view="all", with_count=False)),
    }
    client = Client(HTTP_HOST="localhost")
    client.force_login(agents[0].user)
    rows_url = "/dashboard/service-desk/inbox-rows/?view=all"
    assert client.get(rows_url).status_code == 200
    figures["console_inbox_rows_request_ms"] = _timed(lambda: client.get(rows_url))
    figures["open_conversations"] = Conversation.objects.filter(merchant=merchant, status="open").count()
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child()
    else:
        run()
