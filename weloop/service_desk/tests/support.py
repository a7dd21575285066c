"""Helpers for service-desk tests: inbound messages through the real callback path, a fake WeChat."""

from __future__ import annotations

from weloop.core.events import deliver_due
from weloop.messaging.services import inbound_handle
from weloop.messaging.tests.builders import event_xml, location_xml, message_xml, next_msg_id, parsed, text_xml
from weloop.wechat.errors import WeChatApiError

__all__ = ["FakeDesk", "click", "follow", "say", "send_image", "send_location", "unfollow"]


def _deliver(merchant, xml: str) -> None:
    inbound_handle(merchant=merchant, message=parsed(xml))
    deliver_due()


def say(merchant, account: str, openid: str, text: str, *, create_time: int | None = None) -> None:
    _deliver(merchant, text_xml(account, openid, text, create_time=create_time))


def send_image(merchant, account: str, openid: str, media_id: str = "MEDIA1") -> None:
    xml = message_xml(
        account, openid, "image", PicUrl=f"http://pic.example/{media_id}", MediaId=media_id, MsgId=next_msg_id()
    )
    _deliver(merchant, xml)


def send_location(merchant, account: str, openid: str, label: str = "Shennan Ave") -> None:
    _deliver(merchant, location_xml(account, openid, 22.54, 114.05, label=label))


def follow(merchant, account: str, openid: str, *, create_time: int | None = None) -> None:
    _deliver(merchant, event_xml(account, openid, "subscribe", create_time=create_time, EventKey=""))


def unfollow(merchant, account: str, openid: str) -> None:
    _deliver(merchant, event_xml(account, openid, "unsubscribe"))


def click(merchant, account: str, openid: str, key: str) -> None:
    _deliver(merchant, event_xml(account, openid, "CLICK", EventKey=key))


class FakeDesk:
    """Stands in for WeChatApi: records texts; ``refuse`` makes the next calls fail with an errcode."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse: int | None = None
        self.media: dict[str, tuple[bytes, str]] = {}

    def custom_send_text(self, openid: str, content: str) -> None:
        if self.refuse is not None:
            raise WeChatApiError(errcode=self.refuse, errmsg="refused", api="/cgi-bin/message/custom/send")
        self.sent.append((openid, content))

    def media_get(self, media_id: str) -> tuple[bytes, str]:
        if media_id not in self.media:
            raise WeChatApiError(errcode=40007, errmsg="invalid media_id", api="/cgi-bin/media/get")
        return self.media[media_id]
