"""Flash sale over HTTP: 10,000 buyers on 500 units against the production server (issue #4).

The real server (``weloop serve``: granian, 2 workers) on PostgreSQL with durable commits, in a
database of its own (``weloop_bench_http``, dropped and re-created). The crowd is 10,000 members,
each sending ``POST /api/v1/flash-sales/{id}/claims`` once, driven by wrk (C, so the load generator
costs little CPU; a Python client is the fallback). The crowd is queued at the door: it starts
when the sale is already live.

Reported: requests/s over all 10,000 claims and their p50/p99; "orders/s" = 500 units / the time
from the first request until the last winner's order was written (``Order.placed_at``); then the
database is checked (exactly 500 sold, 0 oversold, 0 duplicate buyers, 500 real orders), every
winner pays (an offline payment through the payments service, applied by the ordinary
``payments.payment_succeeded`` handler) and we check that 500 orders are paid and 500 units
consumed: 0 paid orders lost.

Goal (2 cores, shared with the load generator): >= 3,000 orders/s over HTTP. The machine's
figures are noisy when other work runs on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, running_server, write_report, wrk_available

PG_URL = os.environ.get("WELOOP_BENCH_HTTP_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_http")
BUYERS, UNITS = 10_000, 500
CONNECTIONS = 64
# Request threads per worker: a claim waits for its batch, so the batch can only hold as many
# claims as there are threads waiting (2 workers x 16 threads: 32 connections to PostgreSQL).
THREADS = 16
GOALS = {"orders_per_second_min": 3_000, "sold": UNITS, "oversold": 0, "duplicate_buyers": 0, "paid_orders_lost": 0}

# Replays the lines of a file (method, path, auth, body) once each, then stops the thread.
WRK_ONCE = """
local requests, n, sent, done = {}, 0, 0, 0
local statuses = {}
function init(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do
    local method, path, auth, body = line:match("^(%S+)\\t(%S+)\\t(%S+)\\t(.*)$")
    requests[#requests + 1] = wrk.format(method, path,
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. auth}, body)
  end
  file:close()
  n = #requests
end
function request()
  sent = sent + 1
  if sent > n then sent = n end
  return requests[sent]
end
function response(status, headers, body)
  done = done + 1
  statuses[status] = (statuses[status] or 0) + 1
  if done >= n then wrk.thread:stop() end
