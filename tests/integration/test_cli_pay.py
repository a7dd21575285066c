"""`weloop merchant set-pay` and the simulated WeChat Pay every new merchant gets in simulator mode."""

from __future__ import annotations

import json

import pytest

from weloop.cli import main
from weloop.payments.models import PaySettings
from weloop.wechat.pay import generate_rsa_keypair

pytestmark = pytest.mark.django_db(transaction=True)

APIV3_KEY = "0123456789abcdefghijABCDEFGHIJ01"
SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
KEY_ID = "PUB_KEY_ID_0119000001092025010100112233000000"


@pytest.fixture
def key_files(tmp_path):
    merchant_private, _ = generate_rsa_keypair()
    _, platform_public = generate_rsa_keypair()
    private_file, public_file = tmp_path / "apiclient_key.pem", tmp_path / "pub_key.pem"
    private_file.write_text(merchant_private)
    public_file.write_text(platform_public)
    return str(private_file), str(public_file)


def set_pay(slug: str, private_file: str, public_file: str, **changes: str) -> int:
    args = {
        "--slug": slug,
        "--mchid": "1900000109",
        "--apiv3-key": APIV3_KEY,
        "--merchant-private-key-file": private_file,
        "--merchant-serial": SERIAL,
        "--platform-public-key-file": public_file,
        "--platform-public-key-id": KEY_ID,
    } | changes
    return main(["merchant", "set-pay", *[part for pair in args.items() for part in pair]])


def test_merchant_create_in_simulator_mode_gives_simulated_wechat_pay(capsys, settings):
    settings.WECHAT_MODE = "simulator"

    assert main(["merchant", "create", "--name", "Pay Cafe", "--slug", "pay-cafe", "--json"]) == 0

    result = json.loads(capsys.readouterr().out)
    pay = PaySettings.objects.get(merchant__slug="pay-cafe")
    assert result["wechat_pay"] == {"mchid": pay.mchid, "simulated": True}
    assert pay.is_simulated and pay.mchid.startswith("19")


def test_merchant_create_prints_the_mchid(capsys, settings):
    settings.WECHAT_MODE = "simulator"

    assert main(["merchant", "create", "--name", "Printed", "--slug", "printed-pay"]) == 0

    mchid = PaySettings.objects.get(merchant__slug="printed-pay").mchid
    assert f"WeChat Pay      mchid {mchid} (simulated)" in capsys.readouterr().out


def test_merchant_create_in_live_mode_leaves_wechat_pay_unset(capsys, settings):
    settings.WECHAT_MODE = "live"

    assert main(["merchant", "create", "--name", "Live Pay", "--slug", "live-pay", "--json"]) == 0

    assert "wechat_pay" not in json.loads(capsys.readouterr().out)
    assert not PaySettings.objects.filter(merchant__slug="live-pay").exists()


def test_set_pay_connects_a_real_account(capsys, key_files):
    main(["merchant", "create", "--name", "Real", "--slug", "real-pay", "--json"])
    capsys.readouterr()

    code = set_pay("real-pay", *key_files)

    assert code == 0
    pay = PaySettings.objects.get(merchant__slug="real-pay")
    assert (pay.mchid, pay.merchant_serial, pay.platform_public_key_id) == ("1900000109", SERIAL, KEY_ID)
    assert not pay.is_simulated and pay.simulator_platform_private_key_pem == ""
    out = capsys.readouterr().out
    assert "1900000109" in out and "/pay/wechat/real-pay/notify" in out


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--mchid", "abc", "mchid"),
        ("--apiv3-key", "short", "apiv3_key"),
        ("--merchant-serial", "zz", "merchant_serial"),
        ("--platform-public-key-id", "has space", "platform_public_key_id"),
    ],
)
def test_set_pay_refuses_bad_values_naming_the_field(capsys, key_files, flag, value, field):
    main(["merchant", "create", "--name", "Bad", "--slug", "bad-pay", "--json"])
    before = PaySettings.objects.filter(merchant__slug="bad-pay").values_list("mchid", flat=True).first()
    capsys.readouterr()

    code = set_pay("bad-pay", *key_files, **{flag: value})

    assert code == 1
    error = capsys.readouterr().err
    assert "payments.invalid_settings" in error and f"({field})" in error
    assert PaySettings.objects.filter(merchant__slug="bad-pay").values_list("mchid", flat=True).first() == before


def test_set_pay_refuses_swapped_key_files(capsys, key_files):
    main(["merchant", "create", "--name", "Swap", "--slug", "swap-pay", "--json"])
    capsys.readouterr()
    private_file, public_file = key_files

    assert set_pay("swap-pay", public_file, private_file) == 1
    assert "(merchant_private_key_pem)" in capsys.readouterr().err


def test_set_pay_with_a_missing_key_file_fails(capsys, key_files, tmp_path):
    main(["merchant", "create", "--name", "Missing", "--slug", "missing-pay", "--json"])
    capsys.readouterr()

    assert set_pay("missing-pay", str(tmp_path / "nope.pem"), key_files[1]) == 2
    assert "cannot read the merchant private key file" in capsys.readouterr().err


def test_set_pay_for_an_unknown_merchant_fails(capsys, key_files):
    assert set_pay("no-such-merchant", *key_files) == 1
    assert "tenants.unknown_merchant" in capsys.readouterr().err


def test_the_demo_merchant_takes_simulated_wechat_pay(capsys, settings):
    settings.WECHAT_MODE = "simulator"

    assert main(["demo", "--quiet"]) == 0

    pay = PaySettings.objects.get(merchant__slug="wheatfield")
    assert pay.is_simulated and pay.simulator_platform_private_key_pem
