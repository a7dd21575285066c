"""Flash sales: the window, the per-member limit, sold out, cancel, and expiry giving the unit back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import InvalidTransition, NotFound
from weloop.core.events import deliver_due
from weloop.flashsales import selectors, services
from weloop.flashsales.enums import ClaimStatus, FlashSaleStatus
from weloop.flashsales.errors import (
    AlreadyClaimed,
    InvalidFlashSale,
    OverMemberLimit,
    SaleCancelled,
    SaleEnded,
    SaleNotStarted,
    SoldOut,
)
from weloop.flashsales.models import FlashSaleClaim
from weloop.inventory.enums import HoldStatus
from weloop.inventory.models import Hold
from weloop.orders import services as orders
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order

# The claimer's writer thread has its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def claim(merchant, sale, member, quantity=1):
    return services.flash_sale_claim(merchant=merchant, sale=sale, member=member, quantity=quantity, actor="test")


def test_a_winner_gets_a_payable_order_at_the_flash_price(merchant, make_sale, member, pay, store):
    sale = make_sale(quota=2, price_fen=990)
    won = claim(merchant, sale, member)

    order = Order.objects.get(pk=won.order_id)
    assert order.status == OrderStatus.PENDING_PAYMENT and order.total_fen == 990
    assert order.fulfilment_type == "pickup" and order.store == store and order.channel == "flash_sale"
    line = order.lines.get()
    hold = Hold.objects.get(public_id=line.hold_id)
    assert hold.reference == order.order_no and hold.pool_id == sale.pool_id and hold.status == HoldStatus.HELD
    assert selectors.sale_counts(sale).held == 1

    pay(order)

    assert order.status == OrderStatus.PAID
    hold.refresh_from_db()
    won.refresh_from_db()
    assert hold.status == HoldStatus.CONFIRMED and won.status == ClaimStatus.PAID
    counts = selectors.sale_counts(sale)
    assert (counts.held, counts.paid, counts.available) == (0, 1, 1)


def test_exactly_the_quota_is_sold_then_everybody_hears_sold_out(merchant, make_sale, make_member):
    sale = make_sale(quota=3)
    members = [make_member() for _ in range(5)]
    outcomes = []
    for m in members:
        try:
            claim(merchant, sale, m)
            outcomes.append("won")
        except SoldOut:
            outcomes.append("sold_out")
    assert outcomes == ["won"] * 3 + ["sold_out"] * 2
    assert Order.objects.filter(channel="flash_sale").count() == 3
    assert selectors.sale_counts(sale).available == 0


def test_one_claim_per_member_and_the_limit_per_member(merchant, make_sale, member):
    sale = make_sale(quota=5, limit=2)
    with pytest.raises(OverMemberLimit):
        claim(merchant, sale, member, quantity=3)
    with pytest.raises(OverMemberLimit):
        claim(merchant, sale, member, quantity=0)
    first = claim(merchant, sale, member, quantity=2)
    with pytest.raises(AlreadyClaimed) as refused:
        claim(merchant, sale, member)
    assert refused.value.extra["order_no"] == first.order.order_no
    assert FlashSaleClaim.objects.filter(sale=sale, member=member).count() == 1
    assert selectors.sale_counts(sale).held == 2


def test_the_window_decides_before_the_database(merchant, make_sale, member):
    later = make_sale(starts_in=timedelta(hours=1))
    assert later.status == FlashSaleStatus.SCHEDULED
    with pytest.raises(SaleNotStarted):
        claim(merchant, later, member)
    over = make_sale(starts_in=timedelta(hours=-2), lasts=timedelta(hours=3))
    over.ends_at = clock.now() - timedelta(seconds=1)  # as if the clock moved past the end
    with pytest.raises(SaleEnded):
        claim(merchant, over, member)
    assert not Hold.objects.exists()


def test_the_sweep_moves_sales_along_their_window(merchant, make_sale):
    soon = make_sale(starts_in=timedelta(minutes=5), lasts=timedelta(minutes=10))
    assert services.flash_sales_advance(now=clock.now() + timedelta(minutes=6)) == 1
    soon.refresh_from_db()
    assert soon.status == FlashSaleStatus.LIVE
    assert services.flash_sales_advance(now=clock.now() + timedelta(minutes=20)) == 1
    soon.refresh_from_db()
    assert soon.status == FlashSaleStatus.ENDED


def test_a_cancelled_sale_takes_no_claims_and_cannot_be_cancelled_twice(merchant, make_sale, member):
    sale = make_sale()
    services.flash_sale_cancel(merchant=merchant, sale=sale, actor="test")
    sale.refresh_from_db()
    assert sale.status == FlashSaleStatus.CANCELLED
    with pytest.raises(SaleCancelled):
        claim(merchant, sale, member)
    with pytest.raises(InvalidTransition):
        services.flash_sale_cancel(merchant=merchant, sale=sale, actor="test")


def test_an_unpaid_order_expires_and_its_unit_goes_back_to_the_sale(merchant, make_sale, make_member):
    sale = make_sale(quota=1)
    first, second = make_member(), make_member()
    won = claim(merchant, sale, first)
    with pytest.raises(SoldOut):
        claim(merchant, sale, second)

    assert orders.orders_expire_due(now=clock.now() + timedelta(hours=1)) == 1
    deliver_due()

    won.refresh_from_db()
    assert won.status == ClaimStatus.LAPSED
    assert Order.objects.get(pk=won.order_id).status == OrderStatus.EXPIRED
    assert selectors.sale_counts(sale).available == 1
    again = claim(merchant, sale, second)  # the unit is on sale again, and the sold-out mark is gone
    assert again.member == second


def test_cancelling_the_order_frees_the_unit_and_the_member(merchant, make_sale, member):
    sale = make_sale(quota=1)
    won = claim(merchant, sale, member)
    orders.order_cancel(merchant=merchant, order=won.order, actor="test")
    deliver_due()
    won.refresh_from_db()
    assert won.status == ClaimStatus.LAPSED
    again = claim(merchant, sale, member)
    assert again.pk != won.pk and selectors.sale_counts(sale).held == 1


def test_bad_sales_are_refused_and_write_nothing(merchant, sku, other_merchant):
    now = clock.now()
    good = {"price_fen": 100, "starts_at": now, "ends_at": now + timedelta(hours=1), "quota": 5}
    for field, value in (("price_fen", -1), ("price_fen", 1.5), ("quota", 0), ("quota", True)):
        with pytest.raises(InvalidFlashSale):
            services.flash_sale_create(merchant=merchant, sku=sku, actor="t", **{**good, field: value})
    with pytest.raises(InvalidFlashSale):
        services.flash_sale_create(merchant=merchant, sku=sku, actor="t", **{**good, "ends_at": now - timedelta(1)})
    with pytest.raises(NotFound):
        services.flash_sale_create(merchant=other_merchant, sku=sku, actor="t", **good)
    assert not selectors.flash_sale_list(merchant=merchant).exists()
