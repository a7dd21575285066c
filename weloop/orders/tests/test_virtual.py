"""Virtual goods: codes issued on payment, virtual-only orders completed, codes voided by refunds."""

from __future__ import annotations

import pytest

from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
from weloop.core.models import OutboxEvent
from weloop.orders import services
from weloop.orders.codes import code_hash, code_normalise, code_open
from weloop.orders.errors import InvalidFulfilment
from weloop.orders.models import Order, VirtualCode
from weloop.orders.services import Fulfilment

VIRTUAL = Fulfilment(type="virtual")


@pytest.fixture
def topup(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Top-up", kind="virtual"), actor="t")
    sku = sku_create(
        merchant=merchant, product_id=product.public_id, data=SkuInput(code="TOP-50", price_fen=5000), actor="t"
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="t")
    return sku


def test_virtual_order_needs_no_stock_and_gets_one_code_per_unit_when_paid(merchant, place, pay, topup):
    order = place([(topup, 3)], fulfilment=VIRTUAL)
    assert order.status == "pending_payment" and order.shipping_fen == 0
    assert not VirtualCode.objects.exists()  # nothing before payment
    pay(order)
    order.refresh_from_db()
    assert order.status == "completed" and order.completed_at is not None
    codes = services.virtual_codes_for_member(merchant=merchant, order=order)
    assert len(codes) == 3 and len({c.code for c in codes}) == 3
    assert all(len(c.code) == 19 and c.code.count("-") == 3 for c in codes)
    assert OutboxEvent.objects.filter(name="orders.virtual_delivered").count() == 1
    assert OutboxEvent.objects.filter(name="orders.order_completed").count() == 1


def test_codes_are_stored_sealed_and_hashed_never_in_clear(merchant, place, pay, topup):
    order = place([(topup, 1)], fulfilment=VIRTUAL)
    pay(order)
    row = VirtualCode.objects.get()
    code = code_open(merchant.pk, row.line.public_id, row.code_sealed)
    assert code not in row.code_sealed and code.replace("-", "") not in row.code_sealed
    assert row.code_hash == code_hash(merchant.pk, code) and row.last4 == code[-4:]
    assert code_normalise(code.lower().replace("-", " ")) == code


def test_showing_codes_records_the_first_showing_only(merchant, place, pay, topup):
    order = place([(topup, 1)], fulfilment=VIRTUAL)
    pay(order)
    first = services.virtual_codes_for_member(merchant=merchant, order=order)
    again = services.virtual_codes_for_member(merchant=merchant, order=order)
    assert first[0].code == again[0].code and again[0].first_shown_at is not None


def test_payment_applied_twice_issues_codes_once(merchant, place, pay, topup):
    from weloop.orders.handlers import apply_payment

    order = place([(topup, 2)], fulfilment=VIRTUAL)
    pay(order)
    apply_payment(OutboxEvent.objects.get(name="payments.payment_succeeded"))
    assert VirtualCode.objects.count() == 2


def test_virtual_fulfilment_refuses_physical_products(place, sku, stock):
    stock(sku, 5)
    with pytest.raises(InvalidFulfilment):
        place([(sku, 1)], fulfilment=VIRTUAL)
    assert not Order.objects.exists()


def test_mixed_delivery_order_gets_codes_and_still_ships(merchant, place, pay, topup, sku, stock):
    stock(sku, 5)
    order = place([(sku, 1), (topup, 1)])
    pay(order)
    order.refresh_from_db()
    assert order.status == "paid" and VirtualCode.objects.filter(order=order).count() == 1
    services.order_ship(merchant=merchant, order=order, carrier="SF", tracking_no="SF1", actor="t")
    order.refresh_from_db()
    assert order.status == "shipped"


def test_full_refund_voids_the_codes(merchant, place, pay, topup):
    order = place([(topup, 2)], fulfilment=VIRTUAL)
    pay(order)
    services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen, reason="t", actor="t")
    from weloop.core.events import deliver_due

    deliver_due()
    order.refresh_from_db()
    assert order.status == "refunded"
    assert set(VirtualCode.objects.values_list("status", flat=True)) == {"void"}


def test_partial_refund_with_returned_units_voids_that_many(merchant, place, pay, topup):
    order = place([(topup, 3)], fulfilment=VIRTUAL)
    pay(order)
    line = order.lines.get()
    services.order_refund(
        merchant=merchant, order=order, amount_fen=5000, reason="t", actor="t", return_lines={line.public_id: 1}
    )
    from weloop.core.events import deliver_due

    deliver_due()
    assert VirtualCode.objects.filter(status="void").count() == 1
    assert VirtualCode.objects.filter(status="issued").count() == 2
    line.refresh_from_db()
    assert line.returned_quantity == 1
