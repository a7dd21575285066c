"""Parametric QR codes (WECHAT.md §3.8): temporary and permanent, integer and string scenes."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import qrcode

from weloop.core import clock
from weloop.simulator import errors, identifiers
from weloop.simulator.accounts import SimAccount
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimQrTicket

TEMPORARY = {"QR_SCENE": "id", "QR_STR_SCENE": "str"}
PERMANENT = {"QR_LIMIT_SCENE": "id", "QR_LIMIT_STR_SCENE": "str"}
MAX_EXPIRE_SECONDS = 2_592_000  # 30 days
DEFAULT_EXPIRE_SECONDS = 30  # when omitted (WECHAT.md: reported as 30 s; clients should always send it)
MAX_PERMANENT_SCENE_ID = 100_000
MAX_TEMPORARY_SCENE_ID = 2**32 - 1  # "32-bit non-zero integer"
QR_URL_BASE = "http://weixin.qq.com/q/"


def _scene(payload: dict[str, Any], kind: str, permanent: bool) -> tuple[int | None, str]:
    info = payload.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        raise WechatApiError(errors.INVALID_ACTION_INFO)
    if kind == "str":
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise WechatApiError(errors.INVALID_ACTION_INFO)
        return None, value
    value = scene.get("scene_id")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    highest = MAX_PERMANENT_SCENE_ID if permanent else MAX_TEMPORARY_SCENE_ID
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
        raise WechatApiError(errors.INVALID_ACTION_INFO)
    return value, ""


def _expire_seconds(payload: dict[str, Any]) -> int:
    value = payload.get("expire_seconds", DEFAULT_EXPIRE_SECONDS)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    # WeChat's behaviour past 30 days is unverified; refusing (40035) shows a client bug at once.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EXPIRE_SECONDS:
        raise WechatApiError(errors.INVALID_ARGS)
    return value


def qr_create(*, account: SimAccount, payload: dict[str, Any]) -> SimQrTicket:
    """qrcode/create. A permanent code for a scene that already has one gets the same ticket again."""
    action = payload.get("action_name")
    if action not in TEMPORARY and action not in PERMANENT:
        raise WechatApiError(errors.INVALID_ACTION_NAME)
    permanent = action in PERMANENT
    scene_id, scene_str = _scene(payload, (PERMANENT if permanent else TEMPORARY)[action], permanent)
    if permanent:
        existing = SimQrTicket.objects.filter(
            appid=account.appid, permanent=True, scene_id=scene_id, scene_str=scene_str
        ).first()
        if existing is not None:
            return existing
        expire_seconds, expire_at = None, None
    else:
        expire_seconds = _expire_seconds(payload)
        expire_at = clock.now() + timedelta(seconds=expire_seconds)
    return SimQrTicket.objects.create(
        appid=account.appid,
        ticket=identifiers.new_ticket(),
        action_name=action,
        scene_id=scene_id,
        scene_str=scene_str,
        permanent=permanent,
        expire_seconds=expire_seconds,
        expire_at=expire_at,
        url=QR_URL_BASE + identifiers.new_qr_path(),
    )


def qr_response(ticket: SimQrTicket) -> dict[str, Any]:
    response: dict[str, Any] = {"ticket": ticket.ticket, "url": ticket.url}
    if not ticket.permanent:
        response["expire_seconds"] = ticket.expire_seconds
    return response


def ticket_lookup(text: str) -> SimQrTicket | None:
    """The code a phone scanned: by its ticket, its url, or a showqrcode link carrying the ticket."""
    text = (text or "").strip()
    if not text:
        return None
    if "ticket=" in text:
        text = (parse_qs(urlsplit(text).query).get("ticket") or [text])[0]
    return SimQrTicket.objects.filter(ticket=text).first() or SimQrTicket.objects.filter(url=text).first()


def qr_png(content: str, *, box: int = 8, border: int = 4) -> bytes:
    """A black-on-white PNG of ``content``, written without Pillow (8-bit greyscale, zlib)."""
    code = qrcode.QRCode(border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(content)
    code.make(fit=True)
    rows = []
    for modules in code.get_matrix():
        line = b"".join((b"\x00" if dark else b"\xff") * box for dark in modules)
        rows.extend([b"\x00" + line] * box)  # filter type 0 per scanline
    size = len(code.get_matrix()) * box
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
