"""The /api/v1/members and /api/v1/qrcodes operations, through HTTP."""

from __future__ import annotations

import pytest

from weloop.members import services
from weloop.members.enums import QrCodeKind, TouchKind
from weloop.members.tests.factories import FakeQrApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(merchant, store):
    code = services.qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store, api=FakeQrApi())
    alice = services.member_follow(merchant=merchant, openid="o-alice", scene=code.scene_str)
    services.member_touch(merchant=merchant, openid="o-alice", kind=TouchKind.MESSAGE, detail={"msg_type": "text"})
    bob = services.member_follow(merchant=merchant, openid="o-bob")
    services.member_unfollow(merchant=merchant, openid="o-bob")
    return {"alice": alice, "bob": bob, "code": code}


@pytest.fixture
def wechat_qr_api(monkeypatch):
    """The merchant's WeChatApi, answering qrcode/create without a network (the live test uses the simulator)."""
    fake = FakeQrApi()
    monkeypatch.setattr(services, "_qr_api_for", lambda merchant: fake)
    return fake


def test_list_members_with_filters_and_pages(api_client, members, store):
    everyone = api_client.get("/api/v1/members").json()
    assert everyone["count"] == 2 and [m["openid"] for m in everyone["items"]] == ["o-bob", "o-alice"]
    following = api_client.get("/api/v1/members", {"following": "true"}).json()
    assert [m["openid"] for m in following["items"]] == ["o-alice"]
    from_store = api_client.get("/api/v1/members", {"store_id": store.public_id}).json()
    assert [m["id"] for m in from_store["items"]] == [members["alice"].public_id]
    page = api_client.get("/api/v1/members", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [m["openid"] for m in page["items"]] == ["o-alice"]
    assert api_client.get("/api/v1/members", {"q": "o-bob"}).json()["count"] == 1


def test_get_member_by_id_and_by_openid(api_client, members, store):
    alice = members["alice"]
    by_id = api_client.get(f"/api/v1/members/{alice.public_id}").json()
    by_openid = api_client.get("/api/v1/members/by-openid/o-alice").json()
    assert by_id == by_openid
    assert by_id["first_source"] == "follow" and by_id["first_store_id"] == store.public_id
    assert by_id["first_qr_code_id"] == members["code"].public_id and by_id["is_following"] is True


def test_member_timeline_is_newest_first(api_client, members, store):
    body = api_client.get(f"/api/v1/members/{members['alice'].public_id}/timeline").json()
    assert body["count"] == 2
    assert [t["kind"] for t in body["items"]] == ["message", "follow"]
    assert body["items"][1]["store_id"] == store.public_id and body["items"][1]["detail"]["scene"]


def test_another_merchants_member_is_404(api_client, other_merchant):
    rival = services.member_follow(merchant=other_merchant, openid="o-rival")
    for path in (f"/api/v1/members/{rival.public_id}", "/api/v1/members/by-openid/o-rival"):
        response = api_client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert api_client.get(f"/api/v1/members/{rival.public_id}/timeline").status_code == 404


def test_members_need_an_api_key(client):
    assert client.get("/api/v1/members").status_code == 401


def test_qr_codes_list_and_get(api_client, members):
    code = members["code"]
    listed = api_client.get("/api/v1/qrcodes").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == code.public_id
    one = api_client.get(f"/api/v1/qrcodes/{code.public_id}").json()
    assert (one["scan_count"], one["follow_count"], one["kind"]) == (1, 1, "store")
    assert "/cgi-bin/showqrcode?ticket=" in one["image_url"]
    assert api_client.get("/api/v1/qrcodes", {"kind": "guide"}).json()["count"] == 0


def test_create_qr_code_for_a_guide(api_client, merchant, make_staff, wechat_qr_api):
    guide = make_staff(merchant, "clerk")
    response = api_client.post(
        "/api/v1/qrcodes",
        {"kind": "guide", "staff_id": guide.public_id, "permanent": False, "expire_seconds": 3600},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["staff_id"], body["permanent"]) == ("guide", guide.public_id, False)
    assert body["expire_at"] is not None and wechat_qr_api.calls == [(body["id"], False, 3600)]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"kind": "store"}, 400, "members.invalid_qr_code"),
        ({"kind": "channel", "channel": "x", "expire_seconds": 60}, 400, "wechat.limit_exceeded"),
        ({"kind": "store", "store_id": "st_NOPE"}, 404, "not_found"),
        ({"kind": "guide", "staff_id": "stf_NOPE"}, 404, "not_found"),
        ({"kind": "poster"}, 422, None),
        ({"kind": "store", "colour": "red"}, 422, None),
    ],
)
def test_create_qr_code_refuses_bad_input(api_client, payload, status, code, wechat_qr_api):
    response = api_client.post("/api/v1/qrcodes", payload, content_type="application/json")
    assert response.status_code == status, response.content
    if code:
        assert response.json()["code"] == code
    assert api_client.get("/api/v1/qrcodes").json()["count"] == 0


def test_create_qr_code_for_another_merchants_store_is_404(api_client, other_merchant, make_store, wechat_qr_api):
    rival_store = make_store(other_merchant)
    response = api_client.post(
        "/api/v1/qrcodes", {"kind": "store", "store_id": rival_store.public_id}, content_type="application/json"
    )
    assert response.status_code == 404 and wechat_qr_api.calls == []


def test_every_field_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for name in ("MemberOut", "TouchOut", "QrCodeOut", "QrCodeIn"):
        undocumented = [field for field, prop in schemas[name]["properties"].items() if not prop.get("description")]
        assert undocumented == [], f"{name}: {undocumented}"
    paths = [p for p in spec["paths"] if p.startswith("/api/v1/members") or p.startswith("/api/v1/qrcodes")]
    assert len(paths) == 8  # members, by openid, one, timeline, tags (list/add, remove), qrcodes (list/create, one)
    for path in paths:
        for operation in spec["paths"][path].values():
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), f"{path} {parameter['name']}"
