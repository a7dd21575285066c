"""Foundation HTTP figures: /healthz and the stores API through granian, embedded SQLite default.

Issue #2 sets no goal; these are the baseline every later HTTP benchmark compares against.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import http_load, running_server, write_report

DEMO_KEY = "wlk_demo_wheatfield_do_not_use_in_production_0001"
WORKERS, THREADS, CONCURRENCY, DURATION = 2, 4, 8, 5.0


def run() -> None:
    figures = {}
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), workers=WORKERS, threads=THREADS) as base:
        auth = {"Authorization": f"Bearer {DEMO_KEY}"}
        figures["healthz"] = http_load(
            base, lambda i: ("GET", "/healthz", None, {}), concurrency=CONCURRENCY, duration=DURATION
        ).summary()
        figures["api_store_list"] = http_load(
            base, lambda i: ("GET", "/api/v1/stores", None, auth), concurrency=CONCURRENCY, duration=DURATION
        ).summary()
        figures["h5_store_list"] = http_load(
            base, lambda i: ("GET", "/m/wheatfield/", None, {}), concurrency=CONCURRENCY, duration=DURATION
        ).summary()
    write_report(
        "http_foundation",
        figures,
        settings={
            "database": "sqlite (WAL)",
            "server": "granian wsgi",
            "workers": WORKERS,
            "threads_per_worker": THREADS,
            "client_concurrency": CONCURRENCY,
            "seconds_each": DURATION,
            "load_generator": "python threads on the same 2 cores",
        },
    )
