"""Member pages: the list with search and filters, a member's first touch and timeline, isolation.

Members are made the way WeChat makes them (follows, scans, messages) through the members services.
Assertions read data-testid attributes, not English words.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.dashboard.tests.conftest import error_code
from weloop.members.enums import TouchKind
from weloop.members.models import QrCode
from weloop.members.services import member_follow, member_touch, member_unfollow, qr_code_create
from weloop.messaging.enums import Direction, LogStatus
from weloop.messaging.models import MessageLog
from weloop.wechat.client import QrCode as WechatQrCode

pytestmark = pytest.mark.django_db


class FakeQrApi:
    """WeChat's qrcode/create, answered locally: these tests are about pages, not the protocol."""

    def qrcode_create(self, scene, *, permanent, expire_seconds=None):
        return WechatQrCode(ticket=f"t-{scene}", url=f"http://weixin.qq.com/q/{scene}", expire_seconds=expire_seconds)


def store_qr(merchant, store) -> QrCode:
    return qr_code_create(merchant=merchant, kind="store", store=store, api=FakeQrApi())


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="member-row" data-member-id="([^"]+)"', response.content.decode())


@pytest.fixture
def people(merchant, store):
    """Alice followed through the store's QR code; Bob followed, then left; Carol only wrote."""
    t0 = clock.now() - timedelta(days=2)
    alice = member_follow(merchant=merchant, openid="o_alice", scene=store_qr(merchant, store).scene_str, at=t0)
    alice.nickname = "Alice Wang"
    alice.save(update_fields=["nickname"])
    member_follow(merchant=merchant, openid="o_bob", at=t0)
    bob = member_unfollow(merchant=merchant, openid="o_bob", at=t0 + timedelta(hours=1))
    carol = member_touch(
        merchant=merchant, openid="o_carol", kind=TouchKind.MESSAGE, source="message", is_following=True
    ).member
    return {"alice": alice, "bob": bob, "carol": carol}


def test_member_list_shows_newest_first_with_first_touch(client, merchant, login_as, people, store):
    login_as(merchant, "admin")
    response = client.get("/dashboard/members/")
    assert response.status_code == 200
    assert row_ids(response) == [people["carol"].public_id, people["bob"].public_id, people["alice"].public_id]
    body = response.content.decode()
    alice_row = body[body.index(f'data-member-id="{people["alice"].public_id}"') :].split("</tr>")[0]
    assert 'data-source="follow"' in alice_row
    assert f'data-testid="member-first-store">{store.name}<' in alice_row
    assert 'data-testid="member-first-qr"' in alice_row


def test_member_list_search_by_nickname_and_openid(client, merchant, login_as, people):
    login_as(merchant, "owner")
    assert row_ids(client.get("/dashboard/members/?q=alice")) == [people["alice"].public_id]
    assert row_ids(client.get("/dashboard/members/?q=o_bob")) == [people["bob"].public_id]
    empty = client.get("/dashboard/members/?q=nobody")
    assert row_ids(empty) == [] and 'data-testid="member-list-empty"' in empty.content.decode()


def test_member_list_filters_following_store_and_source(client, merchant, login_as, people, store):
    login_as(merchant, "owner")
    following = row_ids(client.get("/dashboard/members/?following=yes"))
    assert set(following) == {people["alice"].public_id, people["carol"].public_id}
    assert row_ids(client.get("/dashboard/members/?following=no")) == [people["bob"].public_id]
    assert row_ids(client.get(f"/dashboard/members/?store={store.public_id}")) == [people["alice"].public_id]
    assert row_ids(client.get("/dashboard/members/?source=message")) == [people["carol"].public_id]
    # unknown filter values are ignored, never a 500
    assert len(row_ids(client.get("/dashboard/members/?following=maybe&source=bogus&store=st_nope"))) == 3


def test_member_list_htmx_search_returns_the_same_page(client, merchant, login_as, people):
    login_as(merchant, "owner")
    response = client.get("/dashboard/members/?q=alice", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert row_ids(response) == [people["alice"].public_id]


def test_member_page_shows_profile_and_the_whole_timeline_newest_first(client, merchant, login_as, people, store):
    # given Alice's follow through the store QR, then a location, a menu click and a text message
    alice = people["alice"]
    now = clock.now()
    member_touch(
        merchant=merchant,
        openid=alice.openid,
        kind=TouchKind.LOCATION,
        at=now - timedelta(hours=3),
        latitude="22.54",
        longitude="114.05",
    )
    member_touch(
        merchant=merchant,
        openid=alice.openid,
        kind=TouchKind.MENU_CLICK,
        at=now - timedelta(hours=2),
        detail={"key": "V1001_TODAY"},
    )
    member_touch(
        merchant=merchant,
        openid=alice.openid,
        kind=TouchKind.MESSAGE,
        at=now - timedelta(hours=1),
        detail={"msg_type": "text", "msg_id": "9001"},
    )
    MessageLog.objects.create(
        merchant=merchant,
        direction=Direction.IN,
        member=alice,
        openid=alice.openid,
        msg_type="text",
        summary="Do you have croissants?",
        dedup_key="gh:9001",
        msg_id="9001",
        status=LogStatus.HANDLED,
    )
    login_as(merchant, "service_agent")

    # when a service agent opens her page
    response = client.get(f"/dashboard/members/{alice.public_id}/")

    # then the profile, the first touch and every touch, newest first, are shown
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="member-following" data-following="yes"' in body
    assert f'data-testid="member-first-store">{store.name}<' in body
    kinds = re.findall(r'data-testid="member-timeline-item" data-kind="(\w+)"', body)
    assert kinds == ["message", "menu_click", "location", "follow"]
    assert 'data-testid="member-timeline-message">Do you have croissants?<' in body
    assert "V1001_TODAY" in body
    assert "22.540000, 114.050000" in body


def test_unfollow_appears_in_the_timeline(client, merchant, login_as, people):
    login_as(merchant, "owner")
    body = client.get(f"/dashboard/members/{people['bob'].public_id}/").content.decode()
    assert re.findall(r'data-testid="member-timeline-item" data-kind="(\w+)"', body) == ["unfollow", "follow"]
    assert 'data-following="no"' in body


def test_another_merchants_member_is_not_found(client, merchant, other_merchant, login_as):
    # given a member of the other merchant
    stranger = member_follow(merchant=other_merchant, openid="o_rival_fan")
    login_as(merchant, "owner")
    # when our owner asks for it by its id
    response = client.get(f"/dashboard/members/{stranger.public_id}/")
    # then it does not exist here, and the list does not show it either
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert stranger.public_id not in client.get("/dashboard/members/").content.decode()


def test_clerks_may_not_see_members(client, merchant, login_as):
    login_as(merchant, "clerk")
    response = client.get("/dashboard/members/")
    assert response.status_code == 403
    assert error_code(response) == "tenants.role_forbidden"
