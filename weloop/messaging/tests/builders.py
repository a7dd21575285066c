"""Inbound WeChat XML as WeChat writes it (WECHAT.md §1.2-1.3), for tests of the callback path."""

from __future__ import annotations

import itertools
import time

from weloop.wechat.messages import Message, parse_message

_msg_ids = itertools.count(6_000_000_000_000_000_001)


def next_msg_id() -> int:
    return next(_msg_ids)


def _element(name: str, value: object) -> str:
    if isinstance(value, int | float):
        return f"<{name}>{value}</{name}>"
    return f"<{name}><![CDATA[{value}]]></{name}>"


def message_xml(account: str, openid: str, msg_type: str, *, create_time: int | None = None, **elements: object) -> str:
    header = (
        _element("ToUserName", account)
        + _element("FromUserName", openid)
        + _element("CreateTime", create_time or int(time.time()))
        + _element("MsgType", msg_type)
    )
    return "<xml>" + header + "".join(_element(name, value) for name, value in elements.items()) + "</xml>"


def text_xml(
    account: str, openid: str, content: str, *, msg_id: int | None = None, create_time: int | None = None
) -> str:
    return message_xml(account, openid, "text", create_time=create_time, Content=content, MsgId=msg_id or next_msg_id())


def location_xml(
    account: str, openid: str, latitude: float, longitude: float, *, label: str = "", msg_id: int | None = None
) -> str:
    return message_xml(
        account,
        openid,
        "location",
        Location_X=latitude,
        Location_Y=longitude,
        Scale=15,
        Label=label,
        MsgId=msg_id or next_msg_id(),
    )


def event_xml(account: str, openid: str, event: str, *, create_time: int | None = None, **elements: object) -> str:
    return message_xml(account, openid, "event", create_time=create_time, Event=event, **elements)


def subscribe_xml(account: str, openid: str, *, scene: str = "", create_time: int | None = None) -> str:
    if scene:
        return event_xml(
            account, openid, "subscribe", create_time=create_time, EventKey=f"qrscene_{scene}", Ticket="gQticket"
        )
    return event_xml(account, openid, "subscribe", create_time=create_time, EventKey="")


def parsed(xml: str) -> Message:
    return parse_message(xml)
