"""Fixtures: a merchant's simulated account, an API client that talks WeChat, and a callback server.

The callback server is a real HTTP server in a thread that checks what the simulator pushes with
wechatpy's own signing and crypto (not the platform's), so the simulator is verified independently.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from weloop.simulator import phone
from weloop.simulator.accounts import SimAccount, account_for_appid, forget_accounts
from weloop.simulator.models import SimUser

from .pay_support import notify_server, pay_world  # noqa: F401 (the WeChat Pay fixtures)

API = "/simulator/api"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def set_mode(account: SimAccount, mode: str) -> SimAccount:
    from weloop.tenants.models import WechatAccount

    WechatAccount.objects.filter(appid=account.appid).update(message_mode=mode)
    forget_accounts()  # an UPDATE sends no signal: drop this process's copies as the console's save would
    return account_for_appid(account.appid)


@pytest.fixture
def sim_account(new_merchant) -> SimAccount:
    account = account_for_appid(new_merchant.wechat.appid)
    assert account is not None
    return account


@pytest.fixture
def other_sim_account(other_new_merchant) -> SimAccount:
    return account_for_appid(other_new_merchant.wechat.appid)


@pytest.fixture
def make_user(sim_account):
    def make(account: SimAccount | None = None, *, nickname: str = "", follow: bool = True) -> SimUser:
        account = account or sim_account
        user = phone.user_create(account=account, nickname=nickname, simulator_base="http://testserver/simulator")
        if follow:
            phone.follow(account=account, user=user)
        return user

    return make


@pytest.fixture
def follower(make_user) -> SimUser:
    return make_user(nickname="Alice")


class WechatApiClient:
    """Calls the simulator the way a platform would: paths of api.weixin.qq.com, JSON bodies."""

    def __init__(self, client, account: SimAccount) -> None:
        self.client, self.account = client, account
        self._token = ""

    def token(self) -> str:
        if not self._token:
            self._token = self.get(
                "/cgi-bin/token",
                grant_type="client_credential",
                appid=self.account.appid,
                secret=self.account.app_secret,
                auth=False,
            )["access_token"]
        return self._token

    def renew(self) -> None:
        """Forget the token (after moving the clock past its two hours)."""
        self._token = ""

    def get(self, path: str, *, auth: bool = True, **params: Any) -> dict[str, Any]:
        if auth and "access_token" not in params:
            params["access_token"] = self.token()
        response = self.client.get(API + path, params)
        assert response.status_code == 200, response.content
        return response.json()

    def post(self, path: str, body: Any, *, auth: bool = True, **params: Any) -> dict[str, Any]:
        if auth and "access_token" not in params:
            params["access_token"] = self.token()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        data = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
        response = self.client.post(f"{API}{path}?{query}", data=data, content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def wechat(client, sim_account) -> WechatApiClient:
    return WechatApiClient(client, sim_account)


# --- the merchant's callback, played by a tiny HTTP server ------------------------------------------


@dataclass
class Received:
    query: dict[str, str]
    body: str
    message: dict[str, Any]  # the decrypted, parsed message
    encrypted: bool


@dataclass
class CallbackServer:
    """Answers each push with ``respond(received, attempt_index) -> (status, body, delay_s)``."""

    account: SimAccount
    url: str = ""
    received: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    respond: Callable[[Received, int], tuple[int, str, float]] = lambda r, i: (200, "success", 0.0)

    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.account.token, self.account.encoding_aes_key, self.account.appid)

    def encrypted_reply(self, xml: str) -> str:
        return self.crypto().encrypt_message(xml, "nonce123", str(int(time.time())))

    def text_reply(self, received: Received, content: str) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{received.message['FromUserName']}]]></ToUserName>"
            f"<FromUserName><![CDATA[{received.message['ToUserName']}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content></xml>"
        )

    def open(self, query: dict[str, str], body: str) -> Received:
        check_signature(self.account.token, query["signature"], query["timestamp"], query["nonce"])
        envelope = xmltodict.parse(body)["xml"] if body else {}
        if query.get("encrypt_type") == "aes":
            plain = self.crypto().decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
            return Received(query, body, xmltodict.parse(plain)["xml"], True)
        return Received(query, body, envelope, False)


@pytest.fixture
def callback_server(settings, sim_account) -> Iterator[CallbackServer]:
    server_state = CallbackServer(account=sim_account)

    class Handler(BaseHTTPRequestHandler):
        def _query(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

        def do_GET(self):  # the URL check
            query = self._query()
            try:
                check_signature(server_state.account.token, query["signature"], query["timestamp"], query["nonce"])
                self._answer(200, query.get("echostr", ""))
            except Exception as error:
                server_state.errors.append(repr(error))
                self._answer(403, "")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            try:
                received = server_state.open(self._query(), body)
            except Exception as error:
                server_state.errors.append(repr(error))
                self._answer(403, "")
                return
            server_state.received.append(received)
            status, reply, delay = server_state.respond(received, len(server_state.received) - 1)
            time.sleep(delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the simulator gave up waiting
                self._answer(status, reply)

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    settings.WELOOP_SIMULATOR_CALLBACK_BASE = server_state.url
    settings.SIMULATOR_PUSH_TIMEOUT = 0.3
    yield server_state
    httpd.shutdown()
    httpd.server_close()


def set_phone(client, account: SimAccount, user: SimUser | None) -> None:
    session = client.session
    session["simulator.appid"] = account.appid
    session["simulator.openid"] = user.openid if user else ""
    session.save()
