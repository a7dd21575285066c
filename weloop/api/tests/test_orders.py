"""/api/v1/orders: placing orders for members, paying, refunding, shipping, tracking, cancelling."""

# ruff: noqa: F401, F811

from __future__ import annotations

import pytest
from django.test import Client

from weloop.core.events import deliver_due
from weloop.orders.models import Order, Shipment

# Fixtures shared with the services' own tests: an on-sale product with SKUs, stock, members, a
# clerk, and simulated WeChat Pay reached in-process. Imported, so tests take them as arguments
# (hence the file-wide F401/F811 exemption at the top).
from weloop.orders.tests.fixtures import clerk, make_member, member, product, sku, sku_large, stock
from weloop.payments.models import Payment
from weloop.payments.tests.fixtures import _fast_keys, in_process_wechat, pay_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(sku, stock, store):
    """Ten units of ``sku`` in the warehouse and ten in ``store``."""
    stock(sku, 10)
    stock(sku, 10, store=store)
    return sku


@pytest.fixture
def pickup_body(member, stocked, store):
    def make(**changes):
        body = {
            "openid": member.openid,
            "lines": [{"sku_id": stocked.public_id, "quantity": 2}],
            "fulfilment": {"type": "pickup", "store_id": store.public_id},
        }
        body.update(changes)
        return body

    return make


@pytest.fixture
def delivery_body(member, stocked):
    return {
        "openid": member.openid,
        "lines": [{"sku_id": stocked.public_id, "quantity": 2}],
        "fulfilment": {
            "type": "delivery",
            "address": {"name": "李雷", "phone": "13800138000", "city": "深圳市", "detail": "科苑南路 1 号"},
        },
        "note": "少糖",
    }


@pytest.fixture
def intruder(other_new_merchant):
    """A client with another merchant's API key."""
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {other_new_merchant.api_key}"
    return client


def _place(call, body) -> dict:
    response = call("POST", "/orders", body)
    assert response.status_code == 201, response.content
    return response.json()


def _pay_cash(call, order_no, clerk) -> dict:
    response = call("POST", f"/orders/{order_no}/payments", {"method": "offline_cash", "staff_id": clerk.public_id})
    assert response.status_code == 201, response.content
    return response.json()


# --- placing ------------------------------------------------------------------------------------


def test_place_pickup_order_for_a_member(call, pickup_body, merchant, member, stocked, store):
    response = call("POST", "/orders", pickup_body())
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.for_merchant(merchant).get()
    assert body["order_no"] == order.order_no
    assert body["status"] == "pending_payment"
    assert (body["member_id"], body["openid"]) == (member.public_id, member.openid)
    assert body["store_id"] == store.public_id and body["fulfilment_type"] == "pickup"
    assert (body["subtotal_fen"], body["total_fen"], body["refundable_fen"]) == (2500, 2500, 2500)
    assert body["lines"][0]["sku_id"] == stocked.public_id
    assert (body["lines"][0]["quantity"], body["lines"][0]["unit_price_fen"]) == (2, 1250)
    assert body["attribution"] == {
        "source_store_id": store.public_id,
        "guide_id": None,
        "qr_scene": "",
        "channel": "api",
        "created_by_staff_id": None,
    }
    assert body["address"] is None and body["payments"] == [] and body["shipments"] == []


def test_place_valet_order_credits_the_guide(call, pickup_body, clerk):
    body = _place(call, pickup_body(guide_id=clerk.public_id))
    assert body["attribution"]["channel"] == "valet"
    assert body["attribution"]["guide_id"] == clerk.public_id
    assert body["attribution"]["created_by_staff_id"] == clerk.public_id


def test_place_delivery_order_keeps_the_address(call, delivery_body):
    body = _place(call, delivery_body)
    assert body["address"]["name"] == "李雷" and body["address"]["detail"] == "科苑南路 1 号"
    assert body["store_id"] is None and body["note"] == "少糖"


def test_idempotency_key_places_one_order(call, pickup_body, merchant):
    first = call("POST", "/orders", pickup_body(), key="order-42")
    again = call("POST", "/orders", pickup_body(), key="order-42")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["order_no"] == first.json()["order_no"]
    assert Order.objects.for_merchant(merchant).count() == 1


