"""Writes for merchants, staff, API keys and WeChat credentials."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.events import publish
from weloop.core.ids import random_token
from weloop.tenants.enums import MerchantStatus, StaffRole, WechatMessageMode
from weloop.tenants.errors import (
    CannotDeactivateSelf,
    InvalidApiKey,
    InvalidSlug,
    InvalidWechatCredentials,
    SlugTaken,
    UsernameTaken,
    WeakPassword,
    WrongPassword,
)
from weloop.tenants.models import ApiKey, Merchant, StaffMember, WechatAccount
from weloop.tenants.state import MERCHANT

User = get_user_model()
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{2,39}$")
API_KEY_PREFIX = "wlk_"


@dataclass(frozen=True)
class NewMerchant:
    merchant: Merchant
    owner_username: str
    owner_password: str
    api_key: str
    wechat: WechatAccount


@transaction.atomic
def merchant_create(
    *,
    name: str,
    slug: str,
    owner_username: str | None = None,
    owner_password: str | None = None,
    status: str = MerchantStatus.ACTIVE,
    actor: str = "system",
) -> NewMerchant:
    """Create a merchant with an owner login, an API key and simulator WeChat credentials.

    Raises InvalidSlug, SlugTaken or UsernameTaken; nothing is written when it raises.
    """
    slug = slug.strip().lower()
    name = name.strip()
    if not SLUG_PATTERN.match(slug):
        raise InvalidSlug(extra={"slug": slug})
    if not name:
        raise InvalidSlug("A merchant needs a name.", extra={"field": "name"})
    if Merchant.objects.filter(slug=slug).exists():
        raise SlugTaken(extra={"slug": slug})
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(name=name[:100], slug=slug, status=status)
    except IntegrityError as exc:  # lost a race for the slug
        raise SlugTaken(extra={"slug": slug}) from exc
    username = owner_username or f"{slug}-owner"
    if User.objects.filter(username=username.strip()).exists():
        # The owner login and password handed back must be the login's own: never adopt an existing one.
        raise UsernameTaken(extra={"username": username})
    password = owner_password or secrets.token_urlsafe(12)
    staff_create(
        merchant=merchant,
        username=username,
        password=password,
        role=StaffRole.OWNER,
        display_name=f"{name} owner",
        check_password_strength=owner_password is not None,
    )
    api_key, _ = api_key_create(merchant=merchant, name="default")
    wechat = wechat_account_create_simulated(merchant=merchant)
    publish(merchant=merchant, name="tenants.merchant_created", payload={"slug": slug, "actor": actor})
    return NewMerchant(merchant, username, password, api_key, wechat)


def merchant_set_status(*, merchant: Merchant, status: str, actor: str, reason: str = "") -> Merchant:
    """Approve, suspend or reactivate a merchant through the merchant state machine."""
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().get(pk=merchant.pk)
        MERCHANT.transition(locked, status, actor=actor, reason=reason)
        publish(
            merchant=locked,
            name="tenants.merchant_status_changed",
            payload={"status": status, "actor": actor, "reason": reason},
        )
        # The transition is an UPDATE (no post_save): forget cached keys now and after the commit.
        forget_cached_api_keys()
        transaction.on_commit(forget_cached_api_keys)
    return locked


@transaction.atomic
def staff_create(
    *,
    merchant: Merchant,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    check_password_strength: bool = True,
) -> StaffMember:
    """Create a login (or reuse an existing one) and make it staff of ``merchant`` with ``role``."""
    username = username.strip()
    if role not in StaffRole.values:
        raise ValueError(f"unknown role {role}")
    user = User.objects.filter(username=username).first()
    if user is None:
        if check_password_strength:
            _validate_password(password)
        user = User.objects.create_user(username=username, password=password)
    elif StaffMember.objects.for_merchant(merchant).filter(user=user).exists():
        raise UsernameTaken(extra={"username": username})
    return StaffMember.objects.create(merchant=merchant, user=user, role=role, display_name=display_name[:60])


def staff_deactivate(*, merchant: Merchant, public_id: str, actor: StaffMember) -> StaffMember:
    """Take a staff member's access to ``merchant`` away (the login itself stays for other merchants).

    Raises NotFound for another merchant's staff and CannotDeactivateSelf when ``actor`` is the target,
    so nobody locks themselves out of their own console.
    """
    staff = get_or_not_found(StaffMember.objects.for_merchant(merchant), what="staff member", public_id=public_id)
    if staff.pk == actor.pk:
        raise CannotDeactivateSelf()
    if staff.is_active:
        staff.is_active = False
        staff.save(update_fields=["is_active"])
    return staff


def staff_change_password(*, user: object, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):  # type: ignore[attr-defined]
        raise WrongPassword()
    _validate_password(new_password, user=user)
    user.set_password(new_password)  # type: ignore[attr-defined]
    user.save(update_fields=["password"])  # type: ignore[attr-defined]


def _validate_password(password: str, user: object | None = None) -> None:
    try:
        validate_password(password, user=user)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), extra={"reasons": exc.messages}) from exc


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, merchant: Merchant, name: str) -> tuple[str, ApiKey]:
    """Mint a key; the raw secret is returned once and never stored."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(merchant=merchant, name=name[:80] or "key", prefix=raw[:12], key_hash=hash_api_key(raw))
    return raw, key


