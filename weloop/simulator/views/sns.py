"""https://api.weixin.qq.com/sns/... (web authorization) under /simulator/api/sns/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from weloop.simulator import oauth
from weloop.simulator.views.api import OK, wechat_api

Payload = dict[str, Any]


@wechat_api(method="GET", authenticated=False)
def oauth2_access_token(request: HttpRequest, account: None, payload: Payload) -> dict:
    token = oauth.code_exchange(
        appid=request.GET.get("appid", ""),
        secret=request.GET.get("secret", ""),
        code=request.GET.get("code", ""),
        grant_type=request.GET.get("grant_type", ""),
    )
    return oauth.web_token_response(token)


@wechat_api(method="GET", authenticated=False)
def oauth2_refresh_token(request: HttpRequest, account: None, payload: Payload) -> dict:
    token = oauth.web_token_refresh(
        appid=request.GET.get("appid", ""),
        refresh_token=request.GET.get("refresh_token", ""),
        grant_type=request.GET.get("grant_type", ""),
    )
    return oauth.web_token_response(token)


@wechat_api(method="GET", authenticated=False)
def userinfo(request: HttpRequest, account: None, payload: Payload) -> dict:
    return oauth.userinfo(access_token=request.GET.get("access_token", ""), openid=request.GET.get("openid", ""))


@wechat_api(method="GET", authenticated=False)
def auth(request: HttpRequest, account: None, payload: Payload) -> dict:
    oauth.web_token_check(access_token=request.GET.get("access_token", ""), openid=request.GET.get("openid", ""))
    return OK