@pytest.mark.parametrize(
    ("quantity", "status", "code"),
    [
        (-1, 400, "orders.invalid_quantity"),
        (0, 400, "orders.invalid_quantity"),
        (10000, 400, "orders.invalid_quantity"),
        (1.5, 422, "request.invalid"),
        ("2", 422, "request.invalid"),
        (True, 422, "request.invalid"),
    ],
)
def test_bad_quantities_are_refused(call, pickup_body, stocked, merchant, quantity, status, code):
    response = call("POST", "/orders", pickup_body(lines=[{"sku_id": stocked.public_id, "quantity": quantity}]))
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert not Order.objects.for_merchant(merchant).exists()


def test_refused_orders_say_why(call, pickup_body, delivery_body, make_staff, other_merchant):
    unknown_sku = call("POST", "/orders", pickup_body(lines=[{"sku_id": "sku_NOPE000000", "quantity": 1}]))
    assert (unknown_sku.status_code, unknown_sku.json()["code"]) == (400, "orders.unknown_sku")
    empty = call("POST", "/orders", pickup_body(lines=[]))
    assert (empty.status_code, empty.json()["code"]) == (400, "orders.empty")
    no_address = call("POST", "/orders", {**delivery_body, "fulfilment": {"type": "delivery"}})
    assert (no_address.status_code, no_address.json()["code"]) == (400, "orders.invalid_address")
    stranger = call("POST", "/orders", pickup_body(openid="o-nobody"))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    foreign_guide = make_staff(other_merchant, "clerk")
    guide = call("POST", "/orders", pickup_body(guide_id=foreign_guide.public_id))
    assert guide.status_code == 404
    too_many = call(
        "POST", "/orders", pickup_body(lines=[{"sku_id": pickup_body()["lines"][0]["sku_id"], "quantity": 11}])
    )
    assert (too_many.status_code, too_many.json()["code"]) == (409, "orders.insufficient_stock")


# --- reading ------------------------------------------------------------------------------------


def test_list_orders_filters_and_pages(call, pickup_body, delivery_body, make_member, store, stocked):
    first = _place(call, pickup_body())
    second = _place(call, delivery_body)
    other_member = make_member()
    third = _place(call, pickup_body(openid=other_member.openid))
    listed = call("GET", "/orders?limit=2").json()
    assert listed["count"] == 3
    assert [o["order_no"] for o in listed["items"]] == [third["order_no"], second["order_no"]]
    by_store = call("GET", f"/orders?store_id={store.public_id}").json()
    assert {o["order_no"] for o in by_store["items"]} == {first["order_no"], third["order_no"]}
    by_member = call("GET", f"/orders?openid={other_member.openid}").json()
    assert [o["order_no"] for o in by_member["items"]] == [third["order_no"]]
    by_id = call("GET", f"/orders?member_id={other_member.public_id}").json()
    assert [o["order_no"] for o in by_id["items"]] == [third["order_no"]]
    assert call("GET", "/orders?status=paid").json()["count"] == 0
    assert call("GET", "/orders?status=nonsense").status_code == 422


def test_get_order_and_unknown_order(call, pickup_body):
    placed = _place(call, pickup_body())
    got = call("GET", f"/orders/{placed['order_no']}")
    assert got.status_code == 200 and got.json() == placed
    missing = call("GET", "/orders/O2000010100000000")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_another_merchants_key_finds_no_order(call, delivery_body, clerk, intruder):
    order_no = _place(call, delivery_body)["order_no"]
    _pay_cash(call, order_no, clerk)
    shipment = call("POST", f"/orders/{order_no}/shipments", {"carrier": "SF", "tracking_no": "SF1"}).json()
    attempts = [
        ("GET", f"/orders/{order_no}", None),
        ("POST", f"/orders/{order_no}/payments", {"method": "wechat_native"}),
        ("POST", f"/orders/{order_no}/refunds", {"amount_fen": 100, "reason": "x"}),
        ("POST", f"/orders/{order_no}/shipments", {"carrier": "SF", "tracking_no": "SF2"}),
        (
            "POST",
            f"/orders/{order_no}/shipments/{shipment['id']}/events",
            {"at": "2026-02-17T10:00:00+08:00", "description": "x"},
        ),
        ("POST", f"/orders/{order_no}/cancel", None),
    ]
    for method, path, body in attempts:
        response = call(method, path, body, client=intruder)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (method, path)
    assert call("GET", "/orders", client=intruder).json()["count"] == 0
    assert call("GET", f"/orders/{order_no}").json()["status"] == "shipped"  # untouched


# --- paying -------------------------------------------------------------------------------------


