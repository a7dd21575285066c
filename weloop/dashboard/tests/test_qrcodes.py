"""QR codes in the console: created at WeChat (the simulator over HTTP), downloaded, counted.

WeChat refusing or unreachable shows the error (with WeChat's errcode) and writes nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.dashboard.qr_images import qr_png, qr_svg
from weloop.dashboard.tests import wechat_servers
from weloop.dashboard.tests.conftest import error_code
from weloop.dashboard.tests.wechat_servers import UNREACHABLE
from weloop.members.models import QrCode
from weloop.members.services import member_follow, qr_code_create
from weloop.wechat.client import QrCode as WechatQrCode

# The fixture this module uses, made visible to pytest here.
refusing_wechat = wechat_servers.refusing_wechat

NEW = "/dashboard/qr-codes/new/"


class LocalQrApi:
    """qrcode/create answered in-process, for tests about the page rather than the protocol."""

    def qrcode_create(self, scene, *, permanent, expire_seconds=None):
        return WechatQrCode(ticket=f"t-{scene}", url=f"http://weixin.qq.com/q/{scene}", expire_seconds=None)


def _only_code(merchant) -> QrCode:
    codes = list(QrCode.objects.for_merchant(merchant))
    assert len(codes) == 1, codes
    return codes[0]


@pytest.mark.django_db(transaction=True)
def test_store_guide_and_channel_codes_are_created_at_wechat(
    client, simulated_wechat, merchant, store, make_staff, login_as
):
    # given an admin, a store and a shopping guide
    guide = make_staff(merchant, "clerk")
    login_as(merchant, "admin")

    # when they create a permanent store code, a 7-day guide code and a channel code
    store_code = client.post(NEW, {"kind": "store", "store_id": store.public_id, "lifetime": "permanent"})
    guide_code = client.post(
        NEW, {"kind": "guide", "staff_id": guide.public_id, "lifetime": "temporary", "expire_days": "7"}
    )
    channel_code = client.post(NEW, {"kind": "channel", "channel": "Metro poster", "lifetime": "permanent"})

    # then WeChat (the simulator) issued each of them and the list shows them with their targets
    assert [r.status_code for r in (store_code, guide_code, channel_code)] == [302, 302, 302]
    codes = {c.kind: c for c in QrCode.objects.for_merchant(merchant)}
    assert codes["store"].store == store and codes["store"].permanent and codes["store"].expire_at is None
    assert codes["guide"].staff == guide and not codes["guide"].permanent
    assert abs(codes["guide"].expire_at - (clock.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert codes["channel"].channel == "Metro poster"
    for code in codes.values():
        assert code.ticket and code.url.startswith("http"), code
    body = client.get("/dashboard/qr-codes/").content.decode()
    rows = re.findall(r'data-testid="qr-row" data-qr-code-id="([^"]+)"', body)
    assert sorted(rows) == sorted(c.public_id for c in codes.values())
    assert store.name in body and "Metro poster" in body


@pytest.mark.django_db
def test_scan_and_follow_counts_show_in_the_list(client, merchant, store, login_as):
    code = qr_code_create(merchant=merchant, kind="store", store=store, api=LocalQrApi())
    member_follow(merchant=merchant, openid="o_1", scene=code.scene_str)
    member_follow(merchant=merchant, openid="o_2", scene=code.scene_str)
    login_as(merchant, "owner")
    body = client.get("/dashboard/qr-codes/").content.decode()
    row = body[body.index(f'data-qr-code-id="{code.public_id}"') :].split("</tr>")[0]
    assert 'data-testid="qr-scans">2<' in row and 'data-testid="qr-follows">2<' in row


@pytest.mark.django_db(transaction=True)
def test_png_and_svg_downloads_encode_the_codes_url(client, simulated_wechat, merchant, store, login_as):
    login_as(merchant, "owner")
    client.post(NEW, {"kind": "store", "store_id": store.public_id, "lifetime": "permanent"})
    code = _only_code(merchant)

    png = client.get(f"/dashboard/qr-codes/{code.public_id}/qr.png")
    svg = client.get(f"/dashboard/qr-codes/{code.public_id}/qr.svg")

    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content == qr_png(code.url) and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert f'filename="{code.public_id}.png"' in png["Content-Disposition"]
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content == qr_svg(code.url) and b"<svg" in svg.content
    # the codes differ per content: the image really encodes this code's url
    assert qr_png(code.url) != qr_png(code.url + "x")


@pytest.mark.django_db
def test_wechat_refusal_shows_its_errcode_and_writes_nothing(client, refusing_wechat, merchant, store, login_as):
    login_as(merchant, "owner")
    response = client.post(NEW, {"kind": "store", "store_id": store.public_id, "lifetime": "permanent"})
    assert response.status_code == 502
    assert error_code(response) == "wechat.api_error"
    assert 'data-testid="wechat-errcode" data-errcode="40164"' in response.content.decode()
    assert not QrCode.objects.for_merchant(merchant).exists()


@pytest.mark.django_db
def test_unreachable_wechat_shows_a_clear_error_and_writes_nothing(client, settings, merchant, store, login_as):
    settings.WECHAT_API_BASE = UNREACHABLE
    login_as(merchant, "owner")
    response = client.post(NEW, {"kind": "store", "store_id": store.public_id, "lifetime": "permanent"})
    assert response.status_code == 503
    assert error_code(response) == "wechat.unavailable"
    assert not QrCode.objects.for_merchant(merchant).exists()


@pytest.mark.django_db
def test_missing_target_and_bad_expiry_are_shown_beside_their_fields(client, settings, merchant, login_as):
    settings.WECHAT_API_BASE = UNREACHABLE  # never reached: the checks come first
    login_as(merchant, "owner")
    no_store = client.post(NEW, {"kind": "store", "lifetime": "permanent"})
    assert no_store.status_code == 400
    assert error_code(no_store) == "members.invalid_qr_code"
    assert 'data-testid="field-error-store_id"' in no_store.content.decode()
    too_long = client.post(NEW, {"kind": "channel", "channel": "x", "lifetime": "temporary", "expire_days": "31"})
    assert too_long.status_code == 400
    assert 'data-testid="field-error-expire_days"' in too_long.content.decode()
    assert not QrCode.objects.for_merchant(merchant).exists()


@pytest.mark.django_db
def test_another_merchants_code_cannot_be_downloaded(client, merchant, other_merchant, login_as):
    theirs = qr_code_create(merchant=other_merchant, kind="channel", channel="theirs", api=LocalQrApi())
    login_as(merchant, "owner")
    assert client.get(f"/dashboard/qr-codes/{theirs.public_id}/qr.png").status_code == 404
    assert client.get(f"/dashboard/qr-codes/{theirs.public_id}/qr.svg").status_code == 404
    assert theirs.public_id not in client.get("/dashboard/qr-codes/").content.decode()


@pytest.mark.django_db
def test_qr_codes_are_for_owners_and_admins(client, merchant, login_as):
    login_as(merchant, "store_manager")
    assert client.get("/dashboard/qr-codes/").status_code == 403
    assert client.post(NEW, {"kind": "channel", "channel": "x", "lifetime": "permanent"}).status_code == 403
