"""The custom menu: 1-3 buttons of 1-5 sub-buttons, with WeChat's byte limits (WECHAT.md §3.2)."""

from __future__ import annotations

from typing import Any

from weloop.core import clock
from weloop.simulator import errors
from weloop.simulator.accounts import SimAccount
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimMenu

KEY_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
MEDIA_TYPES = {"media_id", "view_limited"}
ARTICLE_TYPES = {"article_id", "article_view_limited"}
BUTTON_TYPES = KEY_TYPES | MEDIA_TYPES | ARTICLE_TYPES | {"view", "miniprogram"}
# Menu events that open a customer-service window (WECHAT.md §3.3: click/scancode types only).
WINDOW_TYPES = {"click", "scancode_push", "scancode_waitmsg"}
_KEPT_FIELDS = ("type", "name", "key", "url", "media_id", "appid", "pagepath", "article_id")

_TOP = {
    "type": errors.INVALID_BUTTON_TYPE,
    "name": errors.INVALID_BUTTON_NAME_SIZE,
    "key": errors.INVALID_BUTTON_KEY_SIZE,
    "url": errors.INVALID_BUTTON_URL_SIZE,
}
_SUB = {
    "type": errors.INVALID_SUB_BUTTON_TYPE,
    "name": errors.INVALID_SUB_BUTTON_NAME_SIZE,
    "key": errors.INVALID_SUB_BUTTON_KEY_SIZE,
    "url": errors.INVALID_SUB_BUTTON_URL_SIZE,
}


def _size(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def _check_leaf(button: dict[str, Any], codes: dict, name_limit: int) -> dict[str, Any]:
    if not 1 <= _size(button.get("name")) <= name_limit:
        raise WechatApiError(codes["name"])
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise WechatApiError(codes["type"])
    if kind in KEY_TYPES and not 1 <= _size(button.get("key")) <= 128:
        raise WechatApiError(codes["key"])
    if kind in ("view", "miniprogram") and not 1 <= _size(button.get("url")) <= 1024:
        raise WechatApiError(codes["url"])
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise WechatApiError(errors.INVALID_ARGS)
    if kind in MEDIA_TYPES and not button.get("media_id"):
        raise WechatApiError(errors.INVALID_MEDIA_ID)
    if kind in ARTICLE_TYPES and not button.get("article_id"):
        raise WechatApiError(errors.INVALID_ARGS)
    kept = {field: button[field] for field in _KEPT_FIELDS if field in button}
    return {**kept, "sub_button": []}


def _check_top(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    subs = button.get("sub_button")
    if isinstance(subs, dict):  # get_current_selfmenu_info's shape, sometimes posted back
        subs = subs.get("list")
    if not subs:
        return _check_leaf(button, _TOP, 16)
    if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
        raise WechatApiError(errors.INVALID_SUB_BUTTON_SIZE)
    if not 1 <= _size(button.get("name")) <= 16:
        raise WechatApiError(errors.INVALID_BUTTON_NAME_SIZE)
    checked = []
    for sub in subs:
        if not isinstance(sub, dict):
            raise WechatApiError(errors.DATA_FORMAT_ERROR)
        checked.append(_check_leaf(sub, _SUB, 60))
    return {"name": button["name"], "sub_button": checked}


def menu_create(*, account: SimAccount, payload: dict[str, Any]) -> None:
    """Validate and store the menu; raises the button errcodes (40016-40027) like WeChat."""
    buttons = payload.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise WechatApiError(errors.INVALID_BUTTON_SIZE)
    checked = [_check_top(button) for button in buttons]
    SimMenu.objects.update_or_create(appid=account.appid, defaults={"button": checked, "updated_at": clock.now()})


def menu_of(appid: str) -> list[dict[str, Any]] | None:
    menu = SimMenu.objects.filter(appid=appid).first()
    return menu.button if menu else None


def menu_get(*, account: SimAccount) -> dict[str, Any]:
    buttons = menu_of(account.appid)
    if buttons is None:
        raise WechatApiError(errors.MENU_NOT_EXIST)
    return {"menu": {"button": buttons}}


def menu_delete(*, account: SimAccount) -> None:
    SimMenu.objects.filter(appid=account.appid).delete()


def selfmenu_info(*, account: SimAccount) -> dict[str, Any]:
    """get_current_selfmenu_info: sub-buttons wrapped in ``{"list": [...]}``."""
    buttons = menu_of(account.appid)
    if buttons is None:
        return {"is_menu_open": 0, "selfmenu_info": {"button": []}}
    shaped = []
    for button in buttons:
        subs = button.get("sub_button") or []
        if subs:
            shaped.append({"name": button["name"], "sub_button": {"list": [_without_subs(s) for s in subs]}})
        else:
            shaped.append(_without_subs(button))
    return {"is_menu_open": 1, "selfmenu_info": {"button": shaped}}


def _without_subs(button: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in button.items() if k != "sub_button"}


def button_at(appid: str, path: str) -> dict[str, Any] | None:
    """The leaf button at ``"1"`` or ``"1.2"`` (0-based top, then sub), for the phone's taps."""
    buttons = menu_of(appid) or []
    try:
        indexes = [int(part) for part in path.split(".")]
        if len(indexes) > 2 or min(indexes) < 0:
            return None
        button = buttons[indexes[0]]
        if len(indexes) == 2:
            button = button["sub_button"][indexes[1]]
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    return None if button.get("sub_button") else button
