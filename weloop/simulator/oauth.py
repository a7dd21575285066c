"""Web authorization (网页授权, WECHAT.md §3.9): codes, the per-user web token and userinfo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import transaction

from weloop.core import clock
from weloop.simulator import errors, identifiers
from weloop.simulator.accounts import SimAccount
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimOAuthCode, SimUser, SimWebToken
from weloop.simulator.tokens import account_for_credentials

SCOPES = ("snsapi_base", "snsapi_userinfo")
CODE_LIFETIME = timedelta(minutes=5)
WEB_TOKEN_LIFETIME = timedelta(seconds=7200)
REFRESH_LIFETIME = timedelta(days=30)


def redirect_uri_is_acceptable(uri: str) -> bool:
    """An absolute http(s) URL. (WeChat also checks the registered domain; the simulator cannot.)"""
    parts = urlsplit(uri or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def redirect_with(uri: str, **params: str) -> str:
    """``uri`` with ``params`` added to its query (any fragment dropped, like a browser redirect)."""
    parts = urlsplit(uri)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def code_issue(*, account: SimAccount, user: SimUser, scope: str) -> SimOAuthCode:
    now = clock.now()
    return SimOAuthCode.objects.create(
        code=identifiers.new_code(),
        appid=account.appid,
        openid=user.openid,
        scope=scope,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )


def code_exchange(*, appid: str, secret: str, code: str, grant_type: str) -> SimWebToken:
    """/sns/oauth2/access_token: a code works once (40163 after), for 5 minutes, for its own appid."""
    if grant_type != "authorization_code":
        raise WechatApiError(errors.INVALID_GRANT_TYPE)
    account = account_for_credentials(appid=appid, secret=secret)
    if not code:
        raise WechatApiError(errors.CODE_MISSING)
    now = clock.now()
    with transaction.atomic():
        row = SimOAuthCode.objects.select_for_update().filter(code=code, appid=account.appid).first()
        if row is None:
            raise WechatApiError(errors.INVALID_CODE)
        if row.used_at is not None:
            raise WechatApiError(errors.CODE_BEEN_USED)
        if now >= row.expires_at:
            # The doc lists 42003 "code expired", but an expired code is reported as 40029 in practice.
            raise WechatApiError(errors.INVALID_CODE)
        # Conditional update: of two concurrent exchanges exactly one wins, on SQLite and PostgreSQL.
        if not SimOAuthCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
            raise WechatApiError(errors.CODE_BEEN_USED)
        return SimWebToken.objects.create(
            access_token=identifiers.new_access_token(),
            refresh_token=identifiers.new_access_token(),
            appid=account.appid,
            openid=row.openid,
            scope=row.scope,
            expires_at=now + WEB_TOKEN_LIFETIME,
            refresh_expires_at=now + REFRESH_LIFETIME,
        )


def web_token_response(token: SimWebToken) -> dict[str, Any]:
    response: dict[str, Any] = {
        "access_token": token.access_token,
        "expires_in": int(WEB_TOKEN_LIFETIME.total_seconds()),
        "refresh_token": token.refresh_token,
        "openid": token.openid,
        "scope": token.scope,
    }
    user = SimUser.objects.filter(openid=token.openid).first()
    if user is not None and user.unionid and token.scope == "snsapi_userinfo":
        response["unionid"] = user.unionid
    return response


def web_token_refresh(*, appid: str, refresh_token: str, grant_type: str) -> SimWebToken:
    if grant_type != "refresh_token":
        raise WechatApiError(errors.INVALID_GRANT_TYPE)
    token = SimWebToken.objects.filter(refresh_token=refresh_token or "-", appid=appid or "-").first()
    if token is None:
        raise WechatApiError(errors.INVALID_REFRESH_TOKEN)
    now = clock.now()
    if now >= token.refresh_expires_at:
        raise WechatApiError(errors.REFRESH_TOKEN_EXPIRED)
    token.expires_at = now + WEB_TOKEN_LIFETIME
    token.save(update_fields=["expires_at"])
    return token


def _web_token(access_token: str, openid: str) -> SimWebToken:
    if not access_token:
        raise WechatApiError(errors.ACCESS_TOKEN_MISSING)
    token = SimWebToken.objects.filter(access_token=access_token).first()
    if token is None:
        raise WechatApiError(errors.INVALID_CREDENTIAL)
    if clock.now() >= token.expires_at:
        raise WechatApiError(errors.ACCESS_TOKEN_EXPIRED)
    if openid != token.openid:
        raise WechatApiError(errors.INVALID_OPENID)
    return token


def web_token_check(*, access_token: str, openid: str) -> None:
    """/sns/auth: ``{"errcode": 0, "errmsg": "ok"}`` when the token is valid for this openid."""
    _web_token(access_token, openid)


def userinfo(*, access_token: str, openid: str) -> dict[str, Any]:
    """/sns/userinfo: only with an snsapi_userinfo token (48001 otherwise)."""
    token = _web_token(access_token, openid)
    if token.scope != "snsapi_userinfo":
        raise WechatApiError(errors.API_UNAUTHORIZED)
    user = SimUser.objects.get(openid=token.openid)
    info: dict[str, Any] = {
        "openid": user.openid,
        "nickname": user.nickname,
        # Since 2021-10 WeChat no longer reveals gender and region: fixed values, as it sends them.
        "sex": 0,
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": user.avatar_url,
        "privilege": [],
    }
    if user.unionid:
        info["unionid"] = user.unionid
    return info
