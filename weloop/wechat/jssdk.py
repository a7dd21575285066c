"""The JS-SDK signature and the ``wx.config`` a page needs (WECHAT.md §3.10)."""

from __future__ import annotations

import hashlib
import secrets
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from weloop.core import clock

if TYPE_CHECKING:
    from weloop.wechat.client import WeChatApi

_NONCE_ALPHABET = string.ascii_letters + string.digits


def jssdk_signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…"): raw values, ``url`` without its #fragment."""
    page = url.split("#", 1)[0]
    signed = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
    return hashlib.sha1(signed.encode("utf-8")).hexdigest()


def jssdk_config(api: WeChatApi, url: str, js_api_list: Sequence[str], *, debug: bool = False) -> dict[str, Any]:
    """The object to pass to ``wx.config`` on the page at ``url`` (its domain must be registered).

    Raises ``WeChatApiError``/``WeChatUnavailable`` when the jsapi_ticket cannot be fetched.
    """
    noncestr = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(16))
    timestamp = int(clock.now().timestamp())
    return {
        "debug": debug,
        "appId": api.appid,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": jssdk_signature(api.jsapi_ticket(), noncestr, timestamp, url),
        "jsApiList": list(js_api_list),
    }
