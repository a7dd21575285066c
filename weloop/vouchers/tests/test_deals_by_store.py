"""``deals_active_by_store``: the nearby list's deals provider (docs/nearby.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.orders import deals
from weloop.vouchers.selectors import deals_active_by_store
from weloop.vouchers.services import DealInput

pytestmark = pytest.mark.django_db


def test_lists_deals_on_sale_per_store_newest_first(merchant, store, make_store, make_deal):
    other = make_store(merchant, name="Other")
    lonely = make_store(merchant, name="No deals")
    first = make_deal(name="First", stores=[store, other])
    second = make_deal(name="Second")
    draft = deals.deal_launch(
        merchant=merchant,
        data=DealInput(name="Draft", list_price_fen=100, deal_price_fen=90, valid_days=3, quota=5),
        stores=[store],
        actor="test",
    )
    ended = make_deal(name="Ended", valid_days=None, valid_until=clock.now() + timedelta(hours=1))

    found = deals_active_by_store(merchant=merchant, store_ids=[store.pk, other.pk, lonely.pk], at=clock.now())

    assert [d.public_id for d in found[store.pk]] == [ended.public_id, second.public_id, first.public_id]
    assert [d.public_id for d in found[other.pk]] == [first.public_id]
    assert lonely.pk not in found and draft.public_id not in {d.public_id for d in found[store.pk]}
    later = deals_active_by_store(merchant=merchant, store_ids=[store.pk], at=clock.now() + timedelta(hours=2))
    assert ended.public_id not in {d.public_id for d in later[store.pk]}
    deal = found[other.pk][0]
    assert (deal.name, deal.deal_price_fen, deal.list_price_fen) == ("First", 3990, 5000)


def test_sees_only_the_merchants_deals(merchant, other_merchant, store, make_deal):
    make_deal(name="Mine")
    assert deals_active_by_store(merchant=other_merchant, store_ids=[store.pk], at=clock.now()) == {}
