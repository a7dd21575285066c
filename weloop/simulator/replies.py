"""What WeChat accepts as a passive reply (WECHAT.md §1.4), turned into the customer-service JSON shape.

The phone's chat renders every message the account sent the same way, whatever the channel, so a
passive reply is stored as ``{"msgtype": "text", "text": {"content": ...}}`` like message/custom/send.
"""

from __future__ import annotations

from typing import Any

from weloop.simulator.push_protocol import InvalidReply
from weloop.wechat.safexml import text

REPLY_TYPES = ("text", "image", "voice", "video", "music", "news", "transfer_customer_service")


def passive_reply_body(doc: dict[str, Any], *, openid: str, original_id: str, max_articles: int) -> dict[str, Any]:
    """The reply as a message body; raises ``InvalidReply`` for anything WeChat would not show."""
    if text(doc, "ToUserName") != openid:
        raise InvalidReply(f"ToUserName must be the user's openid {openid}")
    if text(doc, "FromUserName") != original_id:
        raise InvalidReply(f"FromUserName must be the account's original id {original_id}")
    if not text(doc, "CreateTime").strip().isdigit():
        raise InvalidReply("CreateTime must be an integer")
    msgtype = text(doc, "MsgType")
    if msgtype not in REPLY_TYPES:
        raise InvalidReply(f"MsgType {msgtype!r} cannot be a passive reply")
    return {"msgtype": msgtype, msgtype: _BODIES[msgtype](doc, max_articles)}


def _required(node: Any, name: str, where: str) -> str:
    value = text(node, name) if isinstance(node, dict) else ""
    if not value:
        raise InvalidReply(f"{where} needs <{name}>")
    return value


def _child(doc: dict[str, Any], name: str) -> dict[str, Any]:
    node = doc.get(name)
    if not isinstance(node, dict):
        raise InvalidReply(f"the reply needs <{name}>")
    return node


def _text(doc: dict[str, Any], _max: int) -> dict[str, Any]:
    return {"content": _required(doc, "Content", "a text reply")}


def _media(name: str):
    def body(doc: dict[str, Any], _max: int) -> dict[str, Any]:
        return {"media_id": _required(_child(doc, name), "MediaId", f"<{name}>")}

    return body


def _video(doc: dict[str, Any], _max: int) -> dict[str, Any]:
    node = _child(doc, "Video")
    return {
        "media_id": _required(node, "MediaId", "<Video>"),
        "title": text(node, "Title"),
        "description": text(node, "Description"),
    }


def _music(doc: dict[str, Any], _max: int) -> dict[str, Any]:
    node = _child(doc, "Music")
    fields = ("Title", "Description", "MusicUrl", "HQMusicUrl", "ThumbMediaId")
    return {name.lower(): text(node, name) for name in fields}


def _news(doc: dict[str, Any], max_articles: int) -> dict[str, Any]:
    items = _child(doc, "Articles").get("item")
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    if not items:
        raise InvalidReply("a news reply needs at least one <item>")
    if len(items) > max_articles:
        raise InvalidReply(f"a news reply here may carry {max_articles} article(s), not {len(items)}")
    if text(doc, "ArticleCount") != str(len(items)):
        raise InvalidReply("ArticleCount does not match the number of <item>s")
    fields = ("Title", "Description", "PicUrl", "Url")
    return {"articles": [{name.lower(): text(item, name) for name in fields} for item in items]}


def _transfer(doc: dict[str, Any], _max: int) -> dict[str, Any]:
    return {}


_BODIES = {
    "text": _text,
    "image": _media("Image"),
    "voice": _media("Voice"),
    "video": _video,
    "music": _music,
    "news": _news,
    "transfer_customer_service": _transfer,
}
