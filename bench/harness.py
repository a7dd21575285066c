"""Shared pieces for benchmarks: machine facts, JSON reports, a server to measure, a load generator."""

from __future__ import annotations

import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

REPORT_DIR = Path(__file__).parent / "reports"
ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
    }
    with suppress(OSError):
        info["postgresql"] = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    import sqlite3

    info["sqlite"] = sqlite3.sqlite_version
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def write_report(name: str, figures: dict, settings: dict, goals: dict | None = None) -> Path:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": name,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "settings": settings,
        "figures": figures,
        "goals": goals or {},
    }
    path = REPORT_DIR / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({"benchmark": name, "figures": figures, "goals": goals or {}}, ensure_ascii=False))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(
    data_dir: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    env: dict | None = None,
    seed_demo: bool = True,
    startup_timeout: float = 300.0,
) -> Iterator[str]:
    """Start `weloop serve` on a free port with its own data dir; yield its base URL.

    ``startup_timeout`` covers migrating and seeding the demo, slow on a busy 2-core machine."""
    port = free_port()
    full_env = {
        **os.environ,
        "WELOOP_DATA_DIR": str(data_dir),
        "WELOOP_QUEUE_NAME": f"bench-{port}",
        "WELOOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    args = [
        sys.executable,
        "-m",
        "weloop.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ] + (["--seed-demo"] if seed_demo else [])
    process = subprocess.Popen(
        args, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not come up") from None
                time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms) or [0.0]
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "max_ms": round(lat[-1], 2),
        }


def http_load(
    base_url: str,
    make_request: Callable[[int], tuple[str, str, bytes | None, dict]],
    *,
    concurrency: int = 8,
    duration: float = 5.0,
    expect_status: int = 200,
) -> LoadResult:
    """Keep-alive HTTP/1.1 clients in threads for ``duration`` seconds.

    ``make_request(i)`` returns (method, path, body, headers) for the i-th request of a client.
    The load generator shares the machine's cores with the server: treat figures as lower bounds.
    """
    host, port = base_url.removeprefix("http://").split(":")
    result = LoadResult()
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local_lat, local_err, i = [], 0, 0
        while time.monotonic() < stop_at:
            method, path, body, headers = make_request(n * 1_000_000 + i)
            i += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != expect_status:
                    local_err += 1
            except Exception:
                local_err += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            local_lat.append((time.perf_counter() - started) * 1000)
        with lock:
            result.latencies_ms.extend(local_lat)
            result.errors += local_err
            result.requests += len(local_lat)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - started
    return result


WRK_SCRIPT = """
local requests = {}
local index = 0
local step = 1
function setup(thread)
  thread:set("offset", tonumber(os.getenv("WRK_THREAD_SEQ") or "0"))
end
function init(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do
    local method, path, body = line:match("^(%S+)\\t(%S+)\\t(.*)$")
    requests[#requests + 1] = wrk.format(method, path, {["Content-Type"] = "text/xml"}, body)
  end
  file:close()
  step = tonumber(args[2])
  index = tonumber(args[3]) or 0
  pause = tonumber(args[4] or "0")
end
local counter = 0
pause = 0
function delay()
  return pause
end
function request()
  counter = counter + 1
  local i = (index + counter * step) % #requests + 1
  return requests[i]
end
"""


def wrk_available() -> bool:
    import shutil

    return shutil.which("wrk") is not None


def wrk_load(
    base_url: str,
    requests: list[tuple[str, str, bytes]],
    *,
    duration: float,
    connections: int,
    threads: int = 1,
    rate: float | None = None,
    timeout: float = 10.0,
) -> dict:
    """Drive ``requests`` (method, path, body) with wrk (C, so the load generator costs little CPU).

    Requests are taken in order and never repeated within a run if there are enough of them.
    ``rate`` (requests/s in all) paces each connection with a pause of ``connections / rate``
    between its answer and its next request (wrk's ``delay()``; wrk2 is not available): an
    approximately fixed rate as long as answers come much faster than the pause.
    Returns requests/s, p50/p99 latency and errors, as wrk measured them.
    """
    import re

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "requests.tsv"
        with data.open("w") as out:
            for method, path, body in requests:
                out.write(f"{method}\t{path}\t{body.decode()}\n")
        script = Path(tmp) / "replay.lua"
        script.write_text(WRK_SCRIPT)
        load_before = os.getloadavg()[0]
        result = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{int(duration)}s",
                f"--timeout={int(timeout)}s",  # wrk's default (2 s) would hide answers slower than that
                "--latency",
                "-s",
                str(script),
                base_url,
                "--",
                str(data),
                "1",
                "0",
                str(round(connections * 1000 / rate)) if rate else "0",
            ],
            capture_output=True,
            text=True,
            timeout=duration + timeout + 60,
        )
    text = result.stdout

    def latency_ms(label: str) -> float | None:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)

    def to_ms(value: str, unit: str) -> float:
        number = float(value)
        return round(number / 1000 if unit == "us" else number * 1000 if unit == "s" else number, 2)

    latency_row = re.search(r"^\s+Latency\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", text, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    return {
        "requests_per_second": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency_ms("50"),
        "p99_ms": latency_ms("99"),
        "max_ms": to_ms(latency_row.group(5), latency_row.group(6)) if latency_row else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "load_generator": f"wrk -t{threads} -c{connections} -d{int(duration)}s"
        + (f", paced to {rate:g}/s" if rate else ""),
        "loadavg_1m_before": round(load_before, 2),
    }
