"""Paying, expiring, cancelling, late payments, fulfilment, pickup codes, refunds and after-sales.

Payments are taken at the counter (payments.payment_record_offline): it publishes the same
payments.payment_succeeded event a WeChat notification does, and its refunds settle at once, so
the whole flow runs in-process through the real payments services and the outbox.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import InvalidTransition, NotFound
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.inventory.models import Hold
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders import services
from weloop.orders.errors import InvalidPickupCode, OrderNotPayable, RefundExceedsRemaining
from weloop.orders.handlers import apply_payment
from weloop.orders.models import AfterSalesRequest, Order, OrderRefund, PickupCode
from weloop.orders.services import Fulfilment
from weloop.payments.models import Refund


@pytest.fixture
def pool(sku, stock):
    return stock(sku, 10)


def events(name: str) -> int:
    return OutboxEvent.objects.filter(name=name).count()


def test_payment_marks_order_paid_and_confirms_holds(merchant, place, pay, sku, pool):
    order = place([(sku, 2)])
    payment = pay(order)
    assert order.status == "paid" and order.payment_id == payment.public_id and order.paid_at
    assert Hold.objects.get(reference=order.order_no).status == "confirmed"
    assert pool_balance(pool).consumed == 2 == ledger_balance(pool).consumed
    assert events("orders.order_paid") == 1


def test_payment_event_applied_twice_marks_paid_once(merchant, place, pay, sku, pool):
    order = place([(sku, 1)])
    pay(order)
    event = OutboxEvent.objects.get(name="payments.payment_succeeded")
    apply_payment(event)  # a redelivery
    apply_payment(event)
    order.refresh_from_db()
    assert order.status == "paid"
    assert events("orders.order_paid") == 1
    assert not OrderRefund.objects.exists()
    assert pool_balance(pool).consumed == 1


def test_order_start_payment_refuses_closed_orders(merchant, place, sku, pool):
    order = place([(sku, 1)])
    services.order_cancel(merchant=merchant, order=order, actor="member")
    with pytest.raises(OrderNotPayable):
        services.order_start_payment(merchant=merchant, order=order, method="wechat_jsapi")


def test_orders_expire_due_expires_and_releases_stock(merchant, place, sku, pool):
    order = place([(sku, 4)])
    assert services.orders_expire_due(now=clock.now()) == 0
    assert services.orders_expire_due(now=order.expires_at + timedelta(seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == "expired"
    assert Hold.objects.get(reference=order.order_no).status == "released"
    assert pool_balance(pool).held == 0 and pool.capacity == pool_balance(pool).available
    assert events("orders.order_expired") == 1
    assert services.orders_expire_due(now=order.expires_at + timedelta(hours=1)) == 0


def test_order_cancel_releases_stock_once(merchant, place, sku, pool):
    order = place([(sku, 3)])
    services.order_cancel(merchant=merchant, order=order, actor="member")
    assert pool_balance(pool).held == 0
    with pytest.raises(InvalidTransition):
        services.order_cancel(merchant=merchant, order=order, actor="member")
    assert events("orders.order_cancelled") == 1


def test_late_payment_on_expired_order_is_refunded_in_full(
    merchant, place, sku, pool, clerk, django_capture_on_commit_callbacks
):
    # given an order that expired unpaid
    order = place([(sku, 2)])
    services.orders_expire_due(now=order.expires_at + timedelta(seconds=1))
    # when money for it arrives anyway (recorded at the counter: the order is closed, payments does not know)
    from weloop.payments.services import payment_record_offline

    payment = payment_record_offline(
        merchant=merchant, reference=order.order_no, amount_fen=order.total_fen, method="offline_cash", staff=clerk
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver_due()
    deliver_due()  # the refund's own event
    # then the order stays expired, the stock stays free, and all the money went back
    order.refresh_from_db()
    assert order.status == "expired"
    assert pool_balance(pool).consumed == 0 and pool_balance(pool).held == 0
    assert events("orders.late_payment") == 1
    late = OrderRefund.objects.get(order=order)
    assert (late.kind, late.amount_fen, late.status) == ("late_payment", order.total_fen, "succeeded")
    refund = Refund.objects.get(payment=payment)
    assert refund.amount_fen == order.total_fen and refund.status == "succeeded"
    # and a redelivered payment event refunds nothing more
    apply_payment(OutboxEvent.objects.get(name="payments.payment_succeeded"))
    assert OrderRefund.objects.count() == 1


def test_payment_after_holds_lapsed_rehold_when_stock_is_left(merchant, place, pay, sku, pool):
    from weloop.inventory.services import holds_expire_due

    order = place([(sku, 2)])
    holds_expire_due(now=order.expires_at + timedelta(minutes=10))
    assert pool_balance(pool).held == 0
    pay(order)
    assert order.status == "paid"
    assert pool_balance(pool).consumed == 2


def test_ship_and_track_then_complete(merchant, place, pay, sku, pool):
    order = place([(sku, 1)])
    pay(order)
    shipment = services.order_ship(merchant=merchant, order=order, carrier="SF", tracking_no="SF123", actor="staff")
    services.shipment_add_tracking_event(merchant=merchant, shipment=shipment, at=clock.now(), description="Left hub")
    assert shipment.events.count() == 1
    order.refresh_from_db()
    assert order.status == "shipped"
    services.order_complete(merchant=merchant, order=order, actor="staff")
    order.refresh_from_db()
    assert order.status == "completed" and order.completed_at
    assert events("orders.order_shipped") == 1 and events("orders.order_completed") == 1


def test_in_store_order_is_served_and_completed(merchant, place, pay, sku, stock, store):
    stock(sku, 3, store=store)
    order = place([(sku, 1)], fulfilment=Fulfilment(type="in_store", store=store, table_code="T7"))
    pay(order)
    services.order_complete(merchant=merchant, order=order, actor="staff")
    order.refresh_from_db()
    assert order.status == "completed" and order.table_code == "T7"


@pytest.fixture
def ready_pickup(merchant, place, pay, sku, stock, store):
    stock(sku, 3, store=store)
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    pay(order)
    order, code = services.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="staff")
    return order, code


def test_pickup_code_is_hashed_and_verified_exactly_once(merchant, store, clerk, ready_pickup):
    order, code = ready_pickup
    assert len(code) == 8 and code.isdigit()
    stored = PickupCode.objects.get(order=order)
    assert stored.code_hash != code and code not in stored.code_hash
    done = services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)
    assert done.status == "completed"
    with pytest.raises(InvalidPickupCode):
        services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)
    assert events("orders.order_completed") == 1


def test_pickup_verify_wrong_code_and_other_store(merchant, store, make_store, clerk, ready_pickup):
    order, code = ready_pickup
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    with pytest.raises(InvalidPickupCode) as caught:
        services.pickup_verify(merchant=merchant, store=store, code=wrong, staff=clerk)
    assert caught.value.code == "orders.invalid_pickup_code"
    for junk in ("", "abc", "1234", None):
        with pytest.raises(InvalidPickupCode):
            services.pickup_verify(merchant=merchant, store=store, code=junk, staff=clerk)
    with pytest.raises(NotFound):
        services.pickup_verify(merchant=merchant, store=make_store(merchant, name="Other"), code=code, staff=clerk)
    order.refresh_from_db()
    assert order.status == "ready_for_pickup" and PickupCode.objects.get(order=order).used_at is None


def test_full_refund_before_shipping_returns_stock(merchant, place, pay, sku, pool):
    order = place([(sku, 3)])
    pay(order)
    services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen, reason="changed mind", actor="s")
    deliver_due()
    order.refresh_from_db()
    assert order.status == "refunded" and order.refunded_fen == order.total_fen and order.refunding_fen == 0
    assert pool_balance(pool).consumed == 0 == ledger_balance(pool).consumed
    assert order.lines.get().returned_quantity == 3
    assert events("orders.order_refunded") == 1


def test_partial_refunds_split_over_lines_and_refuse_more_than_left(merchant, place, pay, sku, sku_large, stock, pool):
    stock(sku_large, 5)
    services.shipping_rule_set(merchant=merchant, flat_fee_fen=500, free_above_fen=None)
    order = place([(sku, 1), (sku_large, 1)])
    pay(order)
    assert order.total_fen == 1250 + 1999 + 500
    services.order_refund(merchant=merchant, order=order, amount_fen=1000, reason="late", actor="s")
    deliver_due()
    order.refresh_from_db()
    assert order.status == "partially_refunded" and order.refunded_fen == 1000
    refund = OrderRefund.objects.get(order=order)
    assert sum(refund.allocation.values()) == 1000
    assert sum(line.refunded_fen for line in order.lines.all()) + refund.allocation["shipping"] == 1000
    assert pool_balance(pool).consumed == 1  # a money-only refund keeps the goods sold
    with pytest.raises(RefundExceedsRemaining) as caught:
        services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen, reason="x", actor="s")
    assert caught.value.code == "orders.refund_exceeds_remaining"
    services.order_refund(merchant=merchant, order=order, amount_fen=order.total_fen - 1000, reason="rest", actor="s")
    deliver_due()
    order.refresh_from_db()
    assert order.status == "refunded" and order.refunded_fen == order.total_fen
    assert sum(Refund.objects.values_list("amount_fen", flat=True)) == order.total_fen


def test_refund_of_unpaid_order_is_refused(merchant, place, sku, pool):
    order = place([(sku, 1)])
    with pytest.raises(InvalidTransition):
        services.order_refund(merchant=merchant, order=order, amount_fen=100, reason="x", actor="s")
    assert not OrderRefund.objects.exists()


def test_aftersales_return_and_refund_approved(merchant, member, place, pay, sku, pool):
    order = place([(sku, 2)])
    pay(order)
    services.order_ship(merchant=merchant, order=order, carrier="SF", tracking_no="1", actor="s")
    request = services.aftersales_request(
        merchant=merchant,
        order=order,
        member=member,
        kind="return_and_refund",
        amount_fen=1250,
        reason="broken",
        return_lines={order.lines.get().public_id: 1},
    )
    services.aftersales_approve(merchant=merchant, request=request, actor="staff")
    deliver_due()
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "refunded"
    assert order.status == "partially_refunded" and order.refunded_fen == 1250
    assert pool_balance(pool).consumed == 1


def test_aftersales_reject_refunds_nothing(merchant, member, place, pay, sku, pool):
    order = place([(sku, 1)])
    pay(order)
    request = services.aftersales_request(
        merchant=merchant, order=order, member=member, kind="refund_only", amount_fen=100
    )
    services.aftersales_reject(merchant=merchant, request=request, actor="staff", note="no")
    assert AfterSalesRequest.objects.get().status == "rejected"
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert order.status == "paid"


def test_refused_refund_puts_order_back(merchant, place, pay, sku, pool, monkeypatch):
    from weloop.payments.errors import NotRefundable

    order = place([(sku, 1)])
    pay(order)
    services.order_ship(merchant=merchant, order=order, carrier="SF", tracking_no="1", actor="s")

    def refuse(**kwargs):
        raise NotRefundable()

    monkeypatch.setattr("weloop.payments.services.refund_create", refuse)
    with pytest.raises(NotRefundable):
        services.order_refund(merchant=merchant, order=order, amount_fen=500, reason="x", actor="s")
    order.refresh_from_db()
    assert order.status == "shipped" and order.refunding_fen == 0 and order.refunded_fen == 0
    assert OrderRefund.objects.get().status == "failed"


def test_refund_failed_event_puts_order_back(merchant, place, pay, sku, pool):
    from weloop.orders.handlers import apply_refund_failed

    order = place([(sku, 1)])
    pay(order)
    refund = services.order_refund(merchant=merchant, order=order, amount_fen=500, reason="x", actor="s")
    event = OutboxEvent(
        merchant=merchant, name="payments.refund_failed", payload={"out_refund_no": refund.out_refund_no}
    )
    apply_refund_failed(event)
    apply_refund_failed(event)  # redelivered: no second effect
    order.refresh_from_db()
    assert order.status == "paid" and order.refunding_fen == 0


def test_other_merchant_cannot_touch_order(merchant, other_merchant, place, sku, pool):
    order = place([(sku, 1)])
    with pytest.raises(NotFound):
        services.order_cancel(merchant=other_merchant, order=order, actor="x")
    assert Order.objects.get(pk=order.pk).status == "pending_payment"
