"""Users as an account sees them: lookups that answer like WeChat, and user/info."""

from __future__ import annotations

from typing import Any

from weloop.simulator import errors
from weloop.simulator.accounts import SimAccount
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimUser


def user_of(*, account: SimAccount, openid: Any) -> SimUser:
    """The account's user with this openid; 41009 when missing, 49003 for another account's, else 40003."""
    if not openid:
        raise WechatApiError(errors.OPENID_MISSING)
    user = SimUser.objects.filter(openid=openid).first() if isinstance(openid, str) else None
    if user is None:
        raise WechatApiError(errors.INVALID_OPENID)
    if user.appid != account.appid:
        raise WechatApiError(errors.OPENID_OF_OTHER_APPID)
    return user


def user_info(*, account: SimAccount, openid: str) -> dict[str, Any]:
    """/cgi-bin/user/info since 2021-12: no nickname or avatar, those come from OAuth userinfo."""
    user = user_of(account=account, openid=openid)
    if not user.subscribed:
        return {"subscribe": 0, "openid": user.openid, "tagid_list": []}
    info: dict[str, Any] = {
        "subscribe": 1,
        "openid": user.openid,
        "language": "zh_CN",
        "subscribe_time": int(user.subscribe_time.timestamp()) if user.subscribe_time else 0,
        "remark": "",
        "groupid": 0,
        "tagid_list": sorted(user.tag_links.values_list("tag__tag_id", flat=True)),
        "subscribe_scene": user.subscribe_scene or "ADD_SCENE_OTHERS",
        "qr_scene": user.qr_scene,
        "qr_scene_str": user.qr_scene_str,
    }
    if user.unionid:
        info["unionid"] = user.unionid
    return info


def follower_list(*, account: SimAccount, next_openid: str = "") -> dict[str, Any]:
    """/cgi-bin/user/get: followers in pages of 10000, continued with ``next_openid``."""
    followers = SimUser.objects.filter(appid=account.appid, subscribed=True).order_by("id")
    total = followers.count()
    if next_openid:
        after = SimUser.objects.filter(openid=next_openid, appid=account.appid).first()
        followers = followers.filter(id__gt=after.id) if after else followers.none()
    page = list(followers.values_list("openid", flat=True)[:10000])
    return {"total": total, "count": len(page), "data": {"openid": page}, "next_openid": page[-1] if page else ""}
