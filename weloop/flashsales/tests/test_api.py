"""/api/v1/flash-sales: create, list, get, claim for a member by openid, cancel."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_create_claim_and_cancel_through_the_api(api_client, merchant, sku, store, make_member):
    now = clock.now()
    created = post(
        api_client,
        "/api/v1/flash-sales",
        {
            "sku_id": sku.public_id,
            "price_fen": 500,
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "quota": 2,
            "store_id": store.public_id,
        },
    )
    assert created.status_code == 201, created.content
    sale = created.json()
    assert sale["status"] == "live" and sale["available"] == 2

    first, second, third = make_member(), make_member(), make_member()
    unknown = post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": "nobody"})
    assert unknown.status_code == 404  # while units are left, the member is looked up
    won = post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": first.openid})
    assert won.status_code == 201, won.content
    assert Order.objects.get(order_no=won.json()["order_no"]).total_fen == 500

    again = post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": first.openid})
    assert again.status_code == 409 and again.json()["code"] == "flashsales.already_claimed"
    assert again.json()["extra"]["order_no"] == won.json()["order_no"]
    assert post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": second.openid}).status_code == 201
    late = post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": third.openid})
    assert late.status_code == 409 and late.json()["code"] == "flashsales.sold_out"
    # Once sold out, the answer comes before the member is looked up: no query for anyone.
    stranger = post(api_client, f"/api/v1/flash-sales/{sale['id']}/claims", {"openid": "nobody"})
    assert stranger.status_code == 409 and stranger.json()["code"] == "flashsales.sold_out"

    detail = api_client.get(f"/api/v1/flash-sales/{sale['id']}").json()
    assert (detail["sold"], detail["available"]) == (2, 0)
    listed = api_client.get("/api/v1/flash-sales").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == sale["id"]

    cancelled = post(api_client, f"/api/v1/flash-sales/{sale['id']}/cancel", {"reason": "test"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = post(api_client, f"/api/v1/flash-sales/{sale['id']}/cancel", {})
    assert twice.status_code == 409


def test_bad_sales_are_refused(api_client, sku):
    now = clock.now()
    body = {
        "sku_id": sku.public_id,
        "price_fen": 500,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "quota": 0,
    }
    refused = post(api_client, "/api/v1/flash-sales", body)
    assert refused.status_code == 400 and refused.json()["extra"]["field"] == "quota"
    unknown = post(api_client, "/api/v1/flash-sales", {**body, "quota": 5, "sku_id": "sku_NOPE"})
    assert unknown.status_code == 404


def test_a_sold_out_claim_costs_no_query(api_client, make_sale, make_member, django_assert_num_queries):
    sale = make_sale(quota=1)
    path = f"/api/v1/flash-sales/{sale.public_id}/claims"
    assert post(api_client, path, {"openid": make_member().openid}).status_code == 201
    late = make_member()

    with django_assert_num_queries(0):  # the API key, the sale and the sold-out mark are in memory
        refused = post(api_client, path, {"openid": late.openid})

    assert refused.status_code == 409 and refused.json()["code"] == "flashsales.sold_out"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert not Order.objects.filter(member=late).exists()