end
function done_summary() end
"""


def run() -> None:
    _recreate_database()
    env = {"DATABASE_URL": PG_URL, "WELOOP_LOG_LEVEL": "WARNING"}
    figures = _in_django(env, "setup")
    setup = figures.pop("setup")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp), env=env, seed_demo=False, threads=THREADS) as base,
    ):
        requests = [
            ("POST", f"/api/v1/flash-sales/{setup['sale']}/claims", setup["key"], json.dumps({"openid": openid}))
            for openid in setup["openids"]
        ]
        _warm_up(base, setup)
        started = time.time()
        load = _wrk_once(base, requests) if wrk_available() else _python_once(base, requests)
        finished = time.time()
    checks = _in_django(env, "verify", started)
    sellout = checks.pop("last_order_at") - started
    figures = {
        **load,
        "claims": BUYERS,
        "seconds_all_answered": round(finished - started, 3),
        "seconds_to_sell_out": round(sellout, 3),
        "orders_per_second": round(UNITS / sellout) if sellout > 0 else 0,
        **checks,
    }
    figures["goals_met"] = {
        "orders_per_second": figures["orders_per_second"] >= GOALS["orders_per_second_min"],
        "exact": figures["sold"] == UNITS and figures["oversold"] == 0 and figures["duplicate_buyers"] == 0,
        "paid_orders_lost": figures["paid_orders_lost"] == 0,
    }
    settings = {
        "buyers": BUYERS,
        "units": UNITS,
        "server": f"weloop serve (granian WSGI, 2 workers x {THREADS} threads), PostgreSQL synchronous_commit=on",
        "endpoint": "POST /api/v1/flash-sales/{id}/claims (API key + member openid)",
        "load_generator": f"wrk, {CONNECTIONS} connections, each claim sent once" if wrk_available() else "python",
        "redis_gate": bool(os.environ.get("REDIS_URL")),
        "note": "2 shared cores: server, PostgreSQL and wrk on the same machine; figures are noisy",
    }
    write_report("flash_sale_http", figures, settings=settings, goals=GOALS)


def _recreate_database() -> None:
    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True, capture_output=True
    )
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)


def _in_django(env: dict, step: str, *args: object) -> dict:
    full_env = {**os.environ, **env, "WELOOP_QUEUE_IMMEDIATE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_flash_sale_http", "--child", step, *map(str, args)],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _warm_up(base: str, setup: dict) -> None:
    """Each worker answers once (imports, connections) on a GET: the sale itself stays untouched."""
    import urllib.request

    for _ in range(8):
        request = urllib.request.Request(
            f"{base}/api/v1/flash-sales/{setup['sale']}", headers={"Authorization": f"Bearer {setup['key']}"}
        )
        urllib.request.urlopen(request, timeout=30).read()


def _wrk_once(base: str, requests: list[tuple[str, str, str, str]]) -> dict:
    import re

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "claims.tsv"
        data.write_text("".join(f"{m}\t{p}\t{a}\t{b}\n" for m, p, a, b in requests))
        script = Path(tmp) / "once.lua"
        script.write_text(WRK_ONCE)
        # One wrk thread: it replays the file in order, every claim exactly once, then stops.
        result = subprocess.run(
            ["wrk", "-t1", f"-c{CONNECTIONS}", "-d300s", "--latency", "-s", str(script), base, "--", str(data)],
            capture_output=True,
            text=True,
            timeout=400,
        )
    text = result.stdout

    def ms(value: str, unit: str) -> float:
        number = float(value)
        return round(number / 1000 if unit == "us" else number * 1000 if unit == "s" else number, 2)

    def percentile(label: str) -> float | None:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return ms(match.group(1), match.group(2)) if match else None

    total = re.search(r"(\d+) requests in ", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    return {
        "requests_per_second": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "load_generator": f"wrk -t1 -c{CONNECTIONS} (each claim once)",
    }


def _python_once(base: str, requests: list[tuple[str, str, str, str]]) -> dict:
    import http.client
    import statistics
    import threading

    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    lock = threading.Lock()
    index = iter(range(len(requests)))

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        mine = []
        for i in index:
            method, path, auth, body = requests[i]
            t0 = time.perf_counter()
            conn.request(
                method, path, body=body, headers={"Authorization": f"Bearer {auth}", "Content-Type": "application/json"}
            )
            conn.getresponse().read()
            mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    lat = sorted(latencies)
    return {
        "requests_per_second": round(len(lat) / seconds, 1),
        "requests": len(lat),
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(lat[int(len(lat) * 0.99)], 2),
        "load_generator": "python threads (32)",
    }


# --- the child: set up and verify, in the bench database -------------------------------------


def _child(step: str, args: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    result = _setup() if step == "setup" else _verify(float(args[0]))
    print(json.dumps(result))


def bench_shop(slug: str, buyers: int):
    """A merchant with an active SKU, a store, an owner, an API key and ``buyers`` members."""
    from django.core.management import call_command

    from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
    from weloop.members.enums import MemberSource
    from weloop.members.models import Member
    from weloop.stores.services import HoursInput, StoreInput, store_create
    from weloop.tenants.enums import MerchantStatus
    from weloop.tenants.models import Merchant
    from weloop.tenants.services import api_key_create

    call_command("migrate", verbosity=0)
    merchant = Merchant.objects.create(slug=slug, name="Bench bakery", status=MerchantStatus.ACTIVE)
    product = product_create(merchant=merchant, data=ProductInput(name="Sourdough"), actor="bench")
    sku = sku_create(
        merchant=merchant, product_id=product.public_id, data=SkuInput(code="SD-1", price_fen=1800), actor="bench"
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="bench")
    store = store_create(
        merchant=merchant,
        data=StoreInput(
            name="Bench store",
            address="1 Road",
            city="Shenzhen",
            latitude="22.54",
            longitude="114.05",
            hours=[HoursInput(w, "00:00", "23:59") for w in range(7)],
        ),
        actor="bench",
    )
    raw_key, _ = api_key_create(merchant=merchant, name="bench")
    openids = [f"o-bench-{i:06d}" for i in range(buyers)]
    Member.objects.bulk_create(
        [Member(merchant=merchant, openid=o, first_source=MemberSource.values[0]) for o in openids], batch_size=2000
    )
    return merchant, sku, store, raw_key, openids


def _setup() -> dict:
    from datetime import timedelta

    from weloop.core import clock
    from weloop.flashsales.services import flash_sale_create

    merchant, sku, store, raw_key, openids = bench_shop("bench-flash-http", BUYERS)
    now = clock.now()
    sale = flash_sale_create(
        merchant=merchant,
        sku=sku,
        price_fen=990,
        starts_at=now - timedelta(seconds=1),
        ends_at=now + timedelta(hours=1),
        quota=UNITS,
        store=store,
        actor="bench",
    )
    return {"setup": {"sale": sale.public_id, "key": raw_key, "openids": openids}}


def _verify(started: float) -> dict:
    from django.db import connection
    from django.db.models import Count, Max

    from weloop.core.events import deliver_due
    from weloop.flashsales.models import FlashSale, FlashSaleClaim
    from weloop.inventory.models import Hold
    from weloop.inventory.selectors import ledger_balance, pool_balance
    from weloop.orders import services as orders
    from weloop.orders.enums import OrderStatus
    from weloop.orders.models import Order
    from weloop.tenants.enums import StaffRole
    from weloop.tenants.models import StaffMember

    sale = FlashSale.objects.select_related("merchant", "pool").get()
    merchant, pool = sale.merchant, sale.pool
    balance = pool_balance(pool)
    holds = Hold.objects.filter(pool=pool)
    orders_of_sale = Order.objects.filter(merchant=merchant, channel="flash_sale")
    last = orders_of_sale.aggregate(last=Max("placed_at"))["last"]
    figures = {
        "sold": balance.held + balance.consumed,
        "oversold": max(0, balance.held + balance.consumed - balance.capacity, holds.count() - UNITS),
        "duplicate_buyers": holds.values("buyer_key").annotate(n=Count("id")).filter(n__gt=1).count()
        + FlashSaleClaim.objects.values("member").annotate(n=Count("id")).filter(n__gt=1).count(),
        "orders_created": orders_of_sale.count(),
        "last_order_at": last.timestamp() if last else started,
    }
    # Every winner pays (cash at the counter, through payments; the handler makes the order paid).
    staff = StaffMember.objects.filter(merchant=merchant).first()
    if staff is None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(username="bench-clerk", password=None)
        staff = StaffMember.objects.create(merchant=merchant, user=user, role=StaffRole.OWNER)
    paid_started = time.perf_counter()
    for order in orders_of_sale.filter(status=OrderStatus.PENDING_PAYMENT):
        orders.order_record_offline_payment(merchant=merchant, order=order, method="offline_cash", staff=staff)
    while deliver_due():
        pass
    paid = orders_of_sale.filter(status=OrderStatus.PAID).count()
    balance = pool_balance(pool)
    figures.update(
        {
            "orders_paid": paid,
            "paid_orders_lost": figures["orders_created"] - paid,
            "units_consumed_after_payment": balance.consumed,
            "claims_paid": FlashSaleClaim.objects.filter(sale=sale, status="paid").count(),
            "ledger_balances": ledger_balance(pool) == balance,
            "seconds_to_pay_all": round(time.perf_counter() - paid_started, 2),
        }
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        figures["synchronous_commit"] = cursor.fetchone()[0]
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(Path(ROOT)))
        _child(sys.argv[2], sys.argv[3:])
    else:
        run()
