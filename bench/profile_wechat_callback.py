"""In-process CPU cost of one WeChat callback POST, and where it goes (issue #3).

Not a load test: the WSGI application is called in a loop, in this one process, with pre-signed
distinct text messages (plaintext, then safe mode), the queue deferred as in production. The
figure is CPU per message, which other work on the machine disturbs far less than HTTP figures.

    python -m bench.profile_wechat_callback [--db sqlite|postgresql] [--n 3000] [--profile] [--drain]

``--profile`` prints cProfile's top costs; ``--drain`` then times the queue draining the backlog
(messages/s handled by one worker). PostgreSQL uses ``WELOOP_BENCH_PG`` (recreated), default
``postgresql://postgres@127.0.0.1:5432/weloop_prof``.
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
    os.environ.setdefault("WELOOP_LOG_LEVEL", "WARNING")
    if db == "postgresql":
        url = os.environ.get("WELOOP_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/weloop_prof")
        _recreate(url)
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "weloop.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _environ(path: str, query: str, body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "text/xml",
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


def _prepared(account, mode: str, count: int, users: list[str]) -> list[tuple[str, bytes]]:
    from weloop.wechat.crypto import CallbackCredentials, seal_inbound

    creds = CallbackCredentials(appid=account.appid, token=account.token, encoding_aes_key=account.encoding_aes_key)
    base_id = int(time.time() * 1000) * 1000 + secrets.randbelow(1000) * 10_000_000
    out = []
    for i in range(count):
        xml = (
            f"<xml><ToUserName><![CDATA[{account.original_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{users[i % len(users)]}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[hello {i}]]></Content><MsgId>{base_id + i}</MsgId></xml>"
        )
        query, body = seal_inbound(creds, xml, mode, int(time.time()), secrets.token_hex(5))
        out.append((urllib.parse.urlencode(query), body))
    return out


def _run(app, slug: str, prepared: list[tuple[str, bytes]]) -> None:
    path = f"/wechat/{slug}/callback"
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    for query, body in prepared:
        result = app(_environ(path, query, body), start_response)
        b"".join(result)
        if hasattr(result, "close"):
            result.close()
    if list(statuses) != ["200 OK"]:
        raise SystemExit(f"unexpected answers: {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--modes", default="plaintext,safe")
    parser.add_argument(
        "--only-callback-url", action="store_true", help="resolve against the callback URL only (no weloop/urls.py)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(args.db, tmp)
        from django.contrib.auth.hashers import make_password  # noqa: F401  (import cost outside the loop)
        from django.core.wsgi import get_wsgi_application
        from django.test.utils import override_settings

        from weloop.tenants.models import WechatAccount
        from weloop.tenants.services import merchant_create

        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            new = merchant_create(name="Bench", slug="bench")
        if args.only_callback_url:
            from django.conf import settings

            settings.ROOT_URLCONF = __name__
        app = get_wsgi_application()
        users = [f"o{secrets.token_hex(13)}"[:28] for _ in range(500)]
        figures: dict[str, object] = {"db": args.db, "messages_each": args.n, "loadavg": os.getloadavg()}
        from weloop.messaging.inbound import inbound_process_pending

        for mode in args.modes.split(","):
            account = WechatAccount.objects.get(pk=new.wechat.pk)
            account.message_mode = mode
            account.save()
            prepared = _prepared(account, mode, args.n + len(users), users)
            # warm up: imports, the config copy, connections; every follower becomes a member
            _run(app, "bench", prepared[: len(users)])
            inbound_process_pending()
            cpu, wall = time.process_time(), time.perf_counter()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            _run(app, "bench", prepared[len(users) :])
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            figures[f"{mode}_cpu_us_per_message"] = round(cpu / args.n * 1e6)
            figures[f"{mode}_wall_us_per_message"] = round(wall / args.n * 1e6)
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
                print(f"--- {args.db} {mode}: top {args.top} by own time ---")
                print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
        if args.drain:  # the timed messages of every mode, from known members (the steady state)
            from weloop.messaging.inbound import inbound_pending_ids

            waiting = len(inbound_pending_ids(limit=10**9))
            cpu, wall = time.process_time(), time.perf_counter()
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            done = inbound_process_pending()
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
                print(f"--- {args.db} queue drain: top {args.top} by own time ---")
                print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
            figures["drain"] = {
                "waiting": waiting,
                "handled": done,
                "messages_per_second_wall": round(done / wall) if wall else None,
                "cpu_us_per_message": round(cpu / done * 1e6) if done else None,
            }
            # Then the outbox: messaging.message_received to its subscribers (the service desk).
            from weloop.core.events import deliver_due, subscribers_of

            cpu, wall = time.process_time(), time.perf_counter()
            delivered = 0
            while attempted := deliver_due(limit=500):
                delivered += attempted
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            figures["outbox"] = {
                "subscribers_of_message_received": subscribers_of("messaging.message_received"),
                "deliveries": delivered,
                "deliveries_per_second_wall": round(delivered / wall) if wall and delivered else None,
                "cpu_us_per_delivery": round(cpu / delivered * 1e6) if delivered else None,
            }
        from django.db import connection

        connection.close()
        print(json.dumps(figures))


def __getattr__(name: str) -> object:  # urlpatterns for --only-callback-url, built on demand
    if name == "urlpatterns":
        from django.urls import path

        from weloop.gateway import views

        return [path("wechat/<slug:merchant_slug>/callback", views.callback, name="wechat_callback")]
    raise AttributeError(name)


if __name__ == "__main__":
    main()
