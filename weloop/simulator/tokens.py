"""access_token, stable_token and the JS-SDK ticket (WECHAT.md §3.1, §3.10).

Every API call checks its access_token. Each process keeps the rows it looked up (value -> appid,
expiry, superseded time) for at most ``TOKEN_TTL`` seconds and checks the times against the clock
on every call; issuing, saving or deleting a token in this process drops the copies at once. A
token superseded in another process keeps working for its 5-minute overlap anyway, so a copy up to
``TOKEN_TTL`` old never answers differently from the row.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from weloop.core import clock
from weloop.simulator import errors, identifiers
from weloop.simulator.accounts import SimAccount, account_for_appid
from weloop.simulator.enums import TokenKind
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimAccessToken

TOKEN_LIFETIME = timedelta(seconds=7200)
# A new token supersedes the previous ones, which keep working for about 5 minutes.
OVERLAP = timedelta(minutes=5)


def account_for_credentials(*, appid: str, secret: str) -> SimAccount:
    """The account whose appid and secret these are; raises 41002/41004/40013/40125 like WeChat."""
    if not appid:
        raise WechatApiError(errors.APPID_MISSING)
    if not secret:
        raise WechatApiError(errors.SECRET_MISSING)
    account = account_for_appid(appid)
    if account is None:
        raise WechatApiError(errors.INVALID_APPID)
    if secret != account.app_secret:
        raise WechatApiError(errors.INVALID_APPSECRET)
    return account


TOKEN_TTL = 1.0


@dataclass(frozen=True)
class _TokenCopy:
    appid: str
    expires_at: datetime
    superseded_at: datetime | None
    read_at: float  # time.monotonic()


_tokens: dict[str, _TokenCopy | None] = {}
_tokens_lock = threading.Lock()


def forget_tokens(*args: Any, **kwargs: Any) -> None:
    """Drop this process's token copies (a signal receiver: a token was saved or deleted)."""
    with _tokens_lock:
        _tokens.clear()


def _token_row(value: str) -> _TokenCopy | None:
    now = time.monotonic()
    copy = _tokens.get(value)
    if copy is not None and now - copy.read_at < TOKEN_TTL:
        return copy
    row = (
        SimAccessToken.objects.filter(value=value, kind__in=[TokenKind.TOKEN, TokenKind.STABLE])
        .values_list("appid", "expires_at", "superseded_at")
        .first()
    )
    if row is None:
        return None  # unknown tokens are not kept: a guess must not fill the memory
    found = _TokenCopy(appid=row[0], expires_at=row[1], superseded_at=row[2], read_at=now)
    with _tokens_lock:
        if len(_tokens) > 10_000:
            _tokens.clear()
        _tokens[value] = found
    return found


def token_issue(*, account: SimAccount, kind: str = TokenKind.TOKEN) -> SimAccessToken:
    """Issue a fresh credential of ``kind``; the older ones of that kind start their 5-minute overlap."""
    now = clock.now()
    with transaction.atomic():
        SimAccessToken.objects.filter(appid=account.appid, kind=kind, superseded_at__isnull=True).update(
            superseded_at=now
        )
        forget_tokens()
        return SimAccessToken.objects.create(
            appid=account.appid,
            kind=kind,
            value=identifiers.new_access_token(),
            issued_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )


def token_current_or_issue(*, account: SimAccount, kind: str, force_refresh: bool = False) -> SimAccessToken:
    """The latest valid credential of ``kind`` (stable_token, jsapi ticket), or a new one."""
    if not force_refresh:
        current = (
            SimAccessToken.objects.filter(
                appid=account.appid, kind=kind, superseded_at__isnull=True, expires_at__gt=clock.now()
            )
            .order_by("-id")
            .first()
        )
        if current is not None:
            return current
    return token_issue(account=account, kind=kind)


def expires_in(token: SimAccessToken) -> int:
    return max(0, math.ceil((token.expires_at - clock.now()).total_seconds()))


def account_for_token(value: str) -> SimAccount:
    """The account an API call's access_token belongs to; raises 41001, 40001 or 42001 like WeChat."""
    if not value:
        raise WechatApiError(errors.ACCESS_TOKEN_MISSING)
    token = _token_row(value) if len(value) <= 512 else None
    if token is None:
        raise WechatApiError(errors.INVALID_CREDENTIAL)
    now = clock.now()
    if token.superseded_at is not None and now >= token.superseded_at + OVERLAP:
        raise WechatApiError(errors.INVALID_CREDENTIAL)  # "...is invalid or not latest"
    if now >= token.expires_at:
        raise WechatApiError(errors.ACCESS_TOKEN_EXPIRED)
    account = account_for_appid(token.appid)
    if account is None:  # the merchant switched to a live account: its simulator tokens are void
        raise WechatApiError(errors.INVALID_CREDENTIAL)
    return account
