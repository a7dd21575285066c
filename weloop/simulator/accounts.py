"""The account registry: which service accounts the simulated WeChat knows, with their server config.

Real WeChat learns an account's callback URL, Token, EncodingAESKey and message mode from what the
merchant pastes into mp.weixin.qq.com ("服务器配置"). The simulator plays that admin too, so instead
of a second copy of those settings it reads them from the platform's own
``tenants.WechatAccount`` rows marked ``is_simulated=True``, joined with the merchant's slug:

- appid, secret, original id (``gh_…``), token, EncodingAESKey and message mode come from the row;
- the callback URL is ``WELOOP_SIMULATOR_CALLBACK_BASE`` (default ``PUBLIC_URL``)
  + ``/wechat/<slug>/callback``, the URL the console tells merchants to paste.

Reading those rows across merchants is deliberate: WeChat's side of the world sees every account.
This module is the only place in the simulator that does it (``_simulated_accounts``).

``account_for_appid`` runs on every API call and push, so each process keeps what it read for at
most ``ACCOUNT_TTL`` seconds. Any save or delete of a WechatAccount or Merchant in this process
drops the copies at once (ORM signals, connected in ``apps.py``), so a key or mode change in the
console takes effect at the next push from the process that made it, and within ``ACCOUNT_TTL``
in the others (writes that bypass the signals: call ``forget_accounts``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from weloop.tenants.models import WechatAccount


@dataclass(frozen=True)
class SimAccount:
    appid: str
    app_secret: str
    original_id: str
    token: str
    encoding_aes_key: str
    message_mode: str
    merchant_name: str
    merchant_slug: str

    @property
    def callback_url(self) -> str:
        return f"{platform_base_url()}/wechat/{self.merchant_slug}/callback"

    @property
    def h5_url(self) -> str:
        """The merchant's consumer pages, opened "inside WeChat" by the phone."""
        return f"{platform_base_url()}/m/{self.merchant_slug}/"


def platform_base_url() -> str:
    """Where the simulated WeChat reaches the platform (defaults to the platform's own public URL)."""
    base = getattr(settings, "WELOOP_SIMULATOR_CALLBACK_BASE", "") or settings.PUBLIC_URL
    return base.rstrip("/")


def _simulated_accounts() -> QuerySet[WechatAccount]:
    # The cross-tenant read (see the module docstring): WeChat knows every account.
    return WechatAccount.objects.filter(is_simulated=True).select_related("merchant")


def _to_sim(row: WechatAccount) -> SimAccount:
    return SimAccount(
        appid=row.appid,
        app_secret=row.app_secret,
        original_id=row.original_id,
        token=row.token,
        encoding_aes_key=row.encoding_aes_key,
        message_mode=row.message_mode,
        merchant_name=row.merchant.name,
        merchant_slug=row.merchant.slug,
    )


ACCOUNT_TTL = 1.0  # seconds a process answers from its copy without reading the row again
_copies: dict[str, tuple[float, SimAccount | None]] = {}
_copies_lock = threading.Lock()


def account_for_appid(appid: str) -> SimAccount | None:
    if not appid:
        return None
    now = time.monotonic()
    copy = _copies.get(appid)
    if copy is not None and now - copy[0] < ACCOUNT_TTL:
        return copy[1]
    row = _simulated_accounts().filter(appid=appid).order_by("id").first()
    found = _to_sim(row) if row else None
    with _copies_lock:
        if len(_copies) > 10_000:
            _copies.clear()
        _copies[appid] = (now, found)
    return found


def forget_accounts(*args: Any, **kwargs: Any) -> None:
    """Drop this process's copies (a signal receiver: a WechatAccount or Merchant was saved or deleted)."""
    with _copies_lock:
        _copies.clear()


def account_list() -> list[SimAccount]:
    return [_to_sim(row) for row in _simulated_accounts().order_by("merchant__name", "id")]
