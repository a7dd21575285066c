"""OAuth2 web authorization of an H5 page opened in WeChat (WECHAT.md §3.9).

``snsapi_base`` identifies the user silently (openid only); ``snsapi_userinfo`` asks for consent and
then allows ``fetch_userinfo``. A ``code`` is single-use and expires after 5 minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings

from weloop.wechat.transport import as_int, request_json

SCOPES = frozenset({"snsapi_base", "snsapi_userinfo"})
_STATE = re.compile(r"[A-Za-z0-9]{0,128}")


@dataclass(frozen=True)
class OAuthToken:
    openid: str
    access_token: str  # a per-user web token, not the account's access_token
    scope: str
    unionid: str | None = None
    expires_in: int = 7200
    refresh_token: str = ""
    is_snapshot_user: bool = False  # a "snapshot page" virtual user: do not treat the openid as real


@dataclass(frozen=True)
class UserInfo:
    openid: str
    nickname: str
    avatar_url: str  # headimgurl
    unionid: str | None = None
    sex: int = 0
    province: str = ""
    city: str = ""
    country: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def authorize_url(appid: str, redirect_uri: str, scope: str, state: str, *, open_base: str | None = None) -> str:
    """Where to send the user: WeChat's consent page, which comes back to ``redirect_uri?code&state``.

    Raises ``ValueError`` for an unknown scope or a ``state`` that is not ≤ 128 of [A-Za-z0-9].
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {sorted(SCOPES)}")
    if not _STATE.fullmatch(state):
        raise ValueError("state is at most 128 characters of [A-Za-z0-9]")
    base = (open_base or settings.WECHAT_OPEN_BASE).rstrip("/")
    # WeChat is known to be picky about the order of these parameters: keep the documented one.
    params = [("appid", appid), ("redirect_uri", redirect_uri), ("response_type", "code"), ("scope", scope)]
    query = urlencode([*params, ("state", state)])
    return f"{base}/connect/oauth2/authorize?{query}#wechat_redirect"


def _api(base_url: str | None, timeout: float | None) -> tuple[str, float]:
    base = (base_url or settings.WECHAT_API_BASE).rstrip("/")
    return base, float(timeout if timeout is not None else settings.WECHAT_HTTP_TIMEOUT)


def exchange_code(
    appid: str,
    secret: str,
    code: str,
    *,
    base_url: str | None = None,
    timeout: float | None = None,
    session: requests.Session | None = None,
) -> OAuthToken:
    """Exchange the ``code`` WeChat appended to the redirect for the user's openid and web token.

    Raises ``WeChatApiError`` (40029 invalid code, 40163 code already used, ...) or ``WeChatUnavailable``.
    """
    base, timeout_s = _api(base_url, timeout)
    params = {"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"}
    answer = request_json(session, "GET", base, "/sns/oauth2/access_token", params=params, timeout=timeout_s)
    return OAuthToken(
        openid=str(answer.get("openid", "")),
        access_token=str(answer.get("access_token", "")),
        scope=str(answer.get("scope", "")),
        unionid=answer.get("unionid") or None,
        expires_in=as_int(answer.get("expires_in"), 7200) or 7200,
        refresh_token=str(answer.get("refresh_token", "")),
        is_snapshot_user=str(answer.get("is_snapshotuser", "0")) == "1",
    )


def fetch_userinfo(
    access_token: str,
    openid: str,
    *,
    base_url: str | None = None,
    timeout: float | None = None,
    session: requests.Session | None = None,
) -> UserInfo:
    """The user's profile (needs a token obtained with ``snsapi_userinfo``)."""
    base, timeout_s = _api(base_url, timeout)
    params = {"access_token": access_token, "openid": openid, "lang": "zh_CN"}
    answer = request_json(session, "GET", base, "/sns/userinfo", params=params, timeout=timeout_s)
    return UserInfo(
        openid=str(answer.get("openid", openid)),
        nickname=str(answer.get("nickname", "")),
        avatar_url=str(answer.get("headimgurl", "")),
        unionid=answer.get("unionid") or None,
        sex=as_int(answer.get("sex"), 0) or 0,
        province=str(answer.get("province", "")),
        city=str(answer.get("city", "")),
        country=str(answer.get("country", "")),
        raw=answer,
    )