def test_offline_paid_delivery_order_end_to_end(call, delivery_body, clerk, merchant):
    # given a delivery order paid in cash at the counter
    order_no = _place(call, delivery_body)["order_no"]
    paid = _pay_cash(call, order_no, clerk)
    assert paid["order_status"] == "paid"
    assert paid["payment"]["method"] == "offline_cash" and paid["payment"]["status"] == "succeeded"
    assert paid["payment"]["amount_fen"] == 2500 and paid["code_url"] is None
    # when it is shipped and tracked
    shipped = call("POST", f"/orders/{order_no}/shipments", {"carrier": "顺丰速运", "tracking_no": "SF1234567890"})
    assert shipped.status_code == 201, shipped.content
    shipment_id = shipped.json()["id"]
    assert shipment_id.startswith("shp_") and shipped.json()["events"] == []
    event = call(
        "POST",
        f"/orders/{order_no}/shipments/{shipment_id}/events",
        {"at": "2026-02-17T15:30:00+08:00", "description": "已揽收", "location": "深圳南山"},
    )
    assert event.status_code == 201, event.content
    assert event.json()["description"] == "已揽收"
    # and part of it is refunded
    refund = call("POST", f"/orders/{order_no}/refunds", {"amount_fen": 1000, "reason": "少了一个"})
    assert refund.status_code == 201, refund.content
    assert refund.json()["refund_no"] == f"{order_no}R01"
    assert refund.json()["status"] == "succeeded"  # a counter payment is refunded at the counter
    assert sum(refund.json()["allocation"].values()) == 1000
    deliver_due()  # payments.refund_succeeded settles the order's refund
    # then the order shows it all
    order = call("GET", f"/orders/{order_no}").json()
    assert order["status"] == "partially_refunded"
    assert (order["refunded_fen"], order["refundable_fen"]) == (1000, 1500)
    assert order["shipments"][0]["events"][0]["location"] == "深圳南山"
    assert order["payments"][0]["id"] == paid["payment"]["id"]
    assert order["refunds"][0]["settled"] is True and order["lines"][0]["refunded_fen"] > 0
    # and the outbox's own application of the payment changed nothing more
    assert Order.objects.for_merchant(merchant).get().payment_id == paid["payment"]["id"]


def test_offline_payment_needs_the_staff_member(call, pickup_body, merchant):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/payments", {"method": "offline_card"})
    assert (response.status_code, response.json()["code"]) == (400, "payments.invalid_payment")
    assert response.json()["extra"]["field"] == "staff_id"
    assert not Payment.objects.for_merchant(merchant).exists()


def test_paid_order_is_not_paid_again(call, pickup_body, clerk):
    order_no = _place(call, pickup_body())["order_no"]
    _pay_cash(call, order_no, clerk)
    again = call("POST", f"/orders/{order_no}/payments", {"method": "offline_cash", "staff_id": clerk.public_id})
    assert (again.status_code, again.json()["code"]) == (409, "orders.not_payable")


def test_native_payment_returns_a_code_url_and_simulator_scan_url(call, pickup_body, pay_settings, in_process_wechat):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/payments", {"method": "wechat_native"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code_url"].startswith("weixin://")
    assert body["scan_url"]  # simulator mode
    assert body["payment"]["status"] == "pending" and body["order_status"] == "pending_payment"
    assert body["jsapi_params"] is None


def test_jsapi_payment_returns_bridge_params_and_wallet_url(call, pickup_body, pay_settings, in_process_wechat):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/payments", {"method": "wechat_jsapi"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["jsapi_params"]["package"].startswith("prepay_id=")
    assert {"appId", "timeStamp", "nonceStr", "signType", "paySign"} <= set(body["jsapi_params"])
    assert body["wallet_url"] and body["code_url"] is None


def test_unknown_payment_method_is_refused(call, pickup_body):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/payments", {"method": "bitcoin"})
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")


# --- refunds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        (-100, 400, "money.invalid_amount"),
        (0, 400, "orders.invalid_refund"),
        (12.5, 422, "request.invalid"),
        ("100", 422, "request.invalid"),
        (2501, 409, "orders.refund_exceeds_remaining"),
    ],
)
def test_bad_refunds_are_refused(call, pickup_body, clerk, amount, status, code):
    order_no = _place(call, pickup_body())["order_no"]
    _pay_cash(call, order_no, clerk)
    response = call("POST", f"/orders/{order_no}/refunds", {"amount_fen": amount, "reason": "x"})
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert call("GET", f"/orders/{order_no}").json()["status"] == "paid"


