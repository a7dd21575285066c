"""A WeChat that refuses everything, and one that cannot be reached, for console tests.

(The simulator over real HTTP is the project-wide ``simulated_wechat`` fixture.)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# A port nothing listens on: connecting fails at once ("WeChat is unreachable").
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def refusing_wechat(settings) -> Iterator[dict]:
    """A WeChat that answers every API call with errcode 40164 (caller IP not whitelisted).

    The commonest refusal a new live account meets; the simulator never sends it. Returns the
    answer, which a test may change.
    """
    answer = {"errcode": 40164, "errmsg": "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist"}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = json.dumps(answer).encode()
            self.send_response(200)  # WeChat reports errors in the body, with HTTP 200
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WECHAT_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    yield answer
    server.shutdown()
    server.server_close()
