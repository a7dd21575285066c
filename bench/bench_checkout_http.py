"""An ordinary checkout over HTTP: cart add, then checkout, in the H5 shop (issue #4).

The real server (``weloop serve``: granian, 2 workers) on PostgreSQL with durable commits, in a
database of its own (``weloop_bench_checkout``, dropped and re-created). Each client is a signed-in
member (a session made in the database beforehand, as the WeChat sign-in would leave it) with a
keep-alive connection, and repeats the shop's two POSTs:

1. ``POST /m/<slug>/cart/add`` (``sku_id``, ``quantity=1``): 302 back to the product list;
2. ``POST /m/<slug>/checkout`` (pickup at the store, a fresh form token): ``checkout_place``
   prices the cart, holds a unit of the store's stock, writes the ``pending_payment`` order and
   empties the cart; 302 to the order's payment page.

Reported: requests/s (both kinds together), checkouts/s, p50/p99 of each kind, errors (any other
status); then the database is checked: one order per checkout answered 302, units held = orders.
Python client threads share the 2 cores with the server and PostgreSQL: figures are lower bounds.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.harness import ROOT, running_server, write_report

PG_URL = os.environ.get("WELOOP_BENCH_CHECKOUT_PG", "postgresql://postgres@127.0.0.1:5432/weloop_bench_checkout")
CLIENTS = int(os.environ.get("BENCH_CHECKOUT_CLIENTS", "16"))
DURATION = float(os.environ.get("BENCH_CHECKOUT_SECONDS", "15"))
STOCK = 1_000_000
CSRF = "benchcsrfsecret0123456789abcdefg"  # 32 characters: Django accepts the bare secret as token
GOALS: dict = {"report": "requests/s and p99 (no threshold in the issue)"}


def run() -> None:
    _recreate_database()
    env = {"DATABASE_URL": PG_URL, "WELOOP_LOG_LEVEL": "WARNING"}
    setup = _in_django(env, "setup", str(CLIENTS))
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), env=env, seed_demo=False) as base:
        _one_checkout(base, setup, setup["sessions"][0], "warm")  # imports and connections, once
        load = _load(base, setup)
    checks = _in_django(env, "verify", str(load["checkouts_ok"] + 1))
    figures = {**load, **checks}
    settings = {
        "clients": CLIENTS,
        "seconds": DURATION,
        "server": "weloop serve (granian WSGI, 2 workers x 4 threads), PostgreSQL synchronous_commit=on",
        "flow": "POST /m/<slug>/cart/add then POST /m/<slug>/checkout (pickup), per signed-in member",
        "load_generator": f"python threads ({CLIENTS}, keep-alive), on the same 2 cores",
        "note": "2 shared cores: server, PostgreSQL and the load generator; figures are noisy",
    }
    write_report("checkout_http", figures, settings=settings, goals=GOALS)


def _recreate_database() -> None:
    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True, capture_output=True
    )
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)


def _in_django(env: dict, step: str, *args: str) -> dict:
    full_env = {**os.environ, **env, "WELOOP_QUEUE_IMMEDIATE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_checkout_http", "--child", step, *args],
        env=full_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _post(conn: http.client.HTTPConnection, path: str, form: dict, session: str) -> int:
    body = urlencode(form)
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


def _one_checkout(base: str, setup: dict, session: str, tag: str, conn: http.client.HTTPConnection | None = None):
    host, port = base.removeprefix("http://").split(":")
    conn = conn or http.client.HTTPConnection(host, int(port), timeout=60)
    prefix = f"/m/{setup['slug']}"
    t0 = time.perf_counter()
    added = _post(conn, f"{prefix}/cart/add", {"sku_id": setup["sku"], "quantity": "1"}, session)
    t1 = time.perf_counter()
    placed = _post(conn, f"{prefix}/checkout", {"token": f"{tag}", "type": "pickup", "store": setup["store"]}, session)
    t2 = time.perf_counter()
    return (added, (t1 - t0) * 1000), (placed, (t2 - t1) * 1000)


def _load(base: str, setup: dict) -> dict:
    host, port = base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + DURATION
    lock = threading.Lock()
    adds: list[float] = []
    checkouts: list[float] = []
    errors: dict[str, int] = {}

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        session = setup["sessions"][n]
        my_adds, my_checkouts, my_errors, i = [], [], {}, 0
        while time.monotonic() < stop_at:
            i += 1
            try:
                (added, add_ms), (placed, checkout_ms) = _one_checkout(base, setup, session, f"c{n}-{i}", conn)
            except Exception as exc:  # a dropped connection: count it, reconnect
                my_errors[type(exc).__name__] = my_errors.get(type(exc).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                continue
            my_adds.append(add_ms)
            my_checkouts.append(checkout_ms)
            for kind, status in (("cart_add", added), ("checkout", placed)):
                if status != 302:
                    my_errors[f"{kind}:{status}"] = my_errors.get(f"{kind}:{status}", 0) + 1
        with lock:
            adds.extend(my_adds)
            checkouts.extend(my_checkouts)
            for key, count in my_errors.items():
                errors[key] = errors.get(key, 0) + count

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    both = sorted(adds + checkouts) or [0.0]
    failed_checkouts = sum(v for k, v in errors.items() if k.startswith("checkout:"))
    return {
        "requests": len(both),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(both) / seconds, 1),
        "checkouts_per_second": round(len(checkouts) / seconds, 1),
        "checkouts_ok": len(checkouts) - failed_checkouts,
        "p50_ms": round(statistics.median(both), 2),
        "p99_ms": round(both[min(len(both) - 1, int(len(both) * 0.99))], 2),
        "cart_add": _percentiles(adds),
        "checkout": _percentiles(checkouts),
        "errors": errors,
    }


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values) or [0.0]
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }


# --- the child: set up and verify, in the bench database -------------------------------------


def _child(step: str, args: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weloop.settings")
    django.setup()
    result = _setup(int(args[0])) if step == "setup" else _verify(int(args[0]))
    print(json.dumps(result))


def _setup(clients: int) -> dict:
    from django.contrib.sessions.backends.db import SessionStore

    from bench.bench_flash_sale_http import bench_shop
    from weloop.inventory.enums import PoolKind
    from weloop.inventory.services import capacity_pool_get_or_create, location_for_store
    from weloop.members.models import Member
    from weloop.storefront.identity import member_key
    from weloop.tenants.services import wechat_account_create_simulated

    merchant, sku, store, _key, openids = bench_shop("bench-checkout", clients)
    wechat_account_create_simulated(merchant=merchant)  # the H5 shop needs a connected account
    capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.GOODS_STOCK,
        subject=f"sku:{sku.public_id}",
        location=location_for_store(merchant=merchant, store=store),
        initial_capacity=STOCK,
        actor="bench",
    )
    sessions = []
    for member in Member.objects.filter(merchant=merchant, openid__in=openids).order_by("id"):
        session = SessionStore()
        session[member_key(merchant)] = member.public_id
        session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
        session.create()
        sessions.append(session.session_key)
    return {"slug": merchant.slug, "sku": sku.public_id, "store": store.public_id, "sessions": sessions}


def _verify(expected_orders: int) -> dict:
    from django.db import connection

    from weloop.inventory.enums import PoolKind
    from weloop.inventory.models import CapacityPool
    from weloop.orders.models import Order
    from weloop.tenants.models import Merchant

    merchant = Merchant.objects.get(slug="bench-checkout")
    orders = Order.objects.filter(merchant=merchant).count()
    pool = CapacityPool.objects.get(merchant=merchant, kind=PoolKind.GOODS_STOCK)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    return {
        "orders_written": orders,
        "orders_expected": expected_orders,  # the checkouts answered 302, plus the warm-up's
        "units_held": pool.held,
        "consistent": orders == expected_orders == pool.held,
        "synchronous_commit": synchronous_commit,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.path.insert(0, str(Path(ROOT)))
        _child(sys.argv[2], sys.argv[3:])
    else:
        run()
