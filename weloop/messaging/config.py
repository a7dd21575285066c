"""What the callback reads on every message, kept in each process and checked against a version.

The callback needs the merchant, its WechatAccount (Token, EncodingAESKeys), the active auto-reply
rules and the follow greeting for every message WeChat pushes. Reading them costs four queries;
this module keeps them per process instead, as one immutable ``CallbackConfig`` per merchant.

Freshness across processes: every save or delete of a Merchant, WechatAccount, AutoReplyRule or
FollowGreeting (the ORM signals, connected in ``apps.py``) writes a new random version token for
that merchant into the shared Django cache (Redis, or the file cache every process on the machine
shares), at once and again when the transaction commits. A callback compares the cached token
with the one its copy was loaded under (one cache read, at most every ``CHECK_INTERVAL`` seconds
per merchant and process) and reloads on any difference, so a console edit answers from the next
message on in the process that made it, and within ``CHECK_INTERVAL`` in every other one. The
token is written after commit too, so a process that reloaded between the save and the commit
reloads once more.

Writes that bypass the signals (``QuerySet.update``, raw SQL) are seen after ``MAX_AGE`` seconds
at the latest; call ``config_changed`` after such a write to have them seen at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction

from weloop.messaging.enums import MatchType
from weloop.messaging.models import AutoReplyRule, FollowGreeting
from weloop.tenants.models import Merchant, WechatAccount

# A copy is reloaded after this long even when no version change was seen (writes without signals).
MAX_AGE = 60.0
# The shared version is read at most this often per merchant and process (seconds): a cache read
# costs about as much as the rest of the callback's Python. A change made in this process is seen
# at once (the copy is dropped); one made in another process within this long.
CHECK_INTERVAL = 1.0
_KEY = "weloop:wechat-config:{}"


@dataclass(frozen=True)
class CallbackConfig:
    """One merchant's callback settings as loaded under ``version``. Read-only: shared by threads."""

    merchant: Merchant
    account: WechatAccount
    rules: tuple[AutoReplyRule, ...]  # the active rules in the order they are tried: exact ones first
    greeting: FollowGreeting | None
    version: str
    loaded_at: float
    # when the shared version was last found equal to ``version`` (monotonic); a one-item list so
    # that the frozen copy can note it without a lock (a lost update only means one more read)
    checked_at: list[float] = field(default_factory=lambda: [0.0], compare=False)


_by_slug: dict[str, CallbackConfig] = {}
_by_merchant: dict[int, CallbackConfig] = {}
_lock = threading.Lock()


def _current_version(merchant_id: int) -> str:
    key = _KEY.format(merchant_id)
    version = cache.get(key)
    if version is None:  # never written, or evicted: start a version every process will share
        cache.add(key, secrets.token_hex(8), timeout=None)
        version = cache.get(key) or ""
    return str(version)


def config_changed(merchant_id: int) -> None:
    """Make every process reload ``merchant_id``'s callback config: now, and after the commit."""

    def bump() -> None:
        cache.set(_KEY.format(merchant_id), secrets.token_hex(8), timeout=None)

    bump()
    _forget(merchant_id)
    transaction.on_commit(bump)


def _forget(merchant_id: int) -> None:
    with _lock:
        stale = _by_merchant.pop(merchant_id, None)
        if stale is not None and _by_slug.get(stale.merchant.slug) is stale:
            del _by_slug[stale.merchant.slug]


def _fresh(config: CallbackConfig | None) -> bool:
    if config is None:
        return False
    now = time.monotonic()
    if now - config.loaded_at >= MAX_AGE:
        return False
    if now - config.checked_at[0] < CHECK_INTERVAL:
        return True
    if _current_version(config.merchant.pk) != config.version:
        return False
    config.checked_at[0] = now
    return True


def _load(account: WechatAccount) -> CallbackConfig:
    merchant = account.merchant
    # Read the version first: a change committed while loading makes the next check reload again.
    version = _current_version(merchant.pk)
    rules = list(AutoReplyRule.objects.for_merchant(merchant).filter(is_active=True).order_by("-priority", "id"))
    ordered = [r for r in rules if r.match_type == MatchType.EXACT] + [
        r for r in rules if r.match_type != MatchType.EXACT
    ]
    config = CallbackConfig(
        merchant=merchant,
        account=account,
        rules=tuple(ordered),
        greeting=FollowGreeting.objects.for_merchant(merchant).first(),
        version=version,
        loaded_at=time.monotonic(),
        checked_at=[time.monotonic()],
    )
    with _lock:
        _by_merchant[merchant.pk] = config
        _by_slug[merchant.slug] = config
    return config


def callback_config(slug: str) -> CallbackConfig | None:
    """The config of the merchant whose callback URL has ``slug``; None when no account has it."""
    config = _by_slug.get(slug)
    if _fresh(config):
        return config
    if config is not None:
        _forget(config.merchant.pk)
    account = WechatAccount.objects.select_related("merchant").filter(merchant__slug=slug).order_by("id").first()
    return _load(account) if account is not None else None


def config_of(merchant: Merchant) -> CallbackConfig | None:
    """The config of ``merchant``; None when it has no WeChat account."""
    config = _by_merchant.get(merchant.pk)
    if _fresh(config):
        return config
    account = WechatAccount.objects.select_related("merchant").filter(merchant=merchant).order_by("id").first()
    return _load(account) if account is not None else None


def clear() -> None:
    """Forget every copy in this process (tests)."""
    with _lock:
        _by_slug.clear()
        _by_merchant.clear()


def on_merchant_transition(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """Signal receiver: a state transition was recorded; a merchant's status change invalidates."""
    from weloop.tenants.state import MERCHANT

    if created and instance.machine == MERCHANT.name:
        config_changed(int(instance.object_pk))


def on_model_change(sender: type, instance: Any, **kwargs: Any) -> None:
    """Signal receiver: a Merchant, WechatAccount, rule or greeting was saved or deleted."""
    merchant_id = instance.pk if sender is Merchant else getattr(instance, "merchant_id", None)
    if merchant_id is not None:
        config_changed(merchant_id)
    if sender is Merchant:  # a new merchant may take a slug a copy still holds (a deleted one's)
        with _lock:
            _by_slug.pop(instance.slug, None)
