"""Which merchants the simulated WeChat Pay knows, with the keys it holds for them.

Real WeChat Pay knows a merchant from its merchant platform (pay.weixin.qq.com): the mchid, the
bound appid, the APIv3 key, the merchant's API certificate (its public key) and the platform key
pair WeChat signs with. The simulator keeps that record in ``SimPayMerchant`` rows, written by
``pay_merchant_register``: whoever creates simulated pay credentials for a merchant (with
``weloop.wechat.pay.generate_simulated_pay_credentials``) registers the WeChat side here.

Every read goes through ``pay_merchants`` / ``pay_merchant_for``, which read two sources:

- the platform's own ``payments.PaySettings`` rows marked ``is_simulated=True`` (every merchant gets
  one in simulator mode): the keys come from the row, including the platform private key the
  platform generated for us to sign with (``simulator_platform_private_key_pem``); the name is the
  merchant's; notifications go to ``WELOOP_SIMULATOR_CALLBACK_BASE`` when set (as for the OA
  callback), else to the notify_url as given. Reading these rows across merchants is deliberate,
  as ``weloop.simulator.accounts`` reads ``tenants.WechatAccount``: WeChat Pay knows every merchant.
- ``SimPayMerchant`` rows registered with ``pay_merchant_register`` (the simulator's own tests).

A PaySettings row wins when both know an mchid.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from weloop.payments.models import PaySettings
from weloop.simulator.pay_models import SimPayMerchant
from weloop.wechat.pay_crypto import (
    public_key_of,
    validate_apiv3_key,
    validate_private_key_pem,
    validate_public_key_pem,
)


@dataclass(frozen=True)
class PayMerchant:
    mchid: str
    appid: str
    name: str
    apiv3_key: str
    merchant_public_key_pem: str
    merchant_serial: str
    platform_private_key_pem: str
    platform_public_key_id: str
    notify_base: str

    def __repr__(self) -> str:  # keys stay out of logs
        return f"PayMerchant(mchid={self.mchid!r}, appid={self.appid!r})"


def _to_merchant(row: SimPayMerchant) -> PayMerchant:
    return PayMerchant(
        mchid=row.mchid,
        appid=row.appid,
        name=row.name,
        apiv3_key=row.apiv3_key,
        merchant_public_key_pem=row.merchant_public_key_pem,
        merchant_serial=row.merchant_serial,
        platform_private_key_pem=row.platform_private_key_pem,
        platform_public_key_id=row.platform_public_key_id,
        notify_base=row.notify_base.rstrip("/"),
    )


def _simulated_settings() -> QuerySet[PaySettings]:  # the cross-tenant read (see the module docstring)
    return PaySettings.objects.filter(is_simulated=True).exclude(simulator_platform_private_key_pem="")


def _from_settings(row: PaySettings) -> PayMerchant:
    return PayMerchant(
        mchid=row.mchid,
        appid=row.appid,
        name=row.merchant.name,
        apiv3_key=row.apiv3_key,
        merchant_public_key_pem=public_key_of(row.merchant_private_key_pem),
        merchant_serial=row.merchant_serial,
        platform_private_key_pem=row.simulator_platform_private_key_pem,
        platform_public_key_id=row.platform_public_key_id,
        notify_base=(getattr(settings, "WELOOP_SIMULATOR_CALLBACK_BASE", "") or "").rstrip("/"),
    )


def pay_merchants() -> list[PayMerchant]:
    found = {row.mchid: _from_settings(row) for row in _simulated_settings().select_related("merchant")}
    for row in SimPayMerchant.objects.order_by("mchid"):
        found.setdefault(row.mchid, _to_merchant(row))
    return sorted(found.values(), key=lambda merchant: merchant.mchid)


def pay_merchant_for(mchid: str) -> PayMerchant | None:
    if not mchid:
        return None
    simulated = _simulated_settings().select_related("merchant").filter(mchid=mchid).order_by("id").first()
    if simulated is not None:
        return _from_settings(simulated)
    row = SimPayMerchant.objects.filter(mchid=mchid).first()
    return _to_merchant(row) if row else None


def pay_merchant_register(
    *,
    mchid: str,
    appid: str,
    apiv3_key: str,
    merchant_public_key_pem: str,
    platform_private_key_pem: str,
    platform_public_key_id: str,
    merchant_serial: str = "",
    name: str = "",
    notify_base: str = "",
) -> PayMerchant:
    """Create or replace WeChat Pay's record of a merchant (keys checked: ``PayCredentialsInvalid``)."""
    validate_apiv3_key(apiv3_key)
    validate_public_key_pem(merchant_public_key_pem, field="merchant_public_key_pem")
    validate_private_key_pem(platform_private_key_pem, field="platform_private_key_pem")
    row, _ = SimPayMerchant.objects.update_or_create(
        mchid=mchid,
        defaults={
            "appid": appid,
            "apiv3_key": apiv3_key,
            "merchant_public_key_pem": merchant_public_key_pem,
            "merchant_serial": merchant_serial,
            "platform_private_key_pem": platform_private_key_pem,
            "platform_public_key_id": platform_public_key_id,
            "name": name,
            "notify_base": notify_base,
        },
    )
    return _to_merchant(row)
