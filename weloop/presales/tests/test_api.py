"""/api/v1/presales: create, list, get, join for a member, participants, cancel; bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.orders.models import Order

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_create_join_participants_and_cancel_through_the_api(api_client, sku, store, make_member, pay):
    body = {
        "sku_id": sku.public_id,
        "mode": "deposit",
        "price_fen": 30000,
        "deposit_fen": 5000,
        "target_quantity": 2,
        "max_quantity": 3,
        "deadline": (clock.now() + timedelta(days=2)).isoformat(),
        "store_id": store.public_id,
        "lead_time_text": "15 days after success",
    }
    created = post(api_client, "/api/v1/presales", body)
    assert created.status_code == 201, created.content
    presale = created.json()
    assert presale["status"] == "open" and presale["balance_fen"] == 25000 and presale["progress"]["available"] == 3

    member = make_member()
    joined = post(
        api_client, f"/api/v1/presales/{presale['id']}/participants", {"openid": member.openid, "quantity": 2}
    )
    assert joined.status_code == 201, joined.content
    order = Order.objects.get(order_no=joined.json()["order_no"])
    assert order.total_fen == 10000
    pay(order)
    got = api_client.get(f"/api/v1/presales/{presale['id']}").json()
    assert got["progress"]["paid_quantity"] == 2 and got["progress"]["percent"] == 100
    full = post(
        api_client, f"/api/v1/presales/{presale['id']}/participants", {"openid": make_member().openid, "quantity": 2}
    )
    assert full.status_code == 409 and full.json()["code"] == "presales.full"
    listed = api_client.get("/api/v1/presales").json()
    assert [p["id"] for p in listed["items"]] == [presale["id"]]
    people = api_client.get(f"/api/v1/presales/{presale['id']}/participants").json()["items"]
    assert people[0]["status"] == "paid" and people[0]["member_id"] == member.public_id

    cancelled = post(api_client, f"/api/v1/presales/{presale['id']}/cancel", {"reason": "supplier gone"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["outcome"] == "cancelled"
    again = post(api_client, f"/api/v1/presales/{presale['id']}/cancel", {})
    assert again.status_code == 409 and again.json()["code"] == "state.invalid_transition"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"deadline": "past"}, "deadline"),
        ({"target_quantity": 0}, "target_quantity"),
        ({"mode": "deposit", "deposit_fen": 30000}, "deposit_fen"),
        ({"max_quantity": 1}, "max_quantity"),
    ],
)
def test_bad_input_is_a_400_with_the_field(api_client, sku, changes, field):
    body = {
        "sku_id": sku.public_id,
        "mode": "full",
        "price_fen": 30000,
        "target_quantity": 2,
        "deadline": (clock.now() + timedelta(days=2)).isoformat(),
        **changes,
    }
    if body["deadline"] == "past":
        body["deadline"] = (clock.now() - timedelta(hours=1)).isoformat()
    answer = post(api_client, "/api/v1/presales", body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "presales.invalid" and answer.json()["extra"]["field"] == field


def test_an_unknown_presale_is_a_404(api_client):
    assert api_client.get("/api/v1/presales/ps_NOPE000000").status_code == 404
    assert post(api_client, "/api/v1/presales/ps_NOPE000000/cancel", {}).status_code == 404
