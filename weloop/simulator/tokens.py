"""access_token, stable_token and the JS-SDK ticket (WECHAT.md §3.1, §3.10)."""

from __future__ import annotations

import math
from datetime import timedelta

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


def token_issue(*, account: SimAccount, kind: str = TokenKind.TOKEN) -> SimAccessToken:
    """Issue a fresh credential of ``kind``; the older ones of that kind start their 5-minute overlap."""
    now = clock.now()
    with transaction.atomic():
        SimAccessToken.objects.filter(appid=account.appid, kind=kind, superseded_at__isnull=True).update(
            superseded_at=now
        )
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
    token = (
        SimAccessToken.objects.filter(value=value, kind__in=[TokenKind.TOKEN, TokenKind.STABLE]).first()
        if len(value) <= 512
        else None
    )
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