def api_key_revoke(*, merchant: Merchant, public_id: str) -> ApiKey:
    key = get_or_not_found(ApiKey.objects.for_merchant(merchant), what="API key", public_id=public_id)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        key.save(update_fields=["revoked_at"])
    return key


# Live keys seen lately, by hash: a busy integration (a flash-sale crowd) must not cost one query
# per request. An entry lives API_KEY_CACHE_SECONDS; any save or delete of a key or a merchant in
# this process empties the cache at once, so a revocation or a suspension is seen here at once and
# by other processes within that many seconds.
API_KEY_CACHE_SECONDS = 2.0
_api_keys: dict[str, tuple[datetime, ApiKey]] = {}
_api_keys_lock = threading.Lock()


def forget_cached_api_keys(**_: object) -> None:
    with _api_keys_lock:
        _api_keys.clear()


for _model in (ApiKey, Merchant):
    post_save.connect(forget_cached_api_keys, sender=_model, dispatch_uid=f"api-key-cache-{_model.__name__}")
    post_delete.connect(forget_cached_api_keys, sender=_model, dispatch_uid=f"api-key-cache-del-{_model.__name__}")


def api_key_authenticate(raw_key: str) -> ApiKey:
    """Return the live key for ``raw_key`` (its merchant loaded) or raise InvalidApiKey."""
    if not raw_key.startswith(API_KEY_PREFIX) or len(raw_key) > 200:
        raise InvalidApiKey()
    key_hash = hash_api_key(raw_key)
    cached = _api_keys.get(key_hash)
    now = clock.now()
    if cached is not None and now < cached[0]:
        return cached[1]
    key = ApiKey.objects.select_related("merchant").filter(key_hash=key_hash).first()
    if key is None or key.revoked_at is not None:
        raise InvalidApiKey()
    # Touch at most once a minute: a busy integration must not write a row per request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    with _api_keys_lock:
        _api_keys[key_hash] = (now + timedelta(seconds=API_KEY_CACHE_SECONDS), key)
    return key


def wechat_account_create_simulated(*, merchant: Merchant) -> WechatAccount:
    """Credentials that the built-in simulator accepts: same shapes as real WeChat issues."""
    return WechatAccount.objects.create(
        merchant=merchant,
        appid="wx" + secrets.token_hex(8),
        app_secret=secrets.token_hex(16),
        original_id="gh_" + secrets.token_hex(6),
        token=random_token(32),
        encoding_aes_key=random_token(43),
        message_mode=WechatMessageMode.SAFE,
        is_simulated=True,
    )


_APPID = re.compile(r"^wx[0-9a-f]{16}$")
_ORIGINAL_ID = re.compile(r"^gh_[0-9a-f]{12}$")
_TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")
_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
_SECRET = re.compile(r"^[A-Za-z0-9]{16,64}$")


@dataclass(frozen=True)
class WechatCredentialsInput:
    appid: str
    app_secret: str
    token: str
    encoding_aes_key: str
    original_id: str
    message_mode: str = WechatMessageMode.SAFE


def _check_wechat_credentials(data: WechatCredentialsInput) -> None:
    checks = [
        ("appid", _APPID, "an appid is 'wx' and 16 hex digits"),
        ("app_secret", _SECRET, "an AppSecret is 16-64 letters and digits"),
        ("token", _TOKEN, "a Token is 3-32 letters and digits"),
        ("encoding_aes_key", _AES_KEY, "an EncodingAESKey is exactly 43 letters and digits"),
        ("original_id", _ORIGINAL_ID, "an original id is 'gh_' and 12 hex digits"),
    ]
    for field_name, pattern, rule in checks:
        if not pattern.match(getattr(data, field_name).strip()):
            raise InvalidWechatCredentials(f"{field_name}: {rule}.", extra={"field": field_name})
    if data.message_mode not in WechatMessageMode.values:
        raise InvalidWechatCredentials(
            "message_mode must be plaintext, compatible or safe.", extra={"field": "message_mode"}
        )


@transaction.atomic
def wechat_account_set(*, merchant: Merchant, data: WechatCredentialsInput, actor: str) -> WechatAccount:
    """Connect the merchant's real service account (or change its keys).

    A changed EncodingAESKey keeps the old one as ``previous_encoding_aes_key``: WeChat may still
    send messages sealed with it for a while after the admin changes it. Raises
    InvalidWechatCredentials. Emits tenants.wechat_account_changed (without secrets).
    """
    _check_wechat_credentials(data)
    account = WechatAccount.objects.for_merchant(merchant).select_for_update().first()
    if account is None:
        account = WechatAccount(merchant=merchant)
    elif account.encoding_aes_key != data.encoding_aes_key.strip():
        account.previous_encoding_aes_key = account.encoding_aes_key
    account.appid = data.appid.strip()
    account.app_secret = data.app_secret.strip()
    account.token = data.token.strip()
    account.encoding_aes_key = data.encoding_aes_key.strip()
    account.original_id = data.original_id.strip()
    account.message_mode = data.message_mode
    account.is_simulated = False
    account.updated_at = clock.now()
    account.save()
    publish(
        merchant=merchant,
        name="tenants.wechat_account_changed",
        payload={"appid": account.appid, "mode": account.message_mode, "actor": actor},
    )
    return account
