"""Checkout: validation, prices, shipping, purchase limits, holds, idempotency, carts, valet orders."""

from __future__ import annotations

import pytest

from weloop.catalog.services import store_price_set
from weloop.inventory.models import Hold, LedgerEntry
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders import services
from weloop.orders.errors import (
    EmptyOrder,
    InsufficientStock,
    InvalidAddress,
    InvalidFulfilment,
    InvalidQuantity,
    PurchaseLimitExceeded,
    UnknownSku,
)
from weloop.orders.models import Order, OrderLine
from weloop.orders.services import Fulfilment, LineInput


@pytest.fixture
def pool(sku, stock):
    return stock(sku, 10)


def nothing_written(pool) -> bool:
    return (
        not Order.objects.exists()
        and not OrderLine.objects.exists()
        and not Hold.objects.exists()
        and pool_balance(pool).held == 0
    )


def test_checkout_place_prices_holds_and_publishes(merchant, place, sku, pool):
    order = place([(sku, 3)])
    assert order.status == "pending_payment"
    assert order.order_no.startswith("O") and len(order.order_no) == 17
    assert (order.subtotal_fen, order.shipping_fen, order.total_fen) == (3750, 0, 3750)
    line = order.lines.get()
    assert (line.unit_price_fen, line.quantity, line.line_total_fen, line.product_name) == (1250, 3, 3750, "Tea")
    hold = Hold.objects.get(public_id=line.hold_id)
    assert (hold.quantity, hold.reference, hold.status) == (3, order.order_no, "held")
    assert pool_balance(pool).held == 3 == ledger_balance(pool).held


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, None, 10**9])
def test_checkout_place_refuses_bad_quantities_and_writes_nothing(place, sku, pool, quantity):
    with pytest.raises(InvalidQuantity) as caught:
        place([(sku, quantity)])
    assert caught.value.code == "orders.invalid_quantity"
    assert nothing_written(pool)


def test_checkout_place_refuses_unknown_and_foreign_skus(place, sku, pool, make_merchant):
    with pytest.raises(UnknownSku) as caught:
        place([("sku_DOESNOTEXIST", 1)])
    assert caught.value.code == "orders.unknown_sku"
    assert nothing_written(pool)


def test_checkout_place_refuses_inactive_sku(merchant, place, sku, pool):
    sku.is_active = False
    sku.save()
    with pytest.raises(UnknownSku):
        place([(sku, 1)])


def test_checkout_place_refuses_empty_order(place, pool):
    with pytest.raises(EmptyOrder):
        place([])


def test_checkout_place_vanished_stock_writes_nothing(place, sku, sku_large, stock, pool):
    stock(sku_large, 1)
    with pytest.raises(InsufficientStock) as caught:
        place([(sku_large, 1), (sku, 11)])
    assert caught.value.code == "orders.insufficient_stock"
    assert caught.value.extra["sku"] == sku.public_id
    assert not Order.objects.exists() and not Hold.objects.exists()
    assert not LedgerEntry.objects.filter(movement="hold").exists()


def test_checkout_place_without_any_stock_is_insufficient(place, sku_large, pool):
    with pytest.raises(InsufficientStock):
        place([(sku_large, 1)])


def test_checkout_place_purchase_limit_counts_earlier_live_orders(merchant, place, product, sku, pool):
    services.purchase_limit_set(merchant=merchant, product=product, max_per_member=3)
    first = place([(sku, 2)])
    with pytest.raises(PurchaseLimitExceeded) as caught:
        place([(sku, 2)])
    assert caught.value.code == "orders.purchase_limit"
    services.order_cancel(merchant=merchant, order=first, actor="member")
    assert place([(sku, 3)]).lines.get().quantity == 3  # a cancelled order no longer counts


def test_checkout_place_shipping_rule_flat_fee_and_free_threshold(merchant, place, sku, pool, store, stock):
    services.shipping_rule_set(merchant=merchant, flat_fee_fen=800, free_above_fen=5000)
    below = place([(sku, 1)])
    assert (below.shipping_fen, below.total_fen) == (800, 2050)
    above = place([(sku, 4)])
    assert above.shipping_fen == 0 and above.total_fen == 5000
    stock(sku, 5, store=store)
    pickup = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    assert pickup.shipping_fen == 0


def test_checkout_place_pickup_uses_store_price_and_store_stock(merchant, place, sku, pool, store, stock):
    store_pool = stock(sku, 2, store=store)
    store_price_set(merchant=merchant, sku_id=sku.public_id, store=store, price_fen=1000, actor="test")
    order = place([(sku, 2)], fulfilment=Fulfilment(type="pickup", store=store))
    assert order.total_fen == 2000 and order.store == store and order.source_store == store
    assert pool_balance(store_pool).held == 2 and pool_balance(pool).held == 0
    with pytest.raises(InsufficientStock):
        place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))


def test_checkout_place_pickup_needs_an_open_store_and_delivery_an_address(place, sku, pool, store):
    with pytest.raises(InvalidFulfilment):
        place([(sku, 1)], fulfilment=Fulfilment(type="pickup"))
    store.status = "paused"
    store.save()
    with pytest.raises(InvalidFulfilment):
        place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    with pytest.raises(InvalidAddress):
        place([(sku, 1)], fulfilment=Fulfilment(type="delivery"))
    with pytest.raises(InvalidFulfilment):
        place([(sku, 1)], fulfilment=Fulfilment(type="teleport"))


def test_checkout_place_same_idempotency_key_returns_same_order(place, sku, pool):
    first = place([(sku, 2)], key="k-1")
    again = place([(sku, 2)], key="k-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1 and pool_balance(pool).held == 2


def test_checkout_place_from_cart_empties_it(merchant, member, sku, sku_large, stock, pool, delivery):
    stock(sku_large, 5)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)
    services.cart_add(merchant=merchant, member=member, sku_id=sku_large.public_id, quantity=1)
    services.cart_update(merchant=merchant, member=member, sku_id=sku_large.public_id, quantity=0)
    assert services.cart_lines(merchant=merchant, member=member) == [LineInput(sku.public_id, 3)]
    order = services.checkout_place(merchant=merchant, member=member, from_cart=True, fulfilment=delivery, actor="m")
    assert order.lines.get().quantity == 3
    assert services.cart_lines(merchant=merchant, member=member) == []


def test_cart_add_refuses_bad_quantity_and_unknown_sku(merchant, member, sku):
    with pytest.raises(InvalidQuantity):
        services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=-2)
    with pytest.raises(UnknownSku):
        services.cart_add(merchant=merchant, member=member, sku_id="sku_NOPE", quantity=1)


def test_order_valet_create_attributes_the_staff_member(merchant, member, clerk, sku, pool, delivery):
    order = services.order_valet_create(
        merchant=merchant, staff=clerk, member_openid=member.openid, lines=[(sku.public_id, 1)], fulfilment=delivery
    )
    assert order.guide == clerk and order.created_by_staff == clerk and order.channel == "valet"
    assert order.member == member


def test_checkout_place_member_of_another_merchant_is_not_found(merchant, other_merchant, sku, pool, delivery):
    from weloop.core.errors import NotFound
    from weloop.members.services import member_touch

    stranger = member_touch(merchant=other_merchant, openid="o-stranger", kind="oauth").member
    with pytest.raises(NotFound):
        services.checkout_place(
            merchant=merchant, member=stranger, lines=[(sku.public_id, 1)], fulfilment=delivery, actor="x"
        )
