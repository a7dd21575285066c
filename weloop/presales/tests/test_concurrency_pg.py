"""Races on PostgreSQL with real threads: the maximum is never oversold, the per-member limit holds,
and the settle job racing payments counts or refunds every paid order exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum

from tests.races import race
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.orders.enums import OrderStatus
from weloop.orders.models import Order, OrderRefund
from weloop.presales import selectors, services
from weloop.presales.enums import EntryStatus, PresaleStatus
from weloop.presales.models import PresaleEntry
from weloop.presales.tests.conftest import flush_events

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_thirty_threads_on_a_maximum_of_ten_never_oversell(merchant, make_member, make_presale):
    presale = make_presale(target=5, maximum=10, limit=2)
    members = [make_member() for _ in range(15)]
    crowd = members + members  # every member presses twice at once

    def join(i: int) -> str:
        try:
            services.presale_join(merchant=merchant, presale=presale, member=crowd[i], quantity=1, actor="race")
            return "joined"
        except WeloopError as exc:
            return exc.code

    results = race(join, len(crowd))

    counts = Counter(results)
    assert counts["joined"] == 10, results
    assert set(counts) <= {"joined", "presales.full"}, results
    balance = pool_balance(presale.pool)
    assert balance.held == 10 and balance.held + balance.consumed <= balance.capacity
    assert ledger_balance(presale.pool) == balance
    assert PresaleEntry.objects.aggregate(n=Sum("quantity"))["n"] == 10
    per_member = PresaleEntry.objects.values("member").annotate(n=Sum("quantity"))
    assert max(row["n"] for row in per_member) <= 2


def test_the_settle_job_racing_payments_refunds_every_payment_that_lands_after_failure(
    merchant, make_member, make_presale, pay, monkeypatch
):
    presale = make_presale(target=50)
    entries = [
        services.presale_join(merchant=merchant, presale=presale, member=make_member(), actor="t") for _ in range(6)
    ]
    for entry in entries[:2]:
        pay(entry.order)
    moment = clock.now() + timedelta(days=4)
    monkeypatch.setattr(clock, "now", lambda: moment)
    # Cancelling the unpaid orders is skipped: their money is already on its way (the worst case).
    monkeypatch.setattr(services, "_close_unpaid", lambda *a, **k: None)
    late = entries[2:]

    def act(i: int) -> str:
        if i == 0:
            services.presales_settle_due()
            return "settled"
        pay(late[i - 1].order)
        return "paid"

    race(act, 1 + len(late))
    flush_events()
    services.presales_settle_due()
    flush_events()

    presale.refresh_from_db()
    assert presale.status == PresaleStatus.REFUNDED, selectors.presale_progress(presale=presale)
    for entry in entries:
        entry.refresh_from_db()
        order = Order.objects.get(pk=entry.order_id)
        assert entry.status == EntryStatus.REFUNDED and order.status == OrderStatus.REFUNDED
        assert OrderRefund.objects.filter(order=order).count() == 1
