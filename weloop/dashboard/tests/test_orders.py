"""Console order pages: who sees what, store scoping, each action, and bad input that writes nothing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from weloop.orders import services
from weloop.orders.models import AfterSalesRequest, Order, OrderRefund, Shipment, TrackingEvent
from weloop.orders.services import Fulfilment
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.payments.models import PaySettings
from weloop.stores.services import store_assign_staff

# these tests read the English source strings
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def url(name, **kwargs):
    return reverse(f"dashboard:{name}", kwargs=kwargs)


@pytest.fixture
def pool(sku, stock):
    return stock(sku, 20)


@pytest.fixture
def paid_delivery(place, pay, sku, pool):
    order = place([(sku, 2)])
    pay(order)
    return order


@pytest.fixture
def login(client, make_staff, merchant):
    def as_role(role, stores=()):
        staff = make_staff(merchant, role)
        if stores:
            store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[s.public_id for s in stores])
        client.force_login(staff.user)
        return client

    return as_role


def status_of(order):
    order.refresh_from_db()
    return order.status


# --- permissions and scope ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "code"), [("owner", 200), ("admin", 200), ("store_manager", 200), ("service_agent", 200), ("clerk", 403)]
)
def test_order_list_is_open_to_the_roles_holding_orders_view(login, paid_delivery, role, code):
    assert login(role).get(url("order_list")).status_code == code


def test_a_service_agent_reads_orders_but_cannot_ship(login, paid_delivery):
    client = login("service_agent")
    assert client.get(url("order_detail", order_no=paid_delivery.order_no)).status_code == 200
    response = client.post(url("order_ship", order_no=paid_delivery.order_no), {"carrier": "SF", "tracking_no": "1"})
    assert response.status_code == 403 and status_of(paid_delivery) == "paid"


def test_a_store_manager_sees_only_their_stores_orders(login, make_store, merchant, place, sku, stock):
    mine, theirs = make_store(merchant, name="Mine"), make_store(merchant, name="Theirs")
    stock(sku, 5, store=mine)
    stock(sku, 5, store=theirs)
    here = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=mine))
    there = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=theirs))
    client = login("store_manager", stores=[mine])
    page = client.get(url("order_list")).content.decode()
    assert here.order_no in page and there.order_no not in page
    assert client.get(url("order_detail", order_no=there.order_no)).status_code == 404
    assert client.post(url("order_cancel", order_no=there.order_no)).status_code == 404
    assert status_of(there) == "pending_payment"


def test_refunds_are_for_owners_and_admins_only(login, paid_delivery):
    response = login("store_manager").post(
        url("order_refund", order_no=paid_delivery.order_no), {"amount": "1.00", "reason": "x"}
    )
    assert response.status_code == 403 and not OrderRefund.objects.exists()


def test_another_merchants_order_is_a_404(client, make_staff, other_merchant, paid_delivery):
    client.force_login(make_staff(other_merchant, "owner").user)
    assert client.get(url("order_detail", order_no=paid_delivery.order_no)).status_code == 404


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_by_status_and_order_number_and_shows_totals(owner_client, paid_delivery, place, sku):
    unpaid = place([(sku, 1)])
    page = owner_client.get(url("order_list"), {"status": "paid"}).content.decode()
    assert paid_delivery.order_no in page and unpaid.order_no not in page
    page = owner_client.get(url("order_list"), {"q": unpaid.order_no}).content.decode()
    assert unpaid.order_no in page and paid_delivery.order_no not in page
    totals = owner_client.get(url("order_list")).content.decode()
    assert "¥25.00" in totals  # the paid order counts, the unpaid one does not


# --- actions --------------------------------------------------------------------------------------


def test_ship_and_add_a_tracking_event(owner_client, paid_delivery):
    response = owner_client.post(
        url("order_ship", order_no=paid_delivery.order_no), {"carrier": "顺丰", "tracking_no": "SF123"}
    )
    assert response.status_code == 302 and status_of(paid_delivery) == "shipped"
    shipment = Shipment.objects.get(order=paid_delivery)
    assert (shipment.carrier, shipment.tracking_no) == ("顺丰", "SF123")
    owner_client.post(
        url("order_tracking_event", order_no=paid_delivery.order_no, shipment_id=shipment.public_id),
        {"description": "已揽收", "location": "深圳"},
    )
    assert TrackingEvent.objects.get(shipment=shipment).description == "已揽收"
    page = owner_client.get(url("order_detail", order_no=paid_delivery.order_no)).content.decode()
    assert "SF123" in page and "已揽收" in page


def test_ship_without_a_tracking_number_shows_an_error_and_writes_nothing(owner_client, paid_delivery):
    response = owner_client.post(
        url("order_ship", order_no=paid_delivery.order_no), {"carrier": "SF", "tracking_no": ""}
    )
    assert response.status_code == 400 and b"field-error-tracking_no" in response.content
    assert status_of(paid_delivery) == "paid" and not Shipment.objects.exists()


def test_shipping_an_unpaid_order_is_refused(owner_client, place, sku, pool):
    order = place([(sku, 1)])
    response = owner_client.post(url("order_ship", order_no=order.order_no), {"carrier": "SF", "tracking_no": "1"})
    assert response.status_code == 409 and b'data-error-code="state.invalid_transition"' in response.content
    assert not Shipment.objects.exists()


def test_offline_payment_makes_the_order_paid(owner_client, place, sku, pool):
    order = place([(sku, 1)])
    response = owner_client.post(url("order_offline_payment", order_no=order.order_no), {"method": "offline_card"})
    assert response.status_code == 302 and status_of(order) == "paid"


def test_cancel_an_unpaid_order(owner_client, place, sku, pool):
    order = place([(sku, 1)])
    owner_client.post(url("order_cancel", order_no=order.order_no))
    assert status_of(order) == "cancelled"


def test_pickup_ready_shows_the_code_once_and_complete_requires_it(
    owner_client, merchant, store, place, pay, sku, stock
):
    stock(sku, 5, store=store)
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    pay(order)
    response = owner_client.post(url("order_mark_ready", order_no=order.order_no), follow=True)
    assert status_of(order) == "ready_for_pickup"
    assert re.search(r"Pickup code: \d{8}", response.content.decode())
    assert owner_client.post(url("order_complete", order_no=order.order_no)).status_code == 400
    assert status_of(order) == "ready_for_pickup"


def test_partial_refund_with_returned_units(owner_client, paid_delivery):
    line = paid_delivery.lines.get()
    response = owner_client.post(
        url("order_refund", order_no=paid_delivery.order_no),
        {"amount": "12.50", "reason": "broken", f"return_{line.public_id}": "1"},
    )
    assert response.status_code == 302
    refund = OrderRefund.objects.get()
    assert refund.amount_fen == 1250 and refund.return_lines == {line.public_id: 1}


@pytest.mark.parametrize("amount", ["-1", "abc", "0", "1.234", "999.00"])
def test_bad_refund_amounts_show_an_error_and_refund_nothing(owner_client, paid_delivery, amount):
    response = owner_client.post(
        url("order_refund", order_no=paid_delivery.order_no), {"amount": amount, "reason": "x"}
    )
    assert response.status_code in (400, 409) and b"form-error" in response.content
    assert not OrderRefund.objects.exists() and status_of(paid_delivery) == "paid"


def test_aftersales_approve_and_reject(owner_client, merchant, member, place, pay, sku, pool):
    first, second = place([(sku, 1)]), place([(sku, 1)])
    pay(first)
    pay(second)
    a = services.aftersales_request(merchant=merchant, order=first, member=member, kind="refund_only", amount_fen=500)
    b = services.aftersales_request(merchant=merchant, order=second, member=member, kind="refund_only", amount_fen=500)
    queue = owner_client.get(url("aftersales_list")).content.decode()
    assert a.public_id in queue and b.public_id in queue
    owner_client.post(url("aftersales_approve", after_sales_request_id=a.public_id))
    owner_client.post(url("aftersales_reject", after_sales_request_id=b.public_id), {"note": "used"})
    assert OrderRefund.objects.get().aftersales_id == a.pk
    b.refresh_from_db()
    assert b.status == "rejected" and b.decision_note == "used"
    again = owner_client.post(url("aftersales_reject", after_sales_request_id=b.public_id))
    assert again.status_code == 400 and AfterSalesRequest.objects.get(pk=b.pk).status == "rejected"


def test_valet_order_is_credited_to_the_staff_member(client, make_staff, merchant, member, store, sku, stock):
    stock(sku, 5, store=store)
    staff = make_staff(merchant, "store_manager")
    client.force_login(staff.user)
    response = client.post(
        url("order_valet_create"),
        {
            "member": member.public_id,
            "fulfilment_type": "pickup",
            "store": store.public_id,
            "sku_0": sku.public_id,
            "qty_0": "2",
        },
    )
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/orders/{order.order_no}/")
    assert (order.guide_id, order.created_by_staff_id, order.channel) == (staff.pk, staff.pk, "valet")
    assert order.lines.get().quantity == 2


def test_valet_order_with_an_unknown_member_writes_nothing(owner_client, store, sku, stock):
    stock(sku, 5, store=store)
    response = owner_client.post(
        url("order_valet_create"),
        {
            "member": "nobody",
            "fulfilment_type": "pickup",
            "store": store.public_id,
            "sku_0": sku.public_id,
            "qty_0": "1",
        },
    )
    assert response.status_code == 404 and b"form-error" in response.content and not Order.objects.exists()


def test_shipping_rule_and_purchase_limit(owner_client, merchant, product, sku):
    owner_client.post(url("order_settings_shipping"), {"flat_fee": "8.00", "free_above": "99"})
    owner_client.post(url("order_settings_limit"), {"product_id": product.public_id, "max_per_member": "2"})
    from weloop.orders.models import PurchaseLimit, ShippingRule

    rule = ShippingRule.objects.get(merchant=merchant)
    assert (rule.flat_fee_fen, rule.free_above_fen) == (800, 9900)
    assert PurchaseLimit.objects.get().max_per_member == 2
    bad = owner_client.post(url("order_settings_shipping"), {"flat_fee": "-3", "free_above": ""})
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert rule.flat_fee_fen == 800


# --- payments -------------------------------------------------------------------------------------


def test_pay_settings_never_show_secrets_and_bad_input_stores_nothing(owner_client, merchant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = PaySettings.objects.filter(merchant=merchant).values_list("mchid", "apiv3_key").first()
    page = owner_client.get(url("pay_settings")).content.decode()
    if before:
        assert before[1] not in page
    response = owner_client.post(
        url("pay_settings"),
        {
            "mchid": "abc",
            "apiv3_key": "k" * 32,
            "merchant_private_key": SimpleUploadedFile("k.pem", b"not a key"),
            "merchant_serial": "ABCDEF12",
            "platform_public_key": SimpleUploadedFile("p.pem", b"not a key"),
            "platform_public_key_id": "PUB_KEY_ID_123456",
        },
    )
    assert response.status_code == 400 and b"field-error-mchid" in response.content
    assert "k" * 32 not in response.content.decode()
    assert PaySettings.objects.filter(merchant=merchant).values_list("mchid", "apiv3_key").first() == before


def test_ledger_and_reconciliation_show_counter_payments(owner_client, paid_delivery):
    ledger = owner_client.get(url("payment_ledger")).content.decode()
    assert paid_delivery.order_no in ledger and 'data-balanced="yes"' in ledger
    report = owner_client.get(url("payment_reconciliation")).content.decode()
    assert "¥25.00" in report and 'data-balanced="yes"' in report


def test_payment_pages_are_for_managers(login):
    assert login("store_manager").get(url("payment_ledger")).status_code == 403
