"""The consumer's identity pages under /m/<merchant_slug>/: WeChat sign-in, "Me", the JS-SDK config.

The sign-in flow itself (state, code exchange, session) lives in ``identity``; these views parse the
request, call it and render.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from weloop.core.errors import ValidationFailed, WeloopError
from weloop.members.errors import WechatNotConnected
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page
from weloop.stores.enums import StoreStatus
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError
from weloop.wechat.jssdk import jssdk_config as signed_jssdk_config

# What the H5 pages may ask WeChat's JS-SDK for: where the visitor is, a map, the QR scanner.
JS_API_LIST = ("getLocation", "openLocation", "scanQRCode")
PAGE_URL_MAX_LENGTH = 2048


@never_cache
@require_safe
@consumer_view
def oauth_start(request: HttpRequest) -> HttpResponse:
    """Start a sign-in (the "try again" link): ``?next=<path>&scope=snsapi_base|snsapi_userinfo``."""
    scope = request.GET.get("scope", identity.BASE)
    return identity.oauth_redirect(request, scope=scope, next_path=request.GET.get("next", ""))


@never_cache
@require_safe
@consumer_view
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where WeChat sends the browser back: ``?code=…&state=…`` (no code when consent was refused)."""
    try:
        next_path = identity.sign_in_with_code(
            request, code=request.GET.get("code", "")[:512], state=request.GET.get("state", "")[:128]
        )
    except WeloopError as error:
        return _sign_in_failed(request, error)
    return redirect(next_path)


def _sign_in_failed(request: HttpRequest, error: WeloopError) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "error_code": error.code,
        "message": gettext(error.detail),
        "errcode": error.extra.get("errcode"),
        "retry_url": error.extra.get("retry") or identity.retry_path(merchant, next_path="", scope=identity.BASE),
        "home_url": identity.home_path(merchant),
    }
    response = render_page(request, "storefront/sign_in_failed.html", context)
    response.status_code = error.status
    return response


@never_cache
@require_safe
@consumer_view
@identity.member_required(scope=identity.USERINFO)
def me(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    store = member.first_store
    store_url = (
        reverse("storefront:store_detail", kwargs={"merchant_slug": request.merchant.slug, "store_id": store.public_id})  # type: ignore[attr-defined]
        if store is not None and store.status != StoreStatus.CLOSED
        else ""
    )
    context = {"member": member, "first_store": store, "first_store_url": store_url}
    return render_page(request, "storefront/me.html", context, tab="me")


def _on_public_url(url: str) -> bool:
    """A page of this site as WeChat sees it: on PUBLIC_URL (the domain registered for the JS-SDK)."""
    if not url or len(url) > PAGE_URL_MAX_LENGTH:
        return False
    public, page = urlsplit(settings.PUBLIC_URL), urlsplit(url)
    return (page.scheme, page.netloc) == (public.scheme, public.netloc) and url.startswith(settings.PUBLIC_URL + "/")


def _json_error(error: WeloopError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_safe
@consumer_view
def jssdk_config(request: HttpRequest) -> JsonResponse:
    """``wx.config`` for the page at ``?url=`` (without its #fragment), signed with the jsapi_ticket."""
    url = request.GET.get("url", "").split("#", 1)[0]
    if not _on_public_url(url):
        return _json_error(ValidationFailed("The page URL must be on this site.", extra={"field": "url"}))
    account = wechat_account_of(merchant=request.merchant)  # type: ignore[attr-defined]
    if account is None or not account.appid:
        return _json_error(WechatNotConnected())
    try:
        config: dict[str, Any] = signed_jssdk_config(WeChatApi(account.appid, account.app_secret), url, JS_API_LIST)
    except WeChatApiError as error:
        return _json_error(error)
    return JsonResponse(config)
