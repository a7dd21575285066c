import struct
from datetime import timedelta
from urllib.parse import quote

import pytest

from weloop.core.clock import travel
from weloop.simulator import phone
from weloop.simulator.errors import PhoneActionRefused
from weloop.simulator.models import SimQrTicket


def _qr(action, scene, expire=None):
    body = {"action_name": action, "action_info": {"scene": scene}}
    return {**body, "expire_seconds": expire} if expire is not None else body


def test_temporary_qr_returns_ticket_expiry_and_url(wechat):
    answer = wechat.post("/cgi-bin/qrcode/create", _qr("QR_SCENE", {"scene_id": 123}, 604800))
    assert answer["expire_seconds"] == 604800
    assert answer["url"].startswith("http://weixin.qq.com/q/")
    assert SimQrTicket.objects.get(ticket=answer["ticket"]).scene_id == 123


def test_permanent_qr_has_no_expiry_and_is_stable_per_scene(wechat):
    first = wechat.post("/cgi-bin/qrcode/create", _qr("QR_LIMIT_STR_SCENE", {"scene_str": "store_42"}))
    again = wechat.post("/cgi-bin/qrcode/create", _qr("QR_LIMIT_STR_SCENE", {"scene_str": "store_42"}))
    assert "expire_seconds" not in first
    assert first["ticket"] == again["ticket"]


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (_qr("QR_SCENE", {"scene_id": 1}, 2592001), 40035),
        (_qr("QR_STR_SCENE", {"scene_str": "x"}, 0), 40035),
        (_qr("QR_LIMIT_SCENE", {"scene_id": 100001}), 40053),
        (_qr("QR_LIMIT_SCENE", {"scene_id": 0}), 40053),
        (_qr("QR_SCENE", {"scene_id": 0}, 60), 40053),
        (_qr("QR_LIMIT_STR_SCENE", {"scene_str": "x" * 65}), 40053),
        (_qr("QR_LIMIT_STR_SCENE", {"scene_str": ""}), 40053),
        (_qr("QR_FOREVER", {"scene_id": 1}), 40052),
        ({"action_name": "QR_SCENE", "expire_seconds": 60}, 40053),
    ],
)
def test_qr_limits(wechat, body, errcode):
    assert wechat.post("/cgi-bin/qrcode/create", body)["errcode"] == errcode


def test_qr_limits_accept_the_edges(wechat):
    assert "ticket" in wechat.post("/cgi-bin/qrcode/create", _qr("QR_SCENE", {"scene_id": 7}, 2592000))
    assert "ticket" in wechat.post("/cgi-bin/qrcode/create", _qr("QR_LIMIT_SCENE", {"scene_id": 100000}))
    assert "ticket" in wechat.post("/cgi-bin/qrcode/create", _qr("QR_LIMIT_STR_SCENE", {"scene_str": "x" * 64}))


def test_showqrcode_serves_a_png_until_expiry(client, wechat):
    ticket = wechat.post("/cgi-bin/qrcode/create", _qr("QR_SCENE", {"scene_id": 5}, 60))["ticket"]
    response = client.get(f"/simulator/mp/cgi-bin/showqrcode?ticket={quote(ticket)}")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    png = response.content
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == height >= 21 * 8
    with travel(timedelta(seconds=61)):
        assert client.get(f"/simulator/mp/cgi-bin/showqrcode?ticket={quote(ticket)}").status_code == 404
    assert client.get("/simulator/mp/cgi-bin/showqrcode?ticket=nope").status_code == 404


def test_scanning_follows_with_qrscene_then_sends_scan(wechat, sim_account, make_user):
    answer = wechat.post("/cgi-bin/qrcode/create", _qr("QR_LIMIT_STR_SCENE", {"scene_str": "store_42"}))
    user = make_user(follow=False)
    # a non-follower scans: subscribe with qrscene_ and the ticket
    follow = phone.scan(account=sim_account, user=user, code=answer["url"])
    assert "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_store_42]]></EventKey>" in follow.xml
    assert f"<Ticket><![CDATA[{answer['ticket']}]]></Ticket>" in follow.xml
    user.refresh_from_db()
    assert user.subscribed and user.qr_scene_str == "store_42"
    assert wechat.get("/cgi-bin/user/info", openid=user.openid)["subscribe_scene"] == "ADD_SCENE_QR_CODE"
    # a follower scans: SCAN with the bare scene
    scan = phone.scan(account=sim_account, user=user, code=answer["ticket"])
    assert "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[store_42]]></EventKey>" in scan.xml
    assert scan.msg_id is None


def test_scanning_refuses_expired_and_foreign_codes(wechat, sim_account, other_sim_account, make_user):
    user = make_user()
    temporary = wechat.post("/cgi-bin/qrcode/create", _qr("QR_SCENE", {"scene_id": 9}, 60))
    with travel(timedelta(seconds=61)), pytest.raises(PhoneActionRefused):
        phone.scan(account=sim_account, user=user, code=temporary["ticket"])
    foreign = SimQrTicket.objects.create(
        appid=other_sim_account.appid,
        ticket="gQforeign",
        action_name="QR_SCENE",
        scene_id=1,
        url="http://weixin.qq.com/q/foreign",
    )
    with pytest.raises(PhoneActionRefused):
        phone.scan(account=sim_account, user=user, code=foreign.url)
