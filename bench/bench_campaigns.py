"""Campaigns (issue #6): cap check + update, fan-out enqueue rate, and a crash test.

Goals: cap check plus update <= 1 ms per 500,000 recipients; fan-out enqueue >= 200,000
recipients/s; after a worker is SIGKILLed mid-fan-out and restarted: zero duplicates, zero over-cap.

1. Caps: the merchant's day counter (levels "got >= 1", "got >= 2" over 2,000,000 members, a third
   and a tenth of them set) and the month mass counter (4 levels); 500,000 recipients (runs of ids
   with gaps, like a segment's members); timed: both checks, both updates (the pyroaring work done
   under the counter row's lock), and separately the (de)serialization of the counter rows.
2. Fan-out: ``fanout_write`` of a 500,000-member audience (batches of 5,000 as bitmaps, one
   row each) plus queueing one task per batch on the real queue (Huey, not immediate).
3. Crash: a server (`weloop serve`, demo seeded) plays WeChat; N followers of the demo merchant;
   daily cap 1; two text campaigns in batches of 100. A worker process (bench.campaign_worker)
   runs them and is SIGKILLed after a few batches; a second one finishes. Then we count, on the
   simulator's side, mass messages per follower (must be exactly 1) and mass jobs per clientmsgid.

Run: ``python -m bench.bench_campaigns [followers] [sqlite|postgresql]`` (default 2,000, sqlite).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, running_server, write_report

PG_URL = os.environ.get("WELOOP_BENCH_CAMPAIGNS_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_campaigns")
REDIS_URL = os.environ.get("WELOOP_BENCH_REDIS", "redis://127.0.0.1:6379/14")
FOLLOWERS = int(os.environ.get("WELOOP_BENCH_CAMPAIGN_FOLLOWERS", "2000"))
RECIPIENTS = 500_000
GOALS = {
    "cap_check_update_ms_per_500k_max": 1.0,
    "fanout_recipients_per_second_min": 200_000,
    "duplicates": 0,
    "over_cap": 0,
}

_CAPS = r"""
import json, random, time
from pyroaring import BitMap
from weloop.marketing import calculations as calc

random.seed(6)
def runs(total, universe):
    out = BitMap()
    while len(out) < total:
        start = random.randrange(universe)
        out.add_range(start, start + random.randint(50, 2000))
    return BitMap(list(out)[:total])
