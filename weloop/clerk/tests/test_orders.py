"""Counter pages: pickup codes verified once and only in their store, cash at the counter, quick valet orders."""

from __future__ import annotations

import pytest

from weloop.orders import services
from weloop.orders.models import Order
from weloop.orders.services import Fulfilment
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.payments.models import Payment
from weloop.stores.services import store_assign_staff

# these tests read the English source strings
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def two_stores(make_store, merchant, sku, stock):
    mine, theirs = make_store(merchant, name="Mine"), make_store(merchant, name="Theirs")
    stock(sku, 10, store=mine)
    stock(sku, 10, store=theirs)
    return mine, theirs


@pytest.fixture
def clerk_client(client, make_staff, merchant, two_stores):
    staff = make_staff(merchant, "clerk")
    store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[two_stores[0].public_id])
    client.force_login(staff.user)
    return client


def ready_order(merchant, place, pay, sku, store):
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    pay(order)
    _, code = services.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="t")
    return order, code


def test_the_clerk_nav_offers_the_counter_actions(clerk_client):
    body = clerk_client.get("/clerk/").content.decode()
    assert all(f'data-testid="clerk-action-{key}"' in body for key in ("pickup", "pay", "valet"))


def test_a_pickup_code_hands_the_order_over_exactly_once(clerk_client, merchant, place, pay, sku, two_stores):
    mine = two_stores[0]
    order, code = ready_order(merchant, place, pay, sku, mine)
    first = clerk_client.post("/clerk/pickup/", {"store": mine.public_id, "code": code})
    assert first.status_code == 200 and b'data-testid="pickup-done"' in first.content
    order.refresh_from_db()
    assert order.status == "completed"
    again = clerk_client.post("/clerk/pickup/", {"store": mine.public_id, "code": code})
    assert again.status_code == 400 and "already used" in again.content.decode()


def test_a_wrong_code_is_refused_clearly(clerk_client, two_stores):
    response = clerk_client.post("/clerk/pickup/", {"store": two_stores[0].public_id, "code": "12345678"})
    assert response.status_code == 400 and b'data-testid="form-error"' in response.content


def test_a_code_of_another_store_is_refused_and_nothing_changes(clerk_client, merchant, place, pay, sku, two_stores):
    mine, theirs = two_stores
    order, code = ready_order(merchant, place, pay, sku, theirs)
    # the clerk's own store: the code waits elsewhere
    response = clerk_client.post("/clerk/pickup/", {"store": mine.public_id, "code": code})
    assert response.status_code == 404 and "another store" in response.content.decode()
    # the other store is not theirs to choose
    response = clerk_client.post("/clerk/pickup/", {"store": theirs.public_id, "code": code})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == "ready_for_pickup"


def test_cash_at_the_counter_pays_the_order(clerk_client, place, sku, two_stores):
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=two_stores[0]))
    found = clerk_client.get("/clerk/pay/", {"order_no": order.order_no})
    assert b'data-testid="pay-cash"' in found.content
    response = clerk_client.post("/clerk/pay/", {"order_no": order.order_no, "method": "offline_cash"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "paid" and Payment.objects.get().method == "offline_cash"
    twice = clerk_client.post("/clerk/pay/", {"order_no": order.order_no, "method": "offline_cash"})
    assert twice.status_code == 409 and Payment.objects.count() == 1


def test_an_order_of_another_store_cannot_be_paid_here(clerk_client, place, sku, two_stores):
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=two_stores[1]))
    response = clerk_client.post("/clerk/pay/", {"order_no": order.order_no, "method": "offline_cash"})
    assert response.status_code == 404 and not Payment.objects.exists()


def test_a_quick_valet_order_goes_to_the_payment_page(clerk_client, member, sku, two_stores):
    response = clerk_client.post(
        "/clerk/orders/new/",
        {
            "member": member.openid,
            "fulfilment_type": "pickup",
            "store": two_stores[0].public_id,
            "sku_0": sku.public_id,
            "qty_0": "2",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and order.order_no in response["Location"]
    assert order.channel == "valet" and order.store == two_stores[0]


def test_a_service_agent_has_no_counter_pages(client, make_staff, merchant):
    client.force_login(make_staff(merchant, "service_agent").user)
    assert client.get("/clerk/pickup/").status_code == 403
