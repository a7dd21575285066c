"""Presale fixtures: the orders fixtures (product, SKU, members, clerk, pay) plus a presale maker."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.presales import services
from weloop.presales.services import PresaleInput


@pytest.fixture
def make_presale(merchant, sku, store):
    def make(
        *,
        target=3,
        maximum=None,
        limit=5,
        mode="full",
        price=10000,
        deposit=0,
        lasts=timedelta(days=3),
        pickup=True,
        open_now=True,
        **kw,
    ):
        return services.presale_create(
            merchant=merchant,
            data=PresaleInput(
                sku=sku,
                mode=mode,
                price_fen=price,
                deposit_fen=deposit,
                target_quantity=target,
                max_quantity=maximum,
                per_member_limit=limit,
                deadline=clock.now() + lasts,
                store=store if pickup else None,
                lead_time_text="Made in 15 days after success",
                **kw,
            ),
            actor="test",
            open_now=open_now,
        )

    return make


@pytest.fixture
def join(merchant):
    def do(presale, member, quantity=1):
        return services.presale_join(merchant=merchant, presale=presale, member=member, quantity=quantity, actor="test")

    return do


def flush_events() -> None:
    """Deliver outbox events until none are left (a delivery may publish more)."""
    from weloop.core.events import deliver_due

    for _ in range(10):
        if not deliver_due():
            return


@pytest.fixture
def pay(merchant, clerk):
    """Pay an order in cash at the counter and deliver every resulting event (orders.order_paid too)."""
    from weloop.orders import services as orders

    def pay_order(order):
        payment = orders.order_record_offline_payment(
            merchant=merchant, order=order, method="offline_cash", staff=clerk
        )
        flush_events()
        order.refresh_from_db()
        return payment

    return pay_order
