"""The `weloop` command as operators script it (run in-process through its main())."""

from __future__ import annotations

import json

import pytest

from weloop.cli import main
from weloop.tenants.models import ApiKey, Merchant, StaffMember, WechatAccount
from weloop.tenants.services import api_key_authenticate

pytestmark = pytest.mark.django_db(transaction=True)

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_merchant_create_json_prints_one_object_with_working_credentials(capsys):
    # when
    assert main(["merchant", "create", "--name", "Blue Cafe", "--slug", "blue-cafe", "--json"]) == 0
    # then stdout is exactly one JSON object
    result = json.loads(capsys.readouterr().out)
    assert result["slug"] == "blue-cafe" and result["status"] == "active"
    assert result["callback_path"] == "/wechat/blue-cafe/callback"
    assert result["wechat"]["original_id"].startswith("gh_")
    assert len(result["wechat"]["encoding_aes_key"]) == 43
    # and the printed API key and owner login work
    assert api_key_authenticate(result["api_key"]).merchant.slug == "blue-cafe"
    owner = StaffMember.objects.get(merchant__slug="blue-cafe", role="owner")
    assert owner.user.check_password(result["owner_password"])


def test_merchant_create_with_taken_slug_fails_and_writes_nothing(capsys):
    assert main(["merchant", "create", "--name", "A", "--slug", "same-slug", "--json"]) == 0
    capsys.readouterr()
    keys_before = ApiKey.objects.count()
    # when
    assert main(["merchant", "create", "--name", "B", "--slug", "same-slug", "--json"]) == 1
    # then
    error = json.loads(capsys.readouterr().out)
    assert error["code"] == "tenants.slug_taken"
    assert Merchant.objects.filter(slug="same-slug").count() == 1
    assert ApiKey.objects.count() == keys_before


def test_merchant_list_json(capsys):
    main(["merchant", "create", "--name", "Listed", "--slug", "listed", "--pending", "--json"])
    capsys.readouterr()
    assert main(["merchant", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"slug": "listed", "status": "pending"}.items() <= next(r for r in rows if r["slug"] == "listed").items()


def test_set_wechat_connects_live_credentials_and_keeps_the_previous_aes_key(capsys):
    main(["merchant", "create", "--name", "Live", "--slug", "live-shop", "--json"])
    old_key = json.loads(capsys.readouterr().out)["wechat"]["encoding_aes_key"]
    # when
    code = main(
        [
            "merchant",
            "set-wechat",
            "--slug",
            "live-shop",
            "--appid",
            "wx0123456789abcdef",
            "--secret",
            "0123456789abcdef0123456789abcdef",
            "--token",
            "tok123",
            "--aes-key",
            AES_KEY,
            "--original-id",
            "gh_0123456789ab",
            "--mode",
            "compatible",
        ]
    )
    # then
    assert code == 0
    account = WechatAccount.objects.get(merchant__slug="live-shop")
    assert (account.appid, account.message_mode, account.is_simulated) == ("wx0123456789abcdef", "compatible", False)
    assert account.previous_encoding_aes_key == old_key


@pytest.mark.parametrize(
    ("flag", "bad_value"),
    [("--appid", "wx123"), ("--aes-key", "short"), ("--original-id", "gh_x"), ("--token", "has space")],
)
def test_set_wechat_refuses_malformed_credentials(capsys, flag, bad_value):
    main(["merchant", "create", "--name", "Bad", "--slug", "bad-creds", "--json"])
    capsys.readouterr()
    before = WechatAccount.objects.get(merchant__slug="bad-creds").appid
    args = {
        "--appid": "wx0123456789abcdef",
        "--secret": "0123456789abcdef0123456789abcdef",
        "--token": "tok123",
        "--aes-key": AES_KEY,
        "--original-id": "gh_0123456789ab",
        flag: bad_value,
    }
    # when
    code = main(["merchant", "set-wechat", "--slug", "bad-creds", *[x for kv in args.items() for x in kv]])
    # then
    assert code == 1
    assert "tenants.invalid_wechat_credentials" in capsys.readouterr().err
    assert WechatAccount.objects.get(merchant__slug="bad-creds").appid == before


def test_set_wechat_for_unknown_merchant_fails(capsys):
    code = main(
        [
            "merchant",
            "set-wechat",
            "--slug",
            "nobody",
            "--appid",
            "wx0123456789abcdef",
            "--secret",
            "0123456789abcdef0123456789abcdef",
            "--token",
            "tok123",
            "--aes-key",
            AES_KEY,
            "--original-id",
            "gh_0123456789ab",
        ]
    )
    assert code == 1
    assert "tenants.unknown_merchant" in capsys.readouterr().err


def test_demo_seeds_the_bakery_chain(capsys):
    assert main(["demo", "--quiet"]) == 0
    merchant = Merchant.objects.get(slug="wheatfield")
    from weloop.stores.models import Store

    assert Store.objects.for_merchant(merchant).count() >= 3
    roles = set(StaffMember.objects.for_merchant(merchant).values_list("role", flat=True))
    assert roles == {"owner", "admin", "store_manager", "clerk", "service_agent"}
    # a second run resets instead of duplicating
    assert main(["demo", "--quiet"]) == 0
    assert Merchant.objects.filter(slug="wheatfield").count() == 1