def test_refund_of_an_unpaid_order_is_refused(call, pickup_body):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/refunds", {"amount_fen": 100, "reason": "x"})
    assert (response.status_code, response.json()["code"]) == (409, "state.invalid_transition")


def test_full_refund_with_returned_lines(call, pickup_body, clerk):
    placed = _place(call, pickup_body())
    order_no, line_id = placed["order_no"], placed["lines"][0]["id"]
    _pay_cash(call, order_no, clerk)
    response = call(
        "POST", f"/orders/{order_no}/refunds", {"amount_fen": 2500, "reason": "退货", "return_lines": {line_id: 2}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["return_lines"] == {line_id: 2}
    deliver_due()
    order = call("GET", f"/orders/{order_no}").json()
    assert order["status"] == "refunded" and order["lines"][0]["returned_quantity"] == 2


# --- shipping and cancelling --------------------------------------------------------------------


def test_shipping_refusals(call, pickup_body, delivery_body, clerk):
    unpaid = _place(call, delivery_body)["order_no"]
    response = call("POST", f"/orders/{unpaid}/shipments", {"carrier": "SF", "tracking_no": "SF1"})
    assert (response.status_code, response.json()["code"]) == (409, "state.invalid_transition")
    pickup = _place(call, pickup_body())["order_no"]
    _pay_cash(call, pickup, clerk)
    response = call("POST", f"/orders/{pickup}/shipments", {"carrier": "SF", "tracking_no": "SF1"})
    assert (response.status_code, response.json()["code"]) == (400, "orders.invalid_shipment")
    _pay_cash(call, unpaid, clerk)
    response = call("POST", f"/orders/{unpaid}/shipments", {"carrier": "", "tracking_no": "SF1"})
    assert (response.status_code, response.json()["code"]) == (400, "orders.invalid_shipment")


def test_tracking_event_refusals(call, delivery_body, clerk, merchant):
    first = _place(call, delivery_body)["order_no"]
    second = _place(call, delivery_body)["order_no"]
    for order_no in (first, second):
        _pay_cash(call, order_no, clerk)
        call("POST", f"/orders/{order_no}/shipments", {"carrier": "SF", "tracking_no": order_no})
    shipment = Shipment.objects.for_merchant(merchant).get(order__order_no=first)
    naive = call(
        "POST",
        f"/orders/{first}/shipments/{shipment.public_id}/events",
        {"at": "2026-02-17T10:00:00", "description": "x"},
    )
    assert (naive.status_code, naive.json()["code"]) == (400, "orders.invalid_shipment")
    wrong_order = call(
        "POST",
        f"/orders/{second}/shipments/{shipment.public_id}/events",
        {"at": "2026-02-17T10:00:00+08:00", "description": "x"},
    )
    assert (wrong_order.status_code, wrong_order.json()["code"]) == (404, "not_found")
    assert not shipment.events.exists()


def test_cancel_an_unpaid_order_frees_it_once(call, pickup_body):
    order_no = _place(call, pickup_body())["order_no"]
    response = call("POST", f"/orders/{order_no}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    again = call("POST", f"/orders/{order_no}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "state.invalid_transition")
    pay = call("POST", f"/orders/{order_no}/payments", {"method": "wechat_native"})
    assert (pay.status_code, pay.json()["code"]) == (409, "orders.not_payable")


# --- virtual goods --------------------------------------------------------------------------------


def test_a_paid_virtual_order_exposes_its_codes(call, merchant, member, clerk):
    from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create

    card = product_create(merchant=merchant, data=ProductInput(name="Top-up", kind="virtual"), actor="t")
    sku = sku_create(merchant=merchant, product_id=card.public_id, data=SkuInput(code="T-1", price_fen=100), actor="t")
    product_set_status(merchant=merchant, product_id=card.public_id, status="active", actor="t")
    order = _place(
        call,
        {
            "openid": member.openid,
            "lines": [{"sku_id": sku.public_id, "quantity": 2}],
            "fulfilment": {"type": "virtual"},
        },
    )
    assert order["codes"] == [] and order["lines"][0]["kind"] == "virtual"
    _pay_cash(call, order["order_no"], clerk)
    body = call("GET", f"/orders/{order['order_no']}").json()
    assert body["status"] == "completed"
    assert len(body["codes"]) == 2 and all(len(c["code"]) == 19 and c["status"] == "issued" for c in body["codes"])
    assert body["codes"][0]["first_shown_at"] is None
