"""Inbound messages and events (WECHAT.md §1.2-1.3) and passive replies (§1.4).

``parse_message`` turns any callback XML into one flat ``Message``: fields a type does not have are
empty (``""``/``None``), unknown types keep their common header and ``raw``. It also parses what
wechatpy 1.8.18 does not: the subscription-notice events and ``MsgID``/``Status`` of job reports.

Replies swap ``ToUserName``/``FromUserName`` and take ``CreateTime`` from ``weloop.core.clock``.
A news reply holds exactly one article: WeChat shows only one when answering a user (since 2018).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from weloop.core import clock
from weloop.wechat.errors import MalformedXml
from weloop.wechat.safexml import element, parse_xml, text

SUCCESS = "success"  # the "no reply" answer: WeChat does nothing and does not retry

QR_SCENE_PREFIX = "qrscene_"
# The elements holding the List items of the three subscription-notice events.
_SUBSCRIBE_LIST_CONTAINERS = ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent", "SubscribeMsgSentEvent")


@dataclass(frozen=True)
class SubscribeItem:
    """One ``List`` entry of a subscribe_msg_popup/change/sent event."""

    template_id: str
    status: str = ""  # SubscribeStatusString: accept / reject (popup, change)
    popup_scene: str = ""  # 1 = H5 page, 2 = article (popup)
    msg_id: str = ""  # MsgID (sent)
    error_code: int | None = None  # ErrorCode (sent)
    error_status: str = ""  # ErrorStatus (sent)


@dataclass(frozen=True)
class Message:
    """One inbound message or event, flattened."""

    msg_type: str  # text, image, voice, video, shortvideo, location, link, event, ... (lowercase)
    event: str  # lowercase Event for msg_type "event" ("subscribe", "scan", "click", ...), else ""
    openid: str  # FromUserName
    account: str  # ToUserName: the account's original id gh_…
    create_time: int
    msg_id: str  # MsgId of a message, or MsgID of a job report / subscription-notice event
    dedup_key: str  # the same for every retry of this delivery; scope it by account yourself
    content: str = ""
    latitude: float | None = None  # Location_X, or Latitude of a LOCATION event
    longitude: float | None = None  # Location_Y, or Longitude of a LOCATION event
    precision: float | None = None
    label: str = ""
    scale: int | None = None
    pic_url: str = ""
    media_id: str = ""
    thumb_media_id: str = ""
    format: str = ""
    recognition: str = ""
    title: str = ""
    description: str = ""
    url: str = ""
    event_key: str = ""  # raw EventKey
    scene: str = ""  # QR scene: EventKey without "qrscene_" (subscribe) or as is (SCAN)
    ticket: str = ""
    msg_status: str = ""  # Status of TEMPLATESENDJOBFINISH / MASSSENDJOBFINISH
    total_count: int | None = None
    filter_count: int | None = None
    sent_count: int | None = None
    error_count: int | None = None
    scan_result: str = ""  # ScanCodeInfo/ScanResult of scancode_push / scancode_waitmsg
    pic_md5_sums: tuple[str, ...] = ()  # SendPicsInfo of the pic_* menu events
    subscribe_items: tuple[SubscribeItem, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _float(value: str) -> float | None:
    try:
        return float(value.strip())
    except ValueError:
        return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _child(node: dict[str, Any], name: str) -> dict[str, Any]:
    value = node.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def _subscribe_items(root: dict[str, Any]) -> tuple[SubscribeItem, ...]:
    items = []
    for container in _SUBSCRIBE_LIST_CONTAINERS:
        for entry in _as_list(_child(root, container).get("List")):
            if isinstance(entry, dict):
                items.append(
                    SubscribeItem(
                        template_id=text(entry, "TemplateId"),
                        status=text(entry, "SubscribeStatusString"),
                        popup_scene=text(entry, "PopupScene"),
                        msg_id=text(entry, "MsgID"),
                        error_code=_int(text(entry, "ErrorCode")),
                        error_status=text(entry, "ErrorStatus"),
                    )
                )
    return tuple(items)


def _scene(event: str, event_key: str) -> str:
    if event == "subscribe":
        return event_key[len(QR_SCENE_PREFIX) :] if event_key.startswith(QR_SCENE_PREFIX) else ""
    if event == "scan":
        return event_key
    return ""


def _dedup_key(msg_type: str, event: str, openid: str, create_time: int, msg_id: str, event_key: str) -> str:
    """MsgId for messages; FromUserName + CreateTime + Event + EventKey (+ MsgID) for events.

    Bounded length (≤ 64 characters) because EventKey can be a 1024-byte URL.
    """
    if msg_type != "event" and msg_id:
        return f"msg:{msg_id}"
    detail = hashlib.sha1(f"{msg_type}|{event}|{event_key}|{msg_id}".encode()).hexdigest()[:16]
    return f"evt:{openid[:32]}:{create_time}:{detail}"


def parse_message(xml: str | bytes | dict[str, Any]) -> Message:
    """Parse one callback message or event. Raises ``MalformedXml`` when the header is missing.

    ``xml`` may also be the document ``safexml.parse_xml`` already made of it (``Inbound.document``).
    """
    root = xml if isinstance(xml, dict) else parse_xml(xml)
    msg_type = text(root, "MsgType").strip().lower()
    openid, account = text(root, "FromUserName"), text(root, "ToUserName")
    create_time = _int(text(root, "CreateTime"))
    if not msg_type or not openid or not account or create_time is None:
        raise MalformedXml("ToUserName, FromUserName, CreateTime and MsgType are required.")
    event = text(root, "Event").strip().lower() if msg_type == "event" else ""
    msg_id = text(root, "MsgId") or text(root, "MsgID")
    event_key = text(root, "EventKey")
    location = _child(root, "SendLocationInfo")  # location_select menu event
    scan = _child(root, "ScanCodeInfo")
    pics = _as_list(_child(root, "SendPicsInfo").get("PicList"))
    return Message(
        msg_type=msg_type,
        event=event,
        openid=openid,
        account=account,
        create_time=create_time,
        msg_id=msg_id,
        dedup_key=_dedup_key(msg_type, event, openid, create_time, msg_id, event_key),
        content=text(root, "Content"),
        latitude=_float(text(root, "Location_X") or text(root, "Latitude") or text(location, "Location_X")),
        longitude=_float(text(root, "Location_Y") or text(root, "Longitude") or text(location, "Location_Y")),
        precision=_float(text(root, "Precision")),
        label=text(root, "Label") or text(location, "Label"),
        scale=_int(text(root, "Scale") or text(location, "Scale")),
        pic_url=text(root, "PicUrl"),
        media_id=text(root, "MediaId"),
        thumb_media_id=text(root, "ThumbMediaId"),
        format=text(root, "Format"),
        recognition=text(root, "Recognition"),
        title=text(root, "Title"),
        description=text(root, "Description"),
        url=text(root, "Url"),
        event_key=event_key,
        scene=_scene(event, event_key),
        ticket=text(root, "Ticket"),
        msg_status=text(root, "Status"),
        total_count=_int(text(root, "TotalCount")),
        filter_count=_int(text(root, "FilterCount")),
        sent_count=_int(text(root, "SentCount")),
        error_count=_int(text(root, "ErrorCount")),
        scan_result=text(scan, "ScanResult"),
        pic_md5_sums=tuple(text(item, "PicMd5Sum") for item in _pic_items(pics)),
        subscribe_items=_subscribe_items(root),
        raw=root,
    )


def _pic_items(pic_list: list[Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for entry in pic_list:
        if isinstance(entry, dict):
            items.extend(item for item in _as_list(entry.get("item")) if isinstance(item, dict))
    return items


# --- passive replies ---------------------------------------------------------------------------


def _reply(msg: Message, msg_type: str, body: str) -> str:
    header = (
        element("ToUserName", msg.openid)
        + element("FromUserName", msg.account)
        + element("CreateTime", int(clock.now().timestamp()))
        + element("MsgType", msg_type)
    )
    return f"<xml>{header}{body}</xml>"


def text_reply(msg: Message, content: str) -> str:
    """A text answer to ``msg``."""
    return _reply(msg, "text", element("Content", content))


def news_reply(msg: Message, title: str, description: str, url: str, pic_url: str = "") -> str:
    """A one-article news answer to ``msg`` (WeChat shows at most one when answering a user)."""
    article = (
        element("Title", title) + element("Description", description) + element("PicUrl", pic_url) + element("Url", url)
    )
    return _reply(msg, "news", element("ArticleCount", 1) + f"<Articles><item>{article}</item></Articles>")


def image_reply(msg: Message, media_id: str) -> str:
    """An image answer to ``msg``; ``media_id`` comes from WeChat's media upload."""
    return _reply(msg, "image", f"<Image>{element('MediaId', media_id)}</Image>")


def transfer_customer_service_reply(msg: Message, kf_account: str = "") -> str:
    """Hand the conversation to WeChat's human customer service (optionally to one agent)."""
    body = f"<TransInfo>{element('KfAccount', kf_account)}</TransInfo>" if kf_account else ""
    return _reply(msg, "transfer_customer_service", body)
