from __future__ import annotations

from django.test import override_settings

from weloop.dashboard.tests.conftest import error_code


@override_settings(PUBLIC_URL="https://shop.example.com")
def test_wechat_page_masks_secrets_and_shows_the_callback_url(client, new_merchant, login_as):
    login_as(new_merchant.merchant, "owner")
    account = new_merchant.wechat
    body = client.get("/dashboard/wechat/").content.decode()
    assert account.appid in body and account.original_id in body
    assert account.encoding_aes_key not in body and account.token not in body
    assert account.app_secret not in body
    assert "https://shop.example.com/wechat/bakery/callback" in body


def test_reveal_shows_one_secret_with_and_without_htmx(client, new_merchant, login_as):
    login_as(new_merchant.merchant, "admin")
    account = new_merchant.wechat
    partial = client.get("/dashboard/wechat/secret/?field=encoding_aes_key", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert account.encoding_aes_key in partial.content.decode()
    assert "no-store" in partial["Cache-Control"]
    page = client.get("/dashboard/wechat/?reveal=token").content.decode()
    assert account.token in page and account.encoding_aes_key not in page
    assert client.get("/dashboard/wechat/secret/?field=app_secret", HTTP_HX_REQUEST="true").status_code == 404


def test_wechat_page_is_for_owners_and_admins(client, merchant, login_as):
    login_as(merchant, "store_manager")
    response = client.get("/dashboard/wechat/secret/?field=token", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert error_code(response) == "tenants.role_forbidden"
