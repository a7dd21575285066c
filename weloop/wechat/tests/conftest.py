"""A tiny local HTTP server standing in for api.weixin.qq.com in the client's unit tests.

The real simulator (weloop.simulator) is exercised end to end elsewhere; here each test programs
the answers it needs and inspects exactly what the client sent.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Answer = tuple[int, Any]  # (HTTP status, dict for JSON / str / bytes)
Route = Callable[[Recorded], Answer]


class FakeWeChat:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.routes: dict[str, Route] = {}
        self._tokens = itertools.count(1)
        self.lock = threading.Lock()
        self.route("/cgi-bin/token", self.issue_token)

    def route(self, path: str, handler: Route | dict[str, Any]) -> None:
        self.routes[path] = handler if callable(handler) else (lambda _request, answer=handler: (200, answer))

    def issue_token(self, _request: Recorded) -> Answer:
        return 200, {"access_token": f"TOKEN{next(self._tokens)}", "expires_in": 7200}

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        recorded = Recorded(
            method=handler.command,
            path=url.path,
            query={k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
            body=handler.rfile.read(length) if length else b"",
        )
        with self.lock:
            self.requests.append(recorded)
        route = self.routes.get(url.path)
        status, payload = route(recorded) if route else (404, "not found")
        if isinstance(payload, dict | list):
            payload = json.dumps(payload, ensure_ascii=False)
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (timeout tests)
            handler.wfile.write(data)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.fake.answer(self)  # type: ignore[attr-defined]

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    fake = FakeWeChat()
    server.fake = fake  # type: ignore[attr-defined]
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_cache(settings: Any) -> None:
    """A cache of this test's own (the default one is a file cache shared with other processes)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"wechat-{uuid.uuid4()}"}
    }
