"""Fixtures for deals and vouchers: a café deal and a salon punch card on sale, bought and paid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.events import deliver_due
from weloop.orders import deals
from weloop.vouchers.models import Voucher
from weloop.vouchers.services import DealInput


@pytest.fixture
def make_deal(merchant, store):
    def make(stores=None, **fields):
        data = {
            "name": f"Deal {clock.now().timestamp()}",
            "list_price_fen": 5000,
            "deal_price_fen": 3990,
            "valid_days": 30,
            "quota": 100,
            "platform_commission_bp": 600,
            "merchant_commission_bp": 250,
            **fields,
        }
        deal = deals.deal_launch(merchant=merchant, data=DealInput(**data), stores=stores or [store], actor="test")
        return deals.deal_change_status(merchant=merchant, deal_id=deal.public_id, status="active", actor="test")

    return make


@pytest.fixture
def cafe_deal(make_deal):
    return make_deal(name="Coffee for two", list_price_fen=6800, deal_price_fen=3990)


@pytest.fixture
def punch_deal(make_deal):
    return make_deal(
        name="Ten haircuts", kind="punch", uses_per_voucher=10, list_price_fen=100000, deal_price_fen=68800
    )


@pytest.fixture
def buy(merchant, member, pay):
    """``buy(deal, quantity)`` places and pays an order of a deal; returns (order, [(voucher, code)])."""

    def buy_deal(deal, quantity=1, who=None):
        order = deals.deal_buy(
            merchant=merchant, member=who or member, deal_id=deal.public_id, quantity=quantity, actor="t"
        )
        pay(order)
        deliver_due()
        vouchers = list(Voucher.objects.filter(order_no=order.order_no).order_by("seq"))
        return order, vouchers

    return buy_deal


@pytest.fixture
def code_of():
    from weloop.vouchers import codes

    def code(voucher):
        return codes.unseal(voucher.code_sealed, voucher_id=voucher.public_id)

    return code


def later(minutes: int = 0, days: int = 0):
    return clock.now() + timedelta(minutes=minutes, days=days)
