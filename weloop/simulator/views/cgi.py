"""https://api.weixin.qq.com/cgi-bin/... as the simulator serves it under /simulator/api/cgi-bin/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from weloop.simulator import errors, menus, outbound, qrcodes, tags, tokens, users
from weloop.simulator.accounts import SimAccount
from weloop.simulator.enums import TokenKind
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimMedia
from weloop.simulator.views.api import OK, wechat_api

Payload = dict[str, Any]


# --- credentials ---------------------------------------------------------------------------------


@wechat_api(method="GET", authenticated=False)
def token(request: HttpRequest, account: None, payload: Payload) -> dict:
    if request.GET.get("grant_type") != "client_credential":
        raise WechatApiError(errors.INVALID_GRANT_TYPE)
    found = tokens.account_for_credentials(appid=request.GET.get("appid", ""), secret=request.GET.get("secret", ""))
    issued = tokens.token_issue(account=found)
    return {"access_token": issued.value, "expires_in": tokens.expires_in(issued)}


@wechat_api(method="POST", authenticated=False)
def stable_token(request: HttpRequest, account: None, payload: Payload) -> dict:
    if payload.get("grant_type") != "client_credential":
        raise WechatApiError(errors.INVALID_GRANT_TYPE)
    found = tokens.account_for_credentials(
        appid=str(payload.get("appid") or ""), secret=str(payload.get("secret") or "")
    )
    force = payload.get("force_refresh") in (True, "true", 1)
    issued = tokens.token_current_or_issue(account=found, kind=TokenKind.STABLE, force_refresh=force)
    return {"access_token": issued.value, "expires_in": tokens.expires_in(issued)}


@wechat_api(method="GET")
def getticket(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    if request.GET.get("type", "jsapi") != "jsapi":
        raise WechatApiError(errors.INVALID_ARGS)  # wx_card tickets are not simulated
    ticket = tokens.token_current_or_issue(account=account, kind=TokenKind.JSAPI_TICKET)
    return {**OK, "ticket": ticket.value, "expires_in": tokens.expires_in(ticket)}


# --- menu ---------------------------------------------------------------------------------------


@wechat_api(method="POST")
def menu_create(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    menus.menu_create(account=account, payload=payload)
    return OK


@wechat_api(method="GET")
def menu_get(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return menus.menu_get(account=account)


@wechat_api(method="GET")
def menu_delete(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    menus.menu_delete(account=account)
    return OK


@wechat_api(method="GET")
def selfmenu_info(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return menus.selfmenu_info(account=account)


# --- messages ---------------------------------------------------------------------------------------


@wechat_api(method="POST")
def custom_send(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    outbound.custom_send(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def template_send(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return {**OK, "msgid": outbound.template_send(account=account, payload=payload)}


@wechat_api(method="POST")
def subscribe_send(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    outbound.subscribe_send(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def mass_sendall(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    job = outbound.mass_sendall(account=account, payload=payload)
    response = {"errcode": 0, "errmsg": "send job submission success", "msg_id": job.msg_id}
    if job.msg_data_id is not None:
        response["msg_data_id"] = job.msg_data_id
    return response


@wechat_api(method="POST")
def mass_send(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    job = outbound.mass_send_openids(account=account, payload=payload)
    response = {"errcode": 0, "errmsg": "send job submission success", "msg_id": job.msg_id}
    if job.msg_data_id is not None:
        response["msg_data_id"] = job.msg_data_id
    return response


# --- tags and users -------------------------------------------------------------------------------


@wechat_api(method="POST")
def tags_create(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    tag = tags.tag_create(account=account, payload=payload)
    return {"tag": {"id": tag.tag_id, "name": tag.name}}


@wechat_api(method="GET")
def tags_get(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return {"tags": tags.tag_list(account=account)}


@wechat_api(method="POST")
def tags_update(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    tags.tag_update(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def tags_delete(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    tags.tag_delete(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def batch_tagging(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    tags.tag_users(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def batch_untagging(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    tags.untag_users(account=account, payload=payload)
    return OK


@wechat_api(method="POST")
def tags_of_user(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return {"tagid_list": tags.tags_of_user(account=account, payload=payload)}


@wechat_api(method="POST")
def users_of_tag(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return tags.users_of_tag(account=account, payload=payload)


@wechat_api(method="GET")
def user_info(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return users.user_info(account=account, openid=request.GET.get("openid", ""))


@wechat_api(method="GET")
def user_get(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return users.follower_list(account=account, next_openid=request.GET.get("next_openid", ""))


# --- QR codes and media ----------------------------------------------------------------------------


@wechat_api(method="POST")
def qrcode_create(request: HttpRequest, account: SimAccount, payload: Payload) -> dict:
    return qrcodes.qr_response(qrcodes.qr_create(account=account, payload=payload))


@wechat_api(method="GET")
def media_get(request: HttpRequest, account: SimAccount, payload: Payload) -> HttpResponse:
    media = SimMedia.objects.filter(appid=account.appid, media_id=request.GET.get("media_id", "")).first()
    if media is None:
        raise WechatApiError(errors.INVALID_MEDIA_ID)
    response = HttpResponse(bytes(media.data), content_type=media.content_type)
    response["Content-Disposition"] = f'attachment; filename="{media.media_id}.{media.content_type.split("/")[1]}"'
    return response
