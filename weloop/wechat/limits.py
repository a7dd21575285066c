"""WeChat's documented limits as data, with the checks the console and the API client share.

Byte limits are UTF-8 bytes: one Chinese character counts 3 (WECHAT.md §3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from weloop.wechat.errors import InvalidMenu, LimitExceeded
from weloop.wechat.messages import Message

# --- custom menu (§3.2) --------------------------------------------------------------------------

MENU_MAX_BUTTONS = 3
MENU_MAX_SUB_BUTTONS = 5
MENU_NAME_MAX_BYTES = 16
MENU_SUB_NAME_MAX_BYTES = 60
MENU_KEY_MAX_BYTES = 128
MENU_URL_MAX_BYTES = 1024

# Each button type and the fields it needs besides name.
MENU_BUTTON_FIELDS: Mapping[str, tuple[str, ...]] = {
    "click": ("key",),
    "view": ("url",),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "location_select": ("key",),
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
    "miniprogram": ("url", "appid", "pagepath"),
}
MENU_BUTTON_TYPES = frozenset(MENU_BUTTON_FIELDS)


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def _menu_error(path: str, reason: str, message: str) -> InvalidMenu:
    return InvalidMenu(message, extra={"path": path, "reason": reason})


def _check_bytes(button: Mapping[str, Any], name: str, limit: int, path: str) -> None:
    value = button.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _menu_error(f"{path}.{name}", "required", _("“%(field)s” is required.") % {"field": name})
    if utf8_len(value) > limit:
        raise _menu_error(
            f"{path}.{name}",
            "too_long",
            _("“%(field)s” is at most %(limit)d bytes (a Chinese character counts 3).")
            % {"field": name, "limit": limit},
        )


def _check_leaf(button: Mapping[str, Any], path: str) -> None:
    kind = button.get("type")
    if kind not in MENU_BUTTON_TYPES:
        raise _menu_error(f"{path}.type", "bad_type", _("This button type is not supported."))
    limits = {"key": MENU_KEY_MAX_BYTES, "url": MENU_URL_MAX_BYTES}
    for name in MENU_BUTTON_FIELDS[kind]:
        _check_bytes(button, name, limits.get(name, MENU_URL_MAX_BYTES), path)


def validate_menu(buttons: Sequence[Mapping[str, Any]]) -> None:
    """Check a menu (the ``button`` list of menu/create) against WeChat's limits.

    1-3 top buttons with 0-5 sub buttons each; names ≤ 16 bytes at the top and ≤ 60 below; keys
    ≤ 128 bytes; URLs ≤ 1024 bytes; known types; a top button with sub buttons has no type.
    Raises ``InvalidMenu`` whose ``extra["path"]`` points at the bad field (``button[0].sub_button[2].key``).
    """
    if not isinstance(buttons, Sequence) or isinstance(buttons, str) or not 1 <= len(buttons) <= MENU_MAX_BUTTONS:
        raise _menu_error("button", "count", _("A menu has 1 to 3 buttons."))
    for index, button in enumerate(buttons):
        path = f"button[{index}]"
        if not isinstance(button, Mapping):
            raise _menu_error(path, "not_an_object", _("A button must be an object."))
        _check_bytes(button, "name", MENU_NAME_MAX_BYTES, path)
        subs = button.get("sub_button") or []
        if not isinstance(subs, Sequence) or isinstance(subs, str) or len(subs) > MENU_MAX_SUB_BUTTONS:
            raise _menu_error(f"{path}.sub_button", "count", _("A button has at most 5 sub buttons."))
        if not subs:
            _check_leaf(button, path)
            continue
        if button.get("type"):
            raise _menu_error(f"{path}.type", "type_with_sub_buttons", _("A button with sub buttons has no type."))
        for sub_index, sub in enumerate(subs):
            sub_path = f"{path}.sub_button[{sub_index}]"
            if not isinstance(sub, Mapping):
                raise _menu_error(sub_path, "not_an_object", _("A button must be an object."))
            if sub.get("sub_button"):
                raise _menu_error(f"{sub_path}.sub_button", "too_deep", _("Sub buttons cannot have sub buttons."))
            _check_bytes(sub, "name", MENU_SUB_NAME_MAX_BYTES, sub_path)
            _check_leaf(sub, sub_path)


# --- tags (§3.6) and mass sends (§3.7) ------------------------------------------------------------

TAGS_PER_ACCOUNT_MAX = 100
TAGS_PER_USER_MAX = 20
TAG_NAME_MAX_BYTES = 30
TAG_BATCH_MAX_OPENIDS = 50
RESERVED_TAG_IDS = frozenset({0, 1, 2})  # system tags: cannot be edited
MASS_SENDS_PER_USER_PER_MONTH = 4  # service accounts; more fail for that user


def validate_tag_name(name: str) -> None:
    """Raise ``LimitExceeded`` unless ``name`` is 1-30 bytes."""
    if not name.strip() or utf8_len(name) > TAG_NAME_MAX_BYTES:
        raise LimitExceeded(
            _("A tag name is 1 to %(limit)d bytes (a Chinese character counts 3).") % {"limit": TAG_NAME_MAX_BYTES},
            extra={"field": "name", "limit": TAG_NAME_MAX_BYTES},
        )


def validate_tag_batch(openids: Sequence[str]) -> None:
    """Raise ``LimitExceeded`` unless there are 1-50 openids (WeChat answers 40032 otherwise)."""
    if not 1 <= len(openids) <= TAG_BATCH_MAX_OPENIDS:
        raise LimitExceeded(
            _("Tag 1 to %(limit)d users at a time.") % {"limit": TAG_BATCH_MAX_OPENIDS},
            extra={"field": "openid_list", "limit": TAG_BATCH_MAX_OPENIDS, "value": len(openids)},
        )


# --- parametric QR codes (§3.8) -------------------------------------------------------------------

QR_TEMPORARY_MAX_SCENE_ID = 2**32 - 1
QR_PERMANENT_MAX_SCENE_ID = 100_000
QR_SCENE_STR_MAX_LENGTH = 64
QR_MAX_EXPIRE_SECONDS = 2_592_000  # 30 days
QR_DEFAULT_EXPIRE_SECONDS = QR_MAX_EXPIRE_SECONDS


def qrcode_action(scene: int | str, *, permanent: bool, expire_seconds: int | None = None) -> dict[str, Any]:
    """The qrcode/create body for ``scene``, after checking WeChat's limits (``LimitExceeded``).

    Temporary: integer scene 1..2^32-1 or a 1-64 character string, expiring in ≤ 2592000 s
    (default 30 days: WeChat's own default is a few seconds). Permanent: 1..100000 or 1-64 characters.
    """
    if isinstance(scene, bool) or not isinstance(scene, int | str):
        raise LimitExceeded(_("A QR scene is an integer or a string."), extra={"field": "scene"})
    if isinstance(scene, int):
        top = QR_PERMANENT_MAX_SCENE_ID if permanent else QR_TEMPORARY_MAX_SCENE_ID
        if not 1 <= scene <= top:
            raise LimitExceeded(
                _("An integer QR scene is between 1 and %(limit)d.") % {"limit": top},
                extra={"field": "scene", "limit": top, "value": scene},
            )
        scene_info: dict[str, Any] = {"scene_id": scene}
    else:
        if not 1 <= len(scene) <= QR_SCENE_STR_MAX_LENGTH:
            raise LimitExceeded(
                _("A string QR scene is 1 to %(limit)d characters.") % {"limit": QR_SCENE_STR_MAX_LENGTH},
                extra={"field": "scene", "limit": QR_SCENE_STR_MAX_LENGTH, "value": len(scene)},
            )
        scene_info = {"scene_str": scene}
    kind = "STR_SCENE" if isinstance(scene, str) else "SCENE"
    if permanent:
        if expire_seconds is not None:
            raise LimitExceeded(_("A permanent QR code does not expire."), extra={"field": "expire_seconds"})
        return {"action_name": f"QR_LIMIT_{kind}", "action_info": {"scene": scene_info}}
    expire = QR_DEFAULT_EXPIRE_SECONDS if expire_seconds is None else expire_seconds
    if isinstance(expire, bool) or not isinstance(expire, int) or not 1 <= expire <= QR_MAX_EXPIRE_SECONDS:
        raise LimitExceeded(
            _("A temporary QR code expires within %(limit)d seconds (30 days).") % {"limit": QR_MAX_EXPIRE_SECONDS},
            extra={"field": "expire_seconds", "limit": QR_MAX_EXPIRE_SECONDS, "value": expire},
        )
    return {"expire_seconds": expire, "action_name": f"QR_{kind}", "action_info": {"scene": scene_info}}


# --- the customer-service window (§3.3) -----------------------------------------------------------

MESSAGE = "message"  # the user sent a message
MENU_CLICK = "menu_click"  # click / scancode_* menu buttons only
FOLLOW = "follow"
SCAN = "scan"
PAYMENT = "payment"
SENT = "sent"  # a customer-service message the account sent: uses up the quota


@dataclass(frozen=True)
class WindowRule:
    quota: int | None  # messages the account may send; None = unlimited
    valid_for: timedelta


# WeChat's current service-account table. A 2021 version said 20 after a user message: it is data.
CUSTOMER_SERVICE_WINDOWS: Mapping[str, WindowRule] = {
    MESSAGE: WindowRule(quota=5, valid_for=timedelta(hours=48)),
    MENU_CLICK: WindowRule(quota=3, valid_for=timedelta(minutes=1)),
    FOLLOW: WindowRule(quota=3, valid_for=timedelta(minutes=1)),
    SCAN: WindowRule(quota=3, valid_for=timedelta(minutes=1)),
    PAYMENT: WindowRule(quota=None, valid_for=timedelta(hours=48)),
}


@dataclass(frozen=True)
class Interaction:
    """Something that happened between one user and the account: a user action or a ``SENT`` message."""

    kind: str
    at: datetime


@dataclass
class _Grant:
    expires_at: datetime
    remaining: int | None


def _active_grants(interactions: Iterable[Interaction], now: datetime, rules: Mapping[str, WindowRule]) -> list[_Grant]:
    """Replay the history: each kind of user action opens (or renews) its own window; a send uses
    up the limited window that ends first, unless an unlimited one is open."""
    grants: dict[str, _Grant] = {}
    for event in sorted((i for i in interactions if i.at <= now), key=lambda i: i.at):
        open_grants = {kind: g for kind, g in grants.items() if g.expires_at > event.at}
        if event.kind in rules:
            rule = rules[event.kind]
            open_grants[event.kind] = _Grant(event.at + rule.valid_for, rule.quota)
        elif event.kind == SENT and not any(g.remaining is None for g in open_grants.values()):
            limited = [g for g in open_grants.values() if g.remaining]
            if limited:
                min(limited, key=lambda g: g.expires_at).remaining -= 1  # type: ignore[operator]
        grants = open_grants
    return [g for g in grants.values() if g.expires_at > now and (g.remaining is None or g.remaining > 0)]


def window_allows(
    interactions: Iterable[Interaction], now: datetime, rules: Mapping[str, WindowRule] = CUSTOMER_SERVICE_WINDOWS
) -> tuple[bool, int | None, datetime | None]:
    """May the account send a customer-service message to this user ``now``?

    Returns ``(allowed, remaining, expires_at)``: how many more messages may be sent (None =
    unlimited) and when the last open window closes. Sending outside it gets WeChat error 45015,
    beyond the quota 45047.
    """
    grants = _active_grants(interactions, now, rules)
    if not grants:
        return False, 0, None
    expires_at = max(g.expires_at for g in grants)
    if any(g.remaining is None for g in grants):
        return True, None, expires_at
    return True, sum(g.remaining or 0 for g in grants), expires_at


def window_interaction(msg: Message) -> str | None:
    """The window-opening kind of an inbound message or event, or None if it opens no window."""
    if not msg.is_event:
        return MESSAGE
    if msg.event in ("click", "scancode_push", "scancode_waitmsg"):
        return MENU_CLICK
    if msg.event == "subscribe":
        return FOLLOW
    if msg.event == "scan":
        return SCAN
    return None
