"""A merchant's WeChat Pay account: set real credentials, or create simulated ones.

Also the two things every other service needs from it: the protocol client built from the stored
keys (``pay_client``) and the notify_url WeChat Pay posts to (``notify_url_for``).
"""

from __future__ import annotations

import re
import secrets
import string

from django.conf import settings
from django.db import transaction

from weloop.core import clock
from weloop.core.errors import Conflict
from weloop.core.events import publish
from weloop.payments.errors import InvalidPaySettings, PayNotConfigured, WechatNotConnected
from weloop.payments.models import PaySettings
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.pay import (
    PayCredentials,
    PayCredentialsInvalid,
    WeChatPayClient,
    generate_simulated_pay_credentials,
    validate_credentials,
)

MCHID_PATTERN = re.compile(r"[0-9]{8,12}")  # WeChat Pay merchant numbers are digits (1900000109)
SERIAL_PATTERN = re.compile(r"[0-9A-Fa-f]{8,64}")  # the merchant API certificate's serial, in hex
# PUB_KEY_ID_… in public-key mode, the platform certificate's hex serial in certificate mode.
KEY_ID_PATTERN = re.compile(r"[0-9A-Za-z_]{8,64}")


class LiveSettingsExist(Conflict):
    code = "payments.live_settings_exist"
    message = "This merchant already has a real WeChat Pay account; it is not replaced by a simulated one."


def pay_settings_of(*, merchant: Merchant) -> PaySettings:
    """The merchant's pay settings, or ``PayNotConfigured`` (404)."""
    found = PaySettings.objects.for_merchant(merchant).first()
    if found is None:
        raise PayNotConfigured(extra={"merchant": merchant.slug})
    return found


def credentials_of(pay_settings: PaySettings) -> PayCredentials:
    return PayCredentials(
        mchid=pay_settings.mchid,
        appid=pay_settings.appid,
        apiv3_key=pay_settings.apiv3_key,
        merchant_private_key_pem=pay_settings.merchant_private_key_pem,
        merchant_serial=pay_settings.merchant_serial,
        platform_public_key_pem=pay_settings.platform_public_key_pem,
        platform_public_key_id=pay_settings.platform_public_key_id,
    )


def pay_client(pay_settings: PaySettings) -> WeChatPayClient:
    """The WeChat Pay v3 client of these settings (base URL: ``settings.WECHAT_PAY_BASE``)."""
    return WeChatPayClient(credentials_of(pay_settings))


def notify_url_for(merchant: Merchant) -> str:
    """Where WeChat Pay posts this merchant's notifications (``weloop.gateway.pay_views``).

    Real WeChat Pay wants https; in simulator mode the client accepts the laptop's http URL.
    """
    return f"{settings.PUBLIC_URL}/pay/wechat/{merchant.slug}/notify"


def _checked(credentials: PayCredentials) -> None:
    """Raise ``InvalidPaySettings`` naming the first field that cannot be used."""
    formats = (
        ("mchid", MCHID_PATTERN, "The merchant id (mchid) is 8 to 12 digits."),
        ("merchant_serial", SERIAL_PATTERN, "The certificate serial is 8 to 64 hexadecimal characters."),
        ("platform_public_key_id", KEY_ID_PATTERN, "The public key id looks like PUB_KEY_ID_0112…"),
    )
    for field, pattern, message in formats:
        if not pattern.fullmatch(getattr(credentials, field)):
            raise InvalidPaySettings(message, extra={"field": field})
    try:
        validate_credentials(credentials)
    except PayCredentialsInvalid as error:
        raise InvalidPaySettings(error.detail, extra={"field": error.extra.get("field", "")}) from None


def pay_settings_set(
    *,
    merchant: Merchant,
    mchid: str,
    apiv3_key: str,
    merchant_private_key_pem: str,
    merchant_serial: str,
    platform_public_key_pem: str,
    platform_public_key_id: str,
    actor: str,
) -> PaySettings:
    """Connect the merchant's real WeChat Pay account (public-key mode), replacing any earlier one.

    The appid bound to the mchid is the merchant's service account. Raises ``InvalidPaySettings``
    (``extra["field"]``) or ``WechatNotConnected``; nothing is stored then.
    Emits ``payments.settings_changed``.
    """
    account = wechat_account_of(merchant=merchant)
    if account is None:
        raise WechatNotConnected()
    credentials = PayCredentials(
        mchid=str(mchid or "").strip(),
        appid=account.appid,
        apiv3_key=str(apiv3_key or "").strip(),
        merchant_private_key_pem=str(merchant_private_key_pem or "").strip() + "\n",
        merchant_serial=str(merchant_serial or "").strip(),
        platform_public_key_pem=str(platform_public_key_pem or "").strip() + "\n",
        platform_public_key_id=str(platform_public_key_id or "").strip(),
    )
    _checked(credentials)
    return _store(merchant, credentials, simulator_platform_private_key_pem="", actor=actor)


def _store(
    merchant: Merchant, credentials: PayCredentials, *, simulator_platform_private_key_pem: str, actor: str
) -> PaySettings:
    fields = {
        "mchid": credentials.mchid,
        "appid": credentials.appid,
        "apiv3_key": credentials.apiv3_key,
        "merchant_private_key_pem": credentials.merchant_private_key_pem,
        "merchant_serial": credentials.merchant_serial,
        "platform_public_key_pem": credentials.platform_public_key_pem,
        "platform_public_key_id": credentials.platform_public_key_id,
        "is_simulated": bool(simulator_platform_private_key_pem),
        "simulator_platform_private_key_pem": simulator_platform_private_key_pem,
        "updated_at": clock.now(),
    }
    with transaction.atomic():
        row = PaySettings.objects.for_merchant(merchant).select_for_update().first()
        if row is None:
            row = PaySettings.objects.create(merchant=merchant, **fields)
        else:
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()
        publish(
            merchant=merchant,
            name="payments.settings_changed",
            payload={"mchid": row.mchid, "appid": row.appid, "is_simulated": row.is_simulated, "actor": actor},
        )
    return row


def _unused_simulated_mchid() -> str:
    while True:
        mchid = "19" + "".join(secrets.choice(string.digits) for _ in range(8))
        # Across merchants on purpose: the simulated WeChat Pay finds a merchant by its mchid.
        if not PaySettings.objects.filter(mchid=mchid).exists():
            return mchid


def pay_settings_create_simulated(*, merchant: Merchant, actor: str = "system") -> PaySettings:
    """Give the merchant a simulated WeChat Pay account (fresh keys); return the existing one if any.

    Our simulator plays WeChat Pay for it: it reads this row, including the platform private key it
    signs with (``PaySettings.simulator_platform_private_key_pem``). Raises ``WechatNotConnected``
    without a service account, ``LiveSettingsExist`` when a real account is already connected.
    """
    existing = PaySettings.objects.for_merchant(merchant).first()
    if existing is not None:
        if not existing.is_simulated:
            raise LiveSettingsExist(extra={"mchid": existing.mchid})
        return existing
    account = wechat_account_of(merchant=merchant)
    if account is None:
        raise WechatNotConnected()
    credentials, platform_private_key_pem = generate_simulated_pay_credentials(_unused_simulated_mchid(), account.appid)
    return _store(merchant, credentials, simulator_platform_private_key_pem=platform_private_key_pem, actor=actor)
