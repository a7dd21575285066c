"""WeChat Pay settings: real ones checked field by field, simulated ones the simulator plays."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from weloop.core.errors import WeloopError
from weloop.core.models import OutboxEvent
from weloop.payments.models import PaySettings
from weloop.payments.services import (
    LiveSettingsExist,
    notify_url_for,
    pay_settings_create_simulated,
    pay_settings_set,
)
from weloop.simulator.pay_registry import pay_merchant_for, pay_merchants
from weloop.tenants.models import WechatAccount
from weloop.wechat.pay import generate_rsa_keypair, public_key_of

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    merchant_private, _ = generate_rsa_keypair()
    _, platform_public = generate_rsa_keypair()
    return {"merchant_private": merchant_private, "platform_public": platform_public}


def real(merchant, keys, **changes):
    args = {
        "mchid": "1900000109",
        "apiv3_key": "0123456789abcdefghijABCDEFGHIJ01",
        "merchant_private_key_pem": keys["merchant_private"],
        "merchant_serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "platform_public_key_pem": keys["platform_public"],
        "platform_public_key_id": "PUB_KEY_ID_0119000001092025010100112233000000",
    } | changes
    return pay_settings_set(merchant=merchant, actor="test", **args)


def test_real_settings_are_stored_with_the_service_accounts_appid(merchant, keys):
    pay = real(merchant, keys)

    assert (pay.mchid, pay.is_simulated, pay.simulator_platform_private_key_pem) == ("1900000109", False, "")
    assert pay.appid == WechatAccount.objects.get(merchant=merchant).appid
    event = OutboxEvent.objects.get(name="payments.settings_changed")
    assert event.payload == {"mchid": "1900000109", "appid": pay.appid, "is_simulated": False, "actor": "test"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mchid", "19000a0109"),
        ("mchid", ""),
        ("apiv3_key", "too-short"),
        ("merchant_private_key_pem", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"),
        ("merchant_serial", "not hex!"),
        ("platform_public_key_pem", "garbage"),
        ("platform_public_key_id", "PUB KEY"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_stored(merchant, keys, field, value):
    with pytest.raises(WeloopError) as caught:
        real(merchant, keys, **{field: value})

    assert (caught.value.code, caught.value.extra["field"]) == ("payments.invalid_settings", field)
    assert not PaySettings.objects.exists()


def test_a_private_key_is_not_a_public_key(merchant, keys):
    with pytest.raises(WeloopError) as caught:
        real(merchant, keys, platform_public_key_pem=keys["merchant_private"])

    assert caught.value.extra["field"] == "platform_public_key_pem"


def test_simulated_settings_get_fresh_keys_and_a_19_mchid_and_the_simulator_knows_them(merchant):
    pay = pay_settings_create_simulated(merchant=merchant)

    assert pay.is_simulated and pay.mchid.startswith("19") and len(pay.mchid) == 10 and pay.mchid.isdigit()
    assert pay.simulator_platform_private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_key_of(pay.simulator_platform_private_key_pem) == pay.platform_public_key_pem
    known = pay_merchant_for(pay.mchid)
    assert known is not None and (known.appid, known.name) == (pay.appid, merchant.name)
    assert known.merchant_public_key_pem == public_key_of(pay.merchant_private_key_pem)
    assert pay.mchid in {m.mchid for m in pay_merchants()}


def test_creating_simulated_settings_twice_returns_the_same_row(merchant):
    assert pay_settings_create_simulated(merchant=merchant).pk == pay_settings_create_simulated(merchant=merchant).pk


def test_real_settings_replace_simulated_ones_and_the_simulator_forgets_them(merchant, keys):
    simulated = pay_settings_create_simulated(merchant=merchant)

    pay = real(merchant, keys)

    assert pay.pk == simulated.pk and not pay.is_simulated and pay.simulator_platform_private_key_pem == ""
    assert pay_merchant_for(simulated.mchid) is None and pay_merchant_for(pay.mchid) is None


def test_simulated_settings_never_replace_real_ones(merchant, keys):
    real(merchant, keys)

    with pytest.raises(LiveSettingsExist):
        pay_settings_create_simulated(merchant=merchant)


def test_a_real_account_cannot_hold_a_platform_private_key(merchant, keys):
    pay = real(merchant, keys)

    with pytest.raises(IntegrityError):
        PaySettings.objects.filter(pk=pay.pk).update(simulator_platform_private_key_pem=keys["merchant_private"])


def test_without_a_service_account_there_is_no_appid_to_bind(merchant, keys):
    WechatAccount.objects.filter(merchant=merchant).delete()

    with pytest.raises(WeloopError) as caught:
        real(merchant, keys)

    assert caught.value.code == "payments.wechat_not_connected"


def test_the_notify_url_is_the_public_url_of_the_gateway_view(merchant, settings):
    from django.urls import reverse

    settings.PUBLIC_URL = "https://shop.example.com"

    assert notify_url_for(merchant) == "https://shop.example.com" + reverse(
        "wechatpay_notify", kwargs={"merchant_slug": merchant.slug}
    )
