"""The platform and the simulator over real HTTP: QR codes created at "WeChat", scanned on the phone,
pushed to the callback.

The simulator plays WeChat at live_server.url + /simulator/...; the platform is pointed at it through
the base-URL settings only, as it would be pointed at api.weixin.qq.com.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from weloop.members.enums import QrCodeKind
from weloop.members.models import Member
from weloop.members.services import qr_code_create
from weloop.simulator import phone
from weloop.simulator.accounts import account_for_appid
from weloop.simulator.enums import DeliveryStatus, OutboundKind
from weloop.simulator.models import SimDelivery, SimOutboundMessage, SimQrTicket
from weloop.tenants.models import WechatAccount

pytestmark = pytest.mark.django_db(transaction=True)

FUTIAN = ("22.543096", "114.057865")
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERING)


def _delivered(delivery: SimDelivery, timeout: float = 15) -> SimDelivery:
    """Wait for the simulator's push pool to deliver (it pushes from its own threads, as WeChat does)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status not in PENDING:
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"delivery {delivery.pk} still {delivery.status} after {timeout} s")


def test_store_qr_follow_then_location_gets_the_nearby_reply(simulated_wechat, new_merchant, make_store):
    merchant = new_merchant.merchant
    store = make_store(merchant, name="Futian flagship", latitude=FUTIAN[0], longitude=FUTIAN[1])
    # given a store QR code created at (simulated) WeChat
    code = qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store)
    ticket = SimQrTicket.objects.get(ticket=code.ticket)
    assert (ticket.scene_str, ticket.permanent, code.url) == (code.public_id, True, ticket.url)
    # when a new WeChat user scans it on the phone (which follows the account)
    account = account_for_appid(new_merchant.wechat.appid)
    user = phone.user_create(account=account, nickname="Alice", simulator_base=simulated_wechat + "/simulator")
    follow = _delivered(phone.scan(account=account, user=user, code=code.url))
    assert follow.status in (DeliveryStatus.ACCEPTED, DeliveryStatus.REPLIED), follow.failure_reason
    # then the member exists, attributed to the store, and the code counts the follow
    member = Member.objects.get(merchant=merchant, openid=user.openid)
    assert (member.first_store, member.first_qr_code, member.is_following) == (store, code, True)
    code.refresh_from_db()
    assert (code.scan_count, code.follow_count) == (1, 1)
    # when the user sends a location next to the store
    located = _delivered(
        phone.send_location(account=account, user=user, latitude="22.5431", longitude="114.0579", label="Futian")
    )
    # then WeChat shows the user a reply naming the store
    assert located.status == DeliveryStatus.REPLIED, located.failure_reason
    reply = SimOutboundMessage.objects.get(delivery=located, kind=OutboundKind.PASSIVE_REPLY)
    assert reply.msgtype == "text"
    # (after the store's hours the line ends with its status, e.g. " · 休息中")
    assert re.search(r"^1\. Futian flagship · \d+ m( · \S+)?$", reply.body["text"]["content"], re.MULTILINE)


def test_qr_code_api_creates_at_wechat_and_reports_wechats_errors(simulated_wechat, api_client, store):
    # when a client creates a store QR code over the API
    response = api_client.post(
        "/api/v1/qrcodes", {"kind": "store", "store_id": store.public_id}, content_type="application/json"
    )
    # then WeChat issued it, and its image is served by WeChat's showqrcode
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("qr_") and body["scene"] == body["id"] and body["store_id"] == store.public_id
    assert SimQrTicket.objects.filter(ticket=body["ticket"], scene_str=body["id"]).exists()
    image = requests.get(body["image_url"], timeout=5)
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/")
    assert api_client.get(f"/api/v1/qrcodes/{body['id']}").json()["scan_count"] == 0
    # when WeChat refuses (an account it does not know: the simulator only knows simulated ones),
    # then the API says so with WeChat's errcode
    WechatAccount.objects.filter(merchant=store.merchant).update(appid="wx" + "0" * 16, is_simulated=False)
    refused = api_client.post(
        "/api/v1/qrcodes", {"kind": "channel", "channel": "flyer"}, content_type="application/json"
    )
    assert refused.status_code == 502, refused.content
    assert refused.json()["code"] == "wechat.api_error" and refused.json()["extra"]["errcode"]
