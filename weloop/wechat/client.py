"""A thin client for the Official Account APIs the platform calls (WECHAT.md §3).

Paths, query parameters and bodies are WeChat's own; only the base URL changes (the simulator in
simulator mode). The access_token and jsapi_ticket live in the Django cache, shared by every process:
one process refreshes them (a cache lock), the others wait for its result, because each new token
invalidates the previous one after a few minutes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.cache import cache

from weloop.wechat import limits
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable
from weloop.wechat.transport import as_int, request_json, require

# WeChat's answer when the access_token is not (or no longer) valid: refresh once and retry.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
CLIENT_MSG_ID_REUSED = 45065  # mass send: this clientmsgid was already used (answer holds its msg_id)
_LOCK_POLL_SECONDS = 0.05


def _refresh_margin(expires_in: int) -> int:
    """Refresh about 5 minutes early (less for short-lived tokens, e.g. in tests)."""
    return min(300, expires_in // 4)


def qrcode_image_url(ticket: str, *, mp_base: str | None = None) -> str:
    """The URL of a QR code's image: WECHAT_MP_BASE + /cgi-bin/showqrcode?ticket=…"""
    base = (mp_base or settings.WECHAT_MP_BASE).rstrip("/")
    return f"{base}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"


@dataclass(frozen=True)
class QrCode:
    ticket: str
    url: str  # the QR code's content; render it yourself or fetch qrcode_image_url(ticket)
    expire_seconds: int | None  # None for a permanent code


@dataclass(frozen=True)
class MassSendResult:
    msg_id: int
    msg_data_id: int | None
    duplicate: bool  # the clientmsgid had been used already: this is the earlier job


