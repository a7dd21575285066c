"""Performance pages (store-manager scoping, CSV), the API operations, and one query per table."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from weloop.analytics import selectors
from weloop.analytics.models import AttributionEntry
from weloop.core import clock
from weloop.stores.services import store_assign_staff

# these tests read the English source strings
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def two_stores(merchant, make_store):
    return make_store(merchant, name="Mine"), make_store(merchant, name="Theirs")


@pytest.fixture
def ledger(merchant, two_stores, make_staff):
    """A small ledger: store A sold 5000 with 1200 refunded (guide A), took 2 redemptions; store B sold 9000."""
    mine, theirs = two_stores
    guide_a, guide_b = make_staff(merchant, "clerk"), make_staff(merchant, "clerk")
    now = clock.now()

    def row(key, kind, amount, units, store, guide, **extra):
        return AttributionEntry.objects.create(
            merchant=merchant,
            key=key,
            kind=kind,
            amount_fen=amount,
            units=units,
            is_reversal=amount < 0 or units < 0,
            reference=key.split(":")[1],
            store=store,
            guide=guide,
            occurred_at=now,
            **extra,
        )

    sale = row("order_paid:O1", "order", 5000, 1, mine, guide_a, source_kind="table", source="A12", channel="h5")
    row(
        "order_refund:O1R01", "order", -1200, 0, mine, guide_a, source_kind="table", source="A12", channel="h5",
        reverses=sale,
    )  # fmt: skip
    row("order_paid:O2", "order", 9000, 1, theirs, guide_b, source_kind="qr", source="qr_X", channel="h5")
    row("redemption:rd_1", "redemption", 3990, 1, mine, guide_a, source_kind="deal", source="dl_1", channel="redeem")
    row("redemption:rd_2", "redemption", 3990, 1, mine, None, source_kind="deal", source="dl_1", channel="redeem")
    row("booking:bk_1", "booking", 8800, 1, theirs, None)
    # outside the default period: not counted
    old = row("order_paid:O0", "order", 777, 1, mine, None)
    AttributionEntry.objects.filter(pk=old.pk).update(occurred_at=now - timedelta(days=90))
    return {"mine": mine, "theirs": theirs, "guide_a": guide_a, "guide_b": guide_b}


def test_figures_per_store_are_exact(merchant, ledger):
    start, end = selectors.period_of_days(None, None)
    table = selectors.performance_by_store(merchant=merchant, start=start, end=end)
    mine = next(r for r in table.rows if r.key == ledger["mine"].public_id).figures
    assert (mine.gross_fen, mine.refunds_fen, mine.net_fen, mine.orders) == (5000, 1200, 3800, 1)
    assert (mine.redemptions, mine.redeemed_uses, mine.redeemed_fen) == (2, 2, 7980)
    assert table.totals.net_fen == 3800 + 9000 and table.totals.bookings == 1 and table.totals.booked_fen == 8800


def test_each_table_is_one_query(merchant, ledger, django_assert_num_queries):
    start, end = selectors.period_of_days(None, None)
    for table in (
        selectors.performance_by_store,
        selectors.performance_by_guide,
        selectors.performance_by_source,
        selectors.performance_by_channel,
    ):
        with django_assert_num_queries(1):
            table(merchant=merchant, start=start, end=end)


def test_owner_sees_every_store_and_sources(client, merchant, make_staff, ledger):
    client.force_login(make_staff(merchant, "owner").user)
    body = client.get("/dashboard/performance/").content.decode()
    assert ledger["mine"].public_id in body and ledger["theirs"].public_id in body
    assert 'data-key="A12"' in body and 'data-key="dl_1"' in body and 'data-key="redeem"' in body
    assert "¥" in body


def test_store_manager_sees_only_their_stores(client, merchant, make_staff, ledger):
    # given a store manager assigned to the first store
    manager = make_staff(merchant, "store_manager")
    store_assign_staff(merchant=merchant, staff=manager, store_public_ids=[ledger["mine"].public_id])
    client.force_login(manager.user)
    mine, theirs = ledger["mine"].public_id, ledger["theirs"].public_id
    # then the stores page, the guides page and the CSV show the first store's figures only
    body = client.get("/dashboard/performance/").content.decode()
    assert mine in body and theirs not in body and 'data-key="qr_X"' not in body
    guides = client.get("/dashboard/performance/guides/").content.decode()
    assert ledger["guide_a"].public_id in guides and ledger["guide_b"].public_id not in guides
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/performance/export.csv?by=store").content.decode())))
    assert [r[0] for r in rows[1:-1]] == [mine]
    assert rows[-1][0] == "total" and int(rows[-1][rows[0].index("net_fen")]) == 3800
    # and the other store's page does not exist for them
    assert client.get(f"/dashboard/performance/stores/{mine}/").status_code == 200
    assert client.get(f"/dashboard/performance/stores/{theirs}/").status_code == 404


def test_clerks_do_not_see_performance(client, merchant, make_staff, ledger):
    client.force_login(make_staff(merchant, "clerk").user)
    assert client.get("/dashboard/performance/").status_code == 403


def test_reversed_period_is_a_clear_error(client, merchant, make_staff, ledger):
    client.force_login(make_staff(merchant, "owner").user)
    response = client.get("/dashboard/performance/?start=2026-03-02&end=2026-03-01")
    assert response.status_code == 400 and "ends before it starts" in response.content.decode()


def test_api_entries_and_performance(api_client, merchant, ledger):
    mine = ledger["mine"].public_id
    entries = api_client.get(f"/api/v1/attribution/entries?store_id={mine}&kind=order").json()
    assert entries["count"] == 3  # the sale, its refund and the old sale
    refund = next(e for e in entries["items"] if e["is_reversal"])
    assert refund["amount_fen"] == -1200 and refund["reverses_id"] and refund["source"] == "A12"
    stores = api_client.get("/api/v1/performance/stores").json()
    row = next(r for r in stores["rows"] if r["id"] == mine)
    assert (row["gross_fen"], row["refunds_fen"], row["net_fen"], row["redemptions"]) == (5000, 1200, 3800, 2)
    guides = api_client.get("/api/v1/performance/guides").json()
    assert sum(r["net_fen"] for r in guides["rows"]) == guides["totals"]["net_fen"] == 12800
    bad = api_client.get("/api/v1/performance/stores?start=2026-03-02&end=2026-03-01")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"


def test_demo_seed_leaves_a_live_ledger_that_matches_the_orders():
    from django.db.models import Sum

    from weloop.demo.seed import demo_seed
    from weloop.orders.models import Order

    merchant = demo_seed().merchant
    paid = Order.objects.for_merchant(merchant).filter(paid_at__isnull=False)
    orders_net = sum(o.total_fen - o.refunded_fen for o in paid)
    ledger = AttributionEntry.objects.for_merchant(merchant).filter(kind="order")
    assert paid.exists() and ledger.aggregate(s=Sum("amount_fen"))["s"] == orders_net
    assert ledger.filter(is_reversal=False).count() == paid.count()
    assert AttributionEntry.objects.for_merchant(merchant).filter(kind="redemption").exists()
