"""Stand-ins for the world outside the process, for members tests."""

from __future__ import annotations

from weloop.wechat.client import QrCode as WechatQrCode


class FakeQrApi:
    """Stands in for WeChatApi in unit tests (the live simulator test is in gateway/tests)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple] = []
        self.error = error

    def qrcode_create(self, scene, *, permanent, expire_seconds=None):
        self.calls.append((scene, permanent, expire_seconds))
        if self.error:
            raise self.error
        return WechatQrCode(
            ticket=f"ticket-{scene}", url=f"http://weixin.qq.com/q/{scene}", expire_seconds=None if permanent else 600
        )