class WeChatApi:
    """The outbound APIs of one Official Account (appid + AppSecret)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self.base_url = (base_url or settings.WECHAT_API_BASE).rstrip("/")
        self.timeout = float(timeout if timeout is not None else settings.WECHAT_HTTP_TIMEOUT)
        self.session = session or requests.Session()
        # A token is only good at the server that issued it (WeChat or one simulator).
        server = hashlib.sha1(self.base_url.encode()).hexdigest()[:10]
        self._cache_prefix = f"wechat:{server}:{appid}"

    def __repr__(self) -> str:  # never the secret
        return f"WeChatApi(appid={self.appid!r}, base_url={self.base_url!r})"

    # --- credentials --------------------------------------------------------------------------

    def access_token(self, *, force_refresh: bool = False) -> str:
        """The account's access_token from the shared cache, fetched by one process when missing."""
        stale = cache.get(self._cache_key("access_token")) if force_refresh else None
        return self._cached("access_token", self._fetch_access_token, stale=stale)

    def jsapi_ticket(self) -> str:
        """The JS-SDK ticket (ticket/getticket?type=jsapi), cached and refreshed like the token."""
        return self._cached("jsapi_ticket", self._fetch_jsapi_ticket)

    def _fetch_access_token(self) -> tuple[str, int]:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
        answer = request_json(self.session, "GET", self.base_url, "/cgi-bin/token", params=params, timeout=self.timeout)
        return _credential(answer, "access_token", "/cgi-bin/token")

    def _fetch_jsapi_ticket(self) -> tuple[str, int]:
        answer = self._call("GET", "/cgi-bin/ticket/getticket", params={"type": "jsapi"})
        return _credential(answer, "ticket", "/cgi-bin/ticket/getticket")

    def _cache_key(self, kind: str) -> str:
        return f"{self._cache_prefix}:{kind}"

    def _cached(self, kind: str, fetch: Callable[[], tuple[str, int]], *, stale: str | None = None) -> str:
        """Read ``kind`` from the cache; on a miss one process fetches it under a cache lock.

        ``stale`` is a value WeChat just rejected: it is dropped unless another process already
        replaced it (a small race here costs at most one extra refresh).
        """
        key = self._cache_key(kind)
        if stale is not None and cache.get(key) == stale:
            cache.delete(key)
        value = cache.get(key)
        if value:
            return value
        lock, deadline = f"{key}:lock", time.monotonic() + self.timeout + 2
        while True:
            if cache.add(lock, "1", timeout=int(self.timeout) + 10):
                try:
                    return cache.get(key) or self._store(key, fetch)
                finally:
                    cache.delete(lock)
            time.sleep(_LOCK_POLL_SECONDS)
            value = cache.get(key)
            if value:
                return value
            if time.monotonic() > deadline:  # the refresher hung or died: do not wait forever
                return self._store(key, fetch)

    def _store(self, key: str, fetch: Callable[[], tuple[str, int]]) -> str:
        value, expires_in = fetch()
        cache.set(key, value, timeout=max(expires_in - _refresh_margin(expires_in), 1))
        return value

    # --- calls --------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        accept_errcodes: frozenset[int] = frozenset(),
    ) -> dict[str, Any]:
        """Call ``path`` with the access_token; on 40001/40014/42001 refresh it once and retry."""
        token = self.access_token()
        try:
            return self._call_with(token, method, path, params, body, accept_errcodes)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRCODES:
                raise
        token = self._cached("access_token", self._fetch_access_token, stale=token)
        try:
            return self._call_with(token, method, path, params, body, accept_errcodes)
        except WeChatApiError as error:
            if error.errcode in TOKEN_ERRCODES:
                error.retryable = False  # a fresh token was refused too: retrying will not help
            raise

    def _call_with(
        self,
        token: str,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        accept_errcodes: frozenset[int],
    ) -> dict[str, Any]:
        query = {"access_token": token, **(params or {})}
        return request_json(
            self.session,
            method,
            self.base_url,
            path,
            params=query,
            body=body,
            timeout=self.timeout,
            accept_errcodes=accept_errcodes,
        )

    # --- custom menu (§3.2) -------------------------------------------------------------------

    def menu_create(self, buttons: Sequence[Mapping[str, Any]]) -> None:
        """Publish the custom menu (checked locally first: ``InvalidMenu``)."""
        limits.validate_menu(buttons)
        self._call("POST", "/cgi-bin/menu/create", body={"button": list(buttons)})

    def menu_get(self) -> dict[str, Any]:
        """The menu as set through the API: ``{"menu": {"button": [...]}, ...}``."""
        return self._call("GET", "/cgi-bin/menu/get")

    def menu_delete(self) -> None:
        self._call("GET", "/cgi-bin/menu/delete")

    # --- customer-service messages (§3.3) -----------------------------------------------------

    def custom_send(self, openid: str, msgtype: str, body: Mapping[str, Any]) -> None:
        """Send a customer-service message; WeChat refuses outside the window (45015, 45047)."""
        self._call(
            "POST", "/cgi-bin/message/custom/send", body={"touser": openid, "msgtype": msgtype, msgtype: dict(body)}
        )

    def custom_send_text(self, openid: str, content: str) -> None:
        self.custom_send(openid, "text", {"content": content})

    def custom_send_news(self, openid: str, title: str, description: str, url: str, pic_url: str = "") -> None:
        article = {"title": title, "description": description, "url": url, "picurl": pic_url}
        self.custom_send(openid, "news", {"articles": [article]})

    # --- temporary media -----------------------------------------------------------------------

    def media_get(self, media_id: str) -> tuple[bytes, str]:
        """Download a user's image/voice/video (media/get): ``(data, content_type)``.

        WeChat answers the file itself, or a JSON error (40007 invalid media_id, e.g. expired after
        3 days): ``WeChatApiError``; network trouble is ``WeChatUnavailable``.
        """
        token = self.access_token()
        try:
            return self._media_get_with(token, media_id)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRCODES:
                raise
        token = self._cached("access_token", self._fetch_access_token, stale=token)
        return self._media_get_with(token, media_id)

    def _media_get_with(self, token: str, media_id: str) -> tuple[bytes, str]:
        path = "/cgi-bin/media/get"
        try:
            response = self.session.get(
                self.base_url + path, params={"access_token": token, "media_id": media_id}, timeout=self.timeout
            )
        except requests.Timeout:
            raise WeChatUnavailable("WeChat did not answer in time.", api=path) from None
        except requests.RequestException as error:
            raise WeChatUnavailable(f"WeChat could not be reached ({type(error).__name__}).", api=path) from None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.status_code >= 500 or response.status_code == 429:
            raise WeChatUnavailable(f"WeChat answered HTTP {response.status_code}.", api=path)
        if content_type in ("application/json", "text/plain") or response.status_code >= 400:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            errcode = as_int(answer.get("errcode") if isinstance(answer, dict) else None)
            raise WeChatApiError(
                errcode=errcode or -2,
                errmsg=str(answer.get("errmsg", "") if isinstance(answer, dict) else "not a file"),
                api=path,
            )
        return response.content, content_type or "application/octet-stream"

    # --- template messages (§3.4) and subscription notices (§3.5) ----------------------------

    def template_send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """Send a template message; returns WeChat's msgid (the TEMPLATESENDJOBFINISH MsgID).

        ``data`` maps keywords to values or to ``{"value": ...}``.
        """
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _template_data(data)}
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        answer = self._call("POST", "/cgi-bin/message/template/send", body=body)
        return as_int(answer.get("msgid"), 0) or 0

    def subscribe_send(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        page: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
    ) -> None:
        """Send a subscription notice (one per one-time grant of the user)."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _template_data(data)}
        if page:
            body["page"] = page
        if miniprogram:
            body["miniprogram"] = dict(miniprogram)
        self._call("POST", "/cgi-bin/message/subscribe/bizsend", body=body)

    # --- user tags (§3.6) ---------------------------------------------------------------------

    def tag_create(self, name: str) -> int:
        """Create a tag; returns its id. WeChat allows 100 per account (45056)."""
        limits.validate_tag_name(name)
        answer = self._call("POST", "/cgi-bin/tags/create", body={"tag": {"name": name}})
        tag = require(answer, "tag", "/cgi-bin/tags/create")
        return int(require(tag, "id", "/cgi-bin/tags/create"))

    def tag_list(self) -> list[dict[str, Any]]:
        """Every tag: ``[{"id", "name", "count"}]``."""
        return list(self._call("GET", "/cgi-bin/tags/get").get("tags", []))

    def tag_update(self, tag_id: int, name: str) -> None:
        limits.validate_tag_name(name)
        self._call("POST", "/cgi-bin/tags/update", body={"tag": {"id": tag_id, "name": name}})

    def tag_delete(self, tag_id: int) -> None:
        self._call("POST", "/cgi-bin/tags/delete", body={"tag": {"id": tag_id}})

    def tag_members_batch(self, tag_id: int, openids: Sequence[str]) -> None:
        """Tag 1-50 users (``LimitExceeded`` otherwise). A user carries at most 20 tags."""
        limits.validate_tag_batch(openids)
        body = {"openid_list": list(openids), "tagid": tag_id}
        self._call("POST", "/cgi-bin/tags/members/batchtagging", body=body)

    def tag_members_batch_untag(self, tag_id: int, openids: Sequence[str]) -> None:
        """Untag 1-50 users."""
        limits.validate_tag_batch(openids)
        body = {"openid_list": list(openids), "tagid": tag_id}
        self._call("POST", "/cgi-bin/tags/members/batchuntagging", body=body)

    def user_tags(self, openid: str) -> list[int]:
        """The ids of the tags one user carries."""
        answer = self._call("POST", "/cgi-bin/tags/getidlist", body={"openid": openid})
        return [tag_id for tag_id in (as_int(t) for t in answer.get("tagid_list") or []) if tag_id is not None]

    def tag_users(self, tag_id: int, next_openid: str = "") -> tuple[list[str], str]:
        """One page of a tag's users and the ``next_openid`` to continue from ("" at the end)."""
        answer = self._call("POST", "/cgi-bin/user/tag/get", body={"tagid": tag_id, "next_openid": next_openid})
        openids = list((answer.get("data") or {}).get("openid", []))
        next_openid = str(answer.get("next_openid") or "") if openids else ""
        return openids, next_openid

    # --- users --------------------------------------------------------------------------------

    def user_info(self, openid: str) -> dict[str, Any]:
        """A follower's profile (subscribe, openid, unionid?, subscribe_time, tagid_list, ...)."""
        return self._call("GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "zh_CN"})

    # --- mass send (§3.7) ---------------------------------------------------------------------

    def mass_send_by_tag(
        self, tag_id: int | None, msgtype: str, body: Mapping[str, Any], clientmsgid: str
    ) -> MassSendResult:
        """Send to every user with ``tag_id`` (None = all followers); ``clientmsgid`` makes it idempotent.

        Each user receives at most 4 mass messages a month; WeChat drops the rest for that user.
        """
        payload = {
            "filter": {"is_to_all": tag_id is None, **({"tag_id": tag_id} if tag_id is not None else {})},
            "msgtype": msgtype,
            msgtype: dict(body),
            "send_ignore_reprint": 0,
            "clientmsgid": clientmsgid,
        }
        answer = self._call(
            "POST", "/cgi-bin/message/mass/sendall", body=payload, accept_errcodes=frozenset({CLIENT_MSG_ID_REUSED})
        )
        duplicate = answer.get("errcode") == CLIENT_MSG_ID_REUSED
        if duplicate and "msg_id" not in answer:
            raise WeChatApiError(
                errcode=CLIENT_MSG_ID_REUSED, errmsg=str(answer.get("errmsg", "")), api="/cgi-bin/message/mass/sendall"
            )
        msg_id = as_int(require(answer, "msg_id", "/cgi-bin/message/mass/sendall"), 0) or 0
        return MassSendResult(msg_id, as_int(answer.get("msg_data_id")), duplicate)

    def mass_send_to_openids(
        self, openids: Sequence[str], msgtype: str, body: Mapping[str, Any], clientmsgid: str
    ) -> MassSendResult:
        """message/mass/send to 2..10000 openids; ``clientmsgid`` makes it idempotent (a reused one
        answers 45065 with the earlier job's msg_id, returned here as ``duplicate``)."""
        if not 2 <= len(openids) <= 10000:
            raise ValueError("mass/send takes 2 to 10000 openids")
        payload = {
            "touser": list(openids),
            "msgtype": msgtype,
            msgtype: dict(body),
            "send_ignore_reprint": 0,
            "clientmsgid": clientmsgid,
        }
        api = "/cgi-bin/message/mass/send"
        answer = self._call("POST", api, body=payload, accept_errcodes=frozenset({CLIENT_MSG_ID_REUSED}))
        duplicate = answer.get("errcode") == CLIENT_MSG_ID_REUSED
        if duplicate and "msg_id" not in answer:
            raise WeChatApiError(errcode=CLIENT_MSG_ID_REUSED, errmsg=str(answer.get("errmsg", "")), api=api)
        msg_id = as_int(require(answer, "msg_id", api), 0) or 0
        return MassSendResult(msg_id, as_int(answer.get("msg_data_id")), duplicate)

    # --- parametric QR codes (§3.8) -----------------------------------------------------------

    def qrcode_create(self, scene: int | str, *, permanent: bool, expire_seconds: int | None = None) -> QrCode:
        """Create a QR code whose scans push ``scene`` (limits checked locally: ``LimitExceeded``)."""
        body = limits.qrcode_action(scene, permanent=permanent, expire_seconds=expire_seconds)
        answer = self._call("POST", "/cgi-bin/qrcode/create", body=body)
        expires = answer.get("expire_seconds")
        return QrCode(
            ticket=str(require(answer, "ticket", "/cgi-bin/qrcode/create")),
            url=str(answer.get("url", "")),
            expire_seconds=None if permanent else as_int(expires, body["expire_seconds"]),
        )

    def qrcode_image_url(self, ticket: str) -> str:
        return qrcode_image_url(ticket)


def _template_data(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, Mapping) else {"value": str(value)} for key, value in data.items()}


def _credential(answer: Mapping[str, Any], name: str, api: str) -> tuple[str, int]:
    value = str(require(answer, name, api))
    return value, as_int(answer.get("expires_in"), 7200) or 7200
