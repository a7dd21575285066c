"""Connecting a live service account from the console's WeChat page (tenants.wechat_account_set)."""

from __future__ import annotations

import pytest

from weloop.dashboard.tests.conftest import error_code
from weloop.tenants.models import WechatAccount

pytestmark = pytest.mark.django_db

CONNECT = "/dashboard/wechat/connect/"
LIVE = {
    "appid": "wx0123456789abcdef",
    "app_secret": "0123456789abcdef0123456789abcdef",
    "token": "weloopToken2026",
    "encoding_aes_key": "a" * 43,
    "original_id": "gh_0123456789ab",
    "message_mode": "safe",
}


def test_the_page_keeps_the_read_only_view_and_offers_the_form(client, new_merchant, login_as):
    login_as(new_merchant.merchant, "owner")
    body = client.get("/dashboard/wechat/").content.decode()
    assert 'data-testid="wechat-account"' in body and 'data-testid="wechat-connect-form"' in body
    assert new_merchant.wechat.app_secret not in body


def test_connecting_a_live_account_replaces_the_simulated_one(client, new_merchant, login_as):
    # given the simulator credentials every merchant starts with
    merchant, before = new_merchant.merchant, new_merchant.wechat
    login_as(merchant, "admin")

    # when an admin enters the live account's values
    response = client.post(CONNECT, LIVE)

    # then the account is live, and the old AES key is kept for messages still sealed with it
    assert response.status_code == 302
    account = WechatAccount.objects.for_merchant(merchant).get()
    assert (account.appid, account.original_id, account.is_simulated) == (LIVE["appid"], LIVE["original_id"], False)
    assert account.encoding_aes_key == LIVE["encoding_aes_key"]
    assert account.previous_encoding_aes_key == before.encoding_aes_key
    assert LIVE["appid"] in client.get("/dashboard/wechat/").content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("appid", "wx123"),
        ("encoding_aes_key", "short"),
        ("original_id", "gh_nothex"),
        ("token", "no spaces allowed"),
    ],
)
def test_bad_credentials_are_shown_beside_the_field_and_change_nothing(client, new_merchant, login_as, field, value):
    merchant, before = new_merchant.merchant, new_merchant.wechat
    login_as(merchant, "owner")
    response = client.post(CONNECT, {**LIVE, field: value})
    assert response.status_code == 400
    assert error_code(response) == "tenants.invalid_wechat_credentials"
    assert f'data-testid="field-error-{field}"' in response.content.decode()
    account = WechatAccount.objects.for_merchant(merchant).get()
    assert (account.appid, account.encoding_aes_key, account.is_simulated) == (
        before.appid,
        before.encoding_aes_key,
        True,
    )


def test_missing_fields_are_refused_by_the_form(client, new_merchant, login_as):
    login_as(new_merchant.merchant, "owner")
    response = client.post(CONNECT, {**LIVE, "app_secret": ""})
    assert response.status_code == 400
    assert 'data-testid="field-error-app_secret"' in response.content.decode()
    assert WechatAccount.objects.for_merchant(new_merchant.merchant).get().is_simulated


def test_store_managers_cannot_connect_accounts(client, new_merchant, login_as):
    login_as(new_merchant.merchant, "store_manager")
    response = client.post(CONNECT, LIVE)
    assert response.status_code == 403
    assert WechatAccount.objects.for_merchant(new_merchant.merchant).get().is_simulated
