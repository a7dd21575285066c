"""In-process CPU cost of the simulator's message/template/send, and where it goes (issue #7).

Not a load test: the WSGI application is called in a loop in this one process, as the server would
call it, with distinct template sends to distinct followers (each with a ``client_msg_id``, as the
platform sends them). Three phases, each timed in CPU per message, which other work on the machine
disturbs far less than HTTP figures:

1. ``send``: POST /simulator/api/cgi-bin/message/template/send (token check, quota, the log row,
   the TEMPLATESENDJOBFINISH delivery row); the pushes are held back, not sent;
2. ``push``: the simulator pushes those TEMPLATESENDJOBFINISH events (sealed, signed) to the
   merchant's callback, which is served by the same WSGI application in-process instead of HTTP
   (so this includes the callback's own cost);
3. ``drain``: the platform's inbound queue handles the pushed events (delivery status).

    python -m bench.profile_simulator_template [--db sqlite|postgresql] [--n 2000] [--profile]

PostgreSQL uses ``WELOOP_BENCH_PG`` (dropped and re-created), default
``postgresql://postgres@127.0.0.1:5432/weloop_prof_sim``, and ``REDIS_URL`` if set.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse


def _recreate(pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)


def _setup(db: str, data_dir: str) -> None:
    os.environ["WELOOP_DATA_DIR"] = data_dir
    os.environ["WELOOP_QUEUE_NAME"] = f"prof-{os.getpid()}"
    os.environ["WELOOP_QUEUE_IMMEDIATE"] = "0"
    os.environ["WELOOP_PUBLIC_URL"] = "http://127.0.0.1:8000"
    os.environ.setdefault("WELOOP_LOG_LEVEL", "WARNING")
    if db == "postgresql":
        url = os.environ.get("WELOOP_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/weloop_prof_sim")
        _recreate(url)
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "weloop.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _environ(method: str, path: str, query: str, body: bytes, content_type: str) -> dict:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def _call(app, method: str, path: str, query: str, body: bytes, content_type: str) -> tuple[str, bytes]:
    answer: dict[str, str] = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    result = app(_environ(method, path, query, body, content_type), start_response)
    content = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return answer["status"], content


class _Phase:
    def __init__(self, profile: bool, top: int, label: str) -> None:
        self.profiler = cProfile.Profile() if profile else None
        self.top, self.label = top, label

    def __enter__(self) -> _Phase:
        from django.db import connection

        self.statements: list[str] = []

        def count(execute, sql, params, many, context):
            self.statements.append(sql)
            return execute(sql, params, many, context)

        self.wrapper = connection.execute_wrapper(count)
        self.wrapper.__enter__()
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *exc) -> None:
        if self.profiler:
            self.profiler.disable()
        self.cpu, self.wall = time.process_time() - self.cpu, time.perf_counter() - self.wall
        self.wrapper.__exit__(None, None, None)
        self.queries = len(self.statements)
        if os.environ.get("BENCH_SHOW_SQL"):
            from collections import Counter

            for sql, n in Counter(s[:150] for s in self.statements).most_common(20):
                print(f"{n:6d}  {sql}", file=sys.stderr)
        if self.profiler:
            out = io.StringIO()
            pstats.Stats(self.profiler, stream=out).sort_stats("tottime").print_stats(self.top)
            print(f"--- {self.label}: top {self.top} by own time ---", file=sys.stderr)
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()), file=sys.stderr)

    def figures(self, n: int) -> dict:
        return {
            "cpu_us_per_message": round(self.cpu / n * 1e6),
            "wall_us_per_message": round(self.wall / n * 1e6),
            "queries_per_message": round(self.queries / n, 2),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(args.db, tmp)
        from django.core.wsgi import get_wsgi_application
        from django.test.utils import override_settings

        from weloop.core import clock
        from weloop.messaging.inbound import inbound_process_pending
        from weloop.simulator import pushes
        from weloop.simulator.accounts import account_for_appid
        from weloop.simulator.models import SimDelivery, SimOutboundMessage, SimUser
        from weloop.simulator.tokens import token_issue
        from weloop.tenants.services import merchant_create

        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            new = merchant_create(name="Bench", slug="bench")
        appid = new.wechat.appid
        app = get_wsgi_application()
        warm = 200
        total = args.n + warm
        openids = [f"o{secrets.token_hex(13)}"[:28] for _ in range(total)]
        SimUser.objects.bulk_create(
            [
                SimUser(appid=appid, openid=o, nickname="b", subscribed=True, subscribe_time=clock.now())
                for o in openids
            ],
            batch_size=1000,
        )
        token = token_issue(account=account_for_appid(appid)).value
        path = "/simulator/api/cgi-bin/message/template/send"
        query = urllib.parse.urlencode({"access_token": token})
        bodies = [
            json.dumps(
                {
                    "touser": openid,
                    "template_id": "TPL_BENCH",
                    "client_msg_id": f"N{secrets.token_hex(10)}",
                    "data": {"keyword1": {"value": f"B{i}"}, "keyword2": {"value": "¥1.00"}},
                }
            ).encode()
            for i, openid in enumerate(openids)
        ]
        held: list[int] = []
        scheduled = pushes.schedule_delivery
        pushes.schedule_delivery = held.append  # type: ignore[assignment]

        def in_process_send(url, query, body, *, get):  # the callback without HTTP
            import requests

            parts = urllib.parse.urlsplit(url)
            status, content = _call(app, "POST", parts.path, urllib.parse.urlencode(query), body, "text/xml")
            response = requests.Response()
            response.status_code = int(status.split()[0])
            response._content = content
            return response

        pushes._send = in_process_send  # type: ignore[assignment]

        def send_all(chunk: list[bytes]) -> None:
            for body in chunk:
                status, content = _call(app, "POST", path, query, body, "application/json")
                if status != "200 OK" or b'"errcode": 0' not in content:
                    raise SystemExit(f"unexpected answer: {status} {content[:300]!r}")

        send_all(bodies[:warm])  # warm up: imports, connections, caches
        pushes.deliver_pushes_now(held)
        inbound_process_pending()
        held.clear()

        figures: dict[str, object] = {"db": args.db, "messages": args.n, "loadavg_before": os.getloadavg()}
        with _Phase(args.profile, args.top, f"{args.db} send") as send:
            send_all(bodies[warm:])
        figures["send"] = send.figures(args.n)
        with _Phase(args.profile, args.top, f"{args.db} push") as push:
            for i in range(0, len(held), pushes.PUSH_BATCH):  # as the pool takes them under load
                pushes.deliver_pushes_now(held[i : i + pushes.PUSH_BATCH])
        figures["push"] = push.figures(args.n)
        with _Phase(args.profile, args.top, f"{args.db} drain") as drain:
            inbound_process_pending()
        figures["drain"] = drain.figures(args.n)
        figures["total_cpu_us_per_message"] = sum(
            figures[k]["cpu_us_per_message"]  # type: ignore[index]
            for k in ("send", "push", "drain")
        )
        figures["loadavg_after"] = os.getloadavg()
        logged = SimOutboundMessage.objects.filter(appid=appid, kind="template").count()
        accepted = SimDelivery.objects.filter(appid=appid, event="TEMPLATESENDJOBFINISH", status="accepted").count()
        figures["checks"] = {"logged": logged, "pushed_and_accepted": accepted, "expected": total}
        pushes.schedule_delivery = scheduled  # type: ignore[assignment]
        from django.db import connection

        connection.close()
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