universe = 2_000_000
day = [runs(universe // 3, universe), runs(universe // 10, universe)]
month = [runs(universe // k, universe) for k in (2, 4, 8, 20)]
for b in day + month:
    b.run_optimize()
result = {}
shapes = (("runs", runs(500_000, universe)), ("scattered", BitMap(random.sample(range(universe), 500_000))))
for shape, recipients in shapes:
    recipients.run_optimize()
    timings, sizes = [], []
    for _ in range(20):
        d = [b.copy() for b in day]; m = [b.copy() for b in month]
        t = time.perf_counter()
        allowed = calc.cap_take(d, recipients, 2)
        still = calc.cap_take(m, allowed, 4)
        calc.cap_record(m, still, 4)
        calc.cap_record(d, still, 2)
        timings.append(time.perf_counter() - t)
        t = time.perf_counter()
        blob = calc.levels_dump(d) + calc.levels_dump(m)
        calc.levels_load(calc.levels_dump(d)); calc.levels_load(calc.levels_dump(m))
        sizes.append(time.perf_counter() - t)
    timings.sort(); sizes.sort()
    result[f"cap_check_update_ms_median_{shape}"] = round(timings[10] * 1000, 3)
    result[f"cap_counter_serialize_roundtrip_ms_median_{shape}"] = round(sizes[10] * 1000, 3)
    result[f"cap_counter_bytes_{shape}"] = len(blob)
print(json.dumps(result))
"""

_PREPARE = r"""
import json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "weloop.settings"
django.setup()
from pyroaring import BitMap
from weloop.core import clock
from weloop.marketing import services
from weloop.marketing.enums import CampaignStatus
from weloop.marketing.models import Campaign, CampaignBatch
from weloop.members.models import Member
from weloop.simulator.models import SimUser
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.marketing.tasks import campaign_batch_task
from huey.contrib.djhuey import HUEY

n, recipients = int(sys.argv[1]), int(sys.argv[2])
merchant = Merchant.objects.get(slug="wheatfield")
appid = wechat_account_of(merchant=merchant).appid
services.marketing_settings_update(merchant=merchant, daily_cap=1, quiet_enabled=False, quiet_start="22:00",
                                   quiet_end="08:00", sms_price_centifen=450)
# --- fan-out enqueue rate: a campaign that is cancelled right after, so its batches never send
probe = services.campaign_create(
    merchant=merchant, data=services.CampaignInput(name="probe", kind="text", content={"text": "x"}))
import random
random.seed(6)  # a segment's members scattered over 4x as many pks (no long runs to compress)
audience = BitMap(random.sample(range(10_000_000, 10_000_000 + 4 * recipients), recipients))
from django.db import transaction
queued = []
t = time.perf_counter()
with transaction.atomic():
    pks = services.fanout_write(campaign=probe, audience=audience)
for pk in pks:
    queued.append(campaign_batch_task.s(pk))
for task in queued:
    HUEY.enqueue(task)
fanout_s = time.perf_counter() - t
services.campaign_cancel(merchant=merchant, public_id=probe.public_id)
CampaignBatch.objects.filter(campaign=probe).update(status="cancelled")
# --- followers on the simulated phone side and as members
now = clock.now()
tag = str(int(time.time()))[-8:]
openids = [f"oBC{tag}{i:017d}"[:28] for i in range(n)]
SimUser.objects.bulk_create([SimUser(appid=appid, openid=o, nickname=f"b{i}", subscribed=True, subscribe_time=now)
                             for i, o in enumerate(openids)], batch_size=1000)
Member.objects.bulk_create([Member(merchant=merchant, openid=o, is_following=True, followed_at=now,
                                   first_source="follow") for o in openids], batch_size=1000)
# the other demo followers are left out of the test: opt them out
from weloop.marketing.models import MarketingOptOut
for m in Member.objects.for_merchant(merchant).filter(is_following=True).exclude(openid__in=openids):
    services.marketing_opt_out_set(merchant=merchant, member=m, opted_out=True, source="bench")
ids = []
for name in ("crash-first", "crash-second"):
    c = services.campaign_create(
        merchant=merchant, data=services.CampaignInput(name=name, kind="text", content={"text": name}))
    Campaign.objects.filter(pk=c.pk).update(status=CampaignStatus.SCHEDULED, scheduled_at=now)
    assert services.campaign_start(campaign_pk=c.pk, enqueue=lambda pk: None, batch_size=100) == "started"
    ids.append(c.public_id)
print(json.dumps({"fanout_seconds": fanout_s, "fanout_batches": len(pks), "campaigns": ids,
                  "openids_prefix": f"oBC{tag}"}))
"""

_CHECK = r"""
import json, os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "weloop.settings"
django.setup()
from collections import Counter
from weloop.marketing.models import Campaign
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimMassSend, SimOutboundMessage
prefix, first, second = sys.argv[1], sys.argv[2], sys.argv[3]
inbox = Counter(SimOutboundMessage.objects.filter(kind=OutboundKind.MASS, user__openid__startswith=prefix)
                .values_list("user__openid", flat=True))
jobs = Counter(SimMassSend.objects.filter(clientmsgid__startswith="cmp_").values_list("clientmsgid", flat=True))
a, b = Campaign.objects.get(public_id=first), Campaign.objects.get(public_id=second)
print(json.dumps({
    "followers_messaged": len(inbox),
    "duplicates": sum(n - 1 for n in inbox.values() if n > 1),
    "over_cap": sum(1 for n in inbox.values() if n > 1),
    "duplicate_mass_jobs": sum(n - 1 for n in jobs.values() if n > 1),
    "first": {"status": a.status, "sent": a.sent_count, "failed": a.failed_count},
    "second": {"status": b.status, "sent": b.sent_count, "capped": b.capped_count},
}))
"""


def _run(code: str, env: dict, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(followers: int = FOLLOWERS, database: str = "sqlite") -> None:
    env = {"WELOOP_LOG_LEVEL": "WARNING"}
    if database == "postgresql":
        name = PG_URL.rsplit("/", 1)[1]
        admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        env.update({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL})
    else:
        env.update({"DATABASE_URL": "", "REDIS_URL": ""})
    figures: dict = {}
    figures.update(_run(_CAPS, {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "weloop.settings"}))
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), env=env) as base:
        run_env = {
            **os.environ,
            **env,
            "WELOOP_DATA_DIR": tmp,
            "WELOOP_PUBLIC_URL": base,
            "WELOOP_QUEUE_IMMEDIATE": "0",
        }
        prepared = _run(_PREPARE, run_env, str(followers), str(RECIPIENTS))
        figures["fanout_recipients_per_second"] = round(RECIPIENTS / prepared["fanout_seconds"])
        figures["fanout_batches"] = prepared["fanout_batches"]
        first, second = prepared["campaigns"]
        worker_args = [sys.executable, "-m", "bench.campaign_worker", first, second]
        process = subprocess.Popen(
            [*worker_args, "--pause", "0.05"], env=run_env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        done_before_kill = 0
        while done_before_kill < max(3, followers // 100 // 3):
            if not process.stdout.readline():
                break
            done_before_kill += 1
        time.sleep(0.03)
        process.send_signal(signal.SIGKILL)
        process.wait()
        started = time.perf_counter()
        restart = subprocess.run(worker_args, env=run_env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if "finished" not in restart.stdout:
            raise SystemExit(restart.stderr[-3000:])
        figures["restart_seconds"] = round(time.perf_counter() - started, 2)
        figures["batches_done_before_kill"] = done_before_kill
        figures.update(_run(_CHECK, run_env, prepared["openids_prefix"], first, second))
    settings = {"followers": followers, "recipients_for_caps_and_fanout": RECIPIENTS, "database": database}
    write_report(f"campaigns_{database}", figures, settings, GOALS)


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else FOLLOWERS, sys.argv[2] if len(sys.argv) > 2 else "sqlite")
