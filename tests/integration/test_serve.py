"""`weloop serve` really serves: granian answers /healthz and both processes stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url: str, deadline: float) -> dict:
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except Exception as exc:  # not up yet
            last_error = exc
            time.sleep(0.3)
    raise AssertionError(f"{url} never answered: {last_error}")


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path):
    # given a fresh data dir (SQLite unless the suite runs on PostgreSQL)
    port = _free_port()
    env = {**os.environ, "WELOOP_DATA_DIR": str(tmp_path), "WELOOP_QUEUE_NAME": f"serve-test-{port}"}
    env.pop("WELOOP_QUEUE_IMMEDIATE", None)
    # serve migrates and seeds its database: give it its own SQLite file, never the suite's database.
    # REDIS_URL stays, so on the PostgreSQL + Redis run the worker uses RedisHuey.
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "weloop.cli", "serve", "--port", str(port), "--workers", "1", "--seed-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # when it is up
        health = _get_json(f"http://127.0.0.1:{port}/healthz", deadline=time.monotonic() + 90)
        # then the database and the queue report ok
        assert health["status"] == "ok"
        assert health["database"]["ok"] is True
        assert health["queue"]["ok"] is True
        # and SIGTERM stops the server and the worker with exit code 0
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output.decode(errors="replace")[-2000:]
        text = output.decode(errors="replace")
        assert "/dashboard/" in text and "demo-owner" in text  # the banner printed URLs and logins
        assert "weloop: stopped" in text
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
