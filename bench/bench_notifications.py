"""Notification fan-out to the simulated WeChat over HTTP (issue #7).

Goal: >= 1,000 messages/s reach the simulator.

A server (`weloop serve`, demo seeded) plays WeChat. In a separate process, against the same
database, we create N followers of the demo merchant (wheatfield) with a template mapped for
``payment_succeeded`` and N pending notifications, then time ``notifications_send_all_due``: claim a
batch, plan each channel, call message/template/send concurrently, record the outcome. The
simulator also pushes a TEMPLATESENDJOBFINISH per message back to the same server, as WeChat does,
so the server does double work; sender, server and pushes share the machine's cores, so the figure
is a lower bound. Run: ``python -m bench.bench_notifications [N] [sqlite|postgresql]``.

PostgreSQL uses ``WELOOP_BENCH_NOTIFICATIONS_PG`` (dropped and re-created), default
``postgresql://postgres@127.0.0.1:5432/weloop_bench_notifications``, with Redis
(``WELOOP_BENCH_REDIS``, default ``redis://127.0.0.1:6379/14``). The machine's load average is
reported beside the figure: on a shared machine it matters more than anything else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import ROOT, running_server, write_report

PG_URL = os.environ.get(
    "WELOOP_BENCH_NOTIFICATIONS_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_notifications"
)
REDIS_URL = os.environ.get("WELOOP_BENCH_REDIS", "redis://127.0.0.1:6379/14")
MESSAGES = int(os.environ.get("WELOOP_BENCH_NOTIFICATIONS", "2000"))
WORKERS, THREADS, SEND_WORKERS, BATCH = 2, 8, 32, 500
GOALS = {"messages_per_second_min": 1000}

_SENDER = r"""
import json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "weloop.settings"
django.setup()
from weloop.core import clock
from weloop.members.models import Member
from weloop.messaging.enums import NotificationKind, NotificationStatus
from weloop.messaging.models import Notification
from weloop.messaging.notifications import TemplateInput, notifications_send_all_due, template_set
from weloop.simulator.models import SimUser
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of

n, workers, batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
merchant = Merchant.objects.get(slug="wheatfield")
appid = wechat_account_of(merchant=merchant).appid
template_set(merchant=merchant, data=TemplateInput(kind=NotificationKind.PAYMENT_SUCCEEDED,
             template_id="TPL_BENCH", fields={"keyword1": "{order_no}", "keyword2": "{total}"}))
now = clock.now()
tag = str(int(time.time()))
openids = [f"oBENCH{tag}{i:012d}"[:28] for i in range(n)]
SimUser.objects.bulk_create([SimUser(appid=appid, openid=o, nickname=f"b{i}", subscribed=True, subscribe_time=now)
                             for i, o in enumerate(openids)], batch_size=1000)
Member.objects.bulk_create([Member(merchant=merchant, openid=o, is_following=True, followed_at=now,
                                   first_source="follow") for o in openids], batch_size=1000)
members = Member.objects.for_merchant(merchant).filter(openid__in=openids)
Notification.objects.bulk_create([
    Notification(merchant=merchant, member=m, openid=m.openid, kind=NotificationKind.PAYMENT_SUCCEEDED,
                 dedup_key=f"payment_succeeded:B{tag}{m.pk}", context={"order_no": f"B{m.pk}", "total": "¥1.00"},
                 next_attempt_at=now, created_at=now)
    for m in members], batch_size=1000)
# warm the access token (one central fetch) before the clock starts
from weloop.wechat.client import WeChatApi
account = wechat_account_of(merchant=merchant)
WeChatApi(account.appid, account.app_secret).access_token()
started = time.perf_counter()
handled = notifications_send_all_due(limit=batch, workers=workers, max_batches=10_000)
elapsed = time.perf_counter() - started
rows = Notification.objects.for_merchant(merchant).filter(dedup_key__startswith=f"payment_succeeded:B{tag}")
sent = rows.filter(status__in=[NotificationStatus.SENT, NotificationStatus.DELIVERED]).count()
failed = rows.filter(status=NotificationStatus.FAILED).count()
print(json.dumps({"handled": handled, "sent": sent, "failed": failed, "seconds": round(elapsed, 3),
                  "messages_per_second": round(sent / elapsed, 1) if elapsed else None}))
"""


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else MESSAGES
    database = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    env = {"SIMULATOR_TEMPLATE_DAILY_QUOTA": str(10**9), "WELOOP_LOG_LEVEL": "WARNING"}
    if database == "postgresql":
        name = PG_URL.rsplit("/", 1)[1]
        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        env.update({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL})
    else:
        env.update({"DATABASE_URL": "", "REDIS_URL": ""})
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp), workers=WORKERS, threads=THREADS, env=env) as base,
    ):
        sender_env = {
            **os.environ,
            **env,
            "WELOOP_DATA_DIR": tmp,
            "WELOOP_PUBLIC_URL": base,
            "WELOOP_QUEUE_IMMEDIATE": "0",
        }
        out = subprocess.run(
            [sys.executable, "-c", _SENDER, str(messages), str(SEND_WORKERS), str(BATCH)],
            env=sender_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["loadavg_1m_before"] = round(load_before[0], 2)
    figures["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    settings = {
        "messages": messages,
        "server_workers": WORKERS,
        "server_threads": THREADS,
        "send_workers": SEND_WORKERS,
        "batch": BATCH,
        "database": database,
    }
    path = write_report(f"notifications_{database}", figures, settings, GOALS)
    print(json.dumps(figures), "->", path)


if __name__ == "__main__":
    main()
