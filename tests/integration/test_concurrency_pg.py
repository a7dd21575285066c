"""Races on a real database: threads, each with its own connection, hitting the same rows.

PostgreSQL only (SQLite serialises writers, so it cannot show a lost update): run with
DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/pytest tests/integration/test_concurrency_pg.py
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import transaction

from tests.races import race as _race
from weloop.core import events
from weloop.core.errors import ConcurrentModification, InvalidTransition
from weloop.core.events import deliver_due, publish, subscribe
from weloop.core.models import DeliveryStatus, OutboxDelivery, OutboxEvent
from weloop.core.state import history_of
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import Merchant
from weloop.tenants.services import merchant_set_status
from weloop.tenants.state import MERCHANT

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8
COUNTED = "test_concurrency_pg.counted"

runs: Counter[tuple[str, int]] = Counter()
runs_lock = threading.Lock()


@subscribe(COUNTED)
def count_first(event):
    with runs_lock:
        runs[("first", event.pk)] += 1
    time.sleep(0.01)  # stay in flight long enough for the other workers to try the same row


@subscribe(COUNTED)
def count_second(event):
    with runs_lock:
        runs[("second", event.pk)] += 1


def _outcomes(results: list[object]) -> Counter[str]:
    return Counter("ok" if not isinstance(r, Exception) else type(r).__name__ for r in results)


def test_racing_state_transitions_on_one_row_apply_exactly_once():
    merchant = Merchant.objects.create(name="Raced", slug="raced", status=MerchantStatus.PENDING)
    # every thread reads the row before the race, so every one of them believes it may move it
    copies = [Merchant.objects.get(pk=merchant.pk) for _ in range(THREADS)]

    def approve(i: int) -> str:
        with transaction.atomic():
            MERCHANT.transition(copies[i], MerchantStatus.ACTIVE, actor=f"thread-{i}")
            time.sleep(0.2)  # hold the row lock while the others queue behind it
        return "ok"

    results = _race(approve, THREADS)

    outcomes = _outcomes(results)
    assert outcomes["ok"] == 1, results
    assert outcomes["ok"] + outcomes["ConcurrentModification"] + outcomes["InvalidTransition"] == THREADS, results
    assert all(isinstance(r, str | ConcurrentModification | InvalidTransition) for r in results)
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.ACTIVE
    (row,) = history_of(MERCHANT, merchant)
    winner = results.index("ok")
    assert (row.from_status, row.to_status, row.actor) == ("pending", "active", f"thread-{winner}")


def test_racing_merchant_set_status_calls_suspend_exactly_once(monkeypatch):
    monkeypatch.setattr(events, "_nudge_worker", lambda: None)
    merchant = Merchant.objects.create(name="Locked", slug="locked", status=MerchantStatus.ACTIVE)

    def suspend(i: int) -> str:
        merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor=f"op-{i}")
        return "ok"

    results = _race(suspend, THREADS)

    # select_for_update queues the callers; each later one sees "suspended" and is refused
    assert _outcomes(results) == Counter({"ok": 1, "InvalidTransition": THREADS - 1}), results
    assert history_of(MERCHANT, merchant).count() == 1
    assert OutboxEvent.objects.filter(merchant=merchant, name="tenants.merchant_status_changed").count() == 1


def test_concurrent_workers_run_each_delivery_exactly_once(monkeypatch):
    # given pending deliveries that no nudge has delivered yet
    monkeypatch.setattr(events, "_nudge_worker", lambda: None)
    runs.clear()
    merchant = Merchant.objects.create(name="Outbox", slug="outbox", status=MerchantStatus.ACTIVE)
    published = [publish(merchant=merchant, name=COUNTED, payload={"n": n}) for n in range(25)]
    deliveries = OutboxDelivery.objects.filter(event__in=published)
    assert deliveries.count() == 50

    # when several workers sweep at the same moment
    results = _race(lambda i: deliver_due(), THREADS)

    # then every handler ran exactly once per event, and every delivery is done after one attempt
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 50
    expected = {(name, e.pk) for e in published for name in ("first", "second")}
    assert set(runs) == expected
    assert set(runs.values()) == {1}
    assert set(deliveries.values_list("status", "attempts")) == {(DeliveryStatus.DELIVERED, 1)}


def test_concurrent_workers_after_a_failure_retry_once(monkeypatch):
    # a delivery whose first attempt failed is due again; racing workers must retry it once
    monkeypatch.setattr(events, "_nudge_worker", lambda: None)
    runs.clear()
    merchant = Merchant.objects.create(name="Retry", slug="retry", status=MerchantStatus.ACTIVE)
    event = publish(merchant=merchant, name=COUNTED, payload={})
    OutboxDelivery.objects.filter(event=event).update(attempts=1, last_error="earlier failure")

    results = _race(lambda i: deliver_due(), THREADS)

    assert sum(results) == 2, results
    assert runs == Counter({("first", event.pk): 1, ("second", event.pk): 1})
    assert set(OutboxDelivery.objects.filter(event=event).values_list("status", "attempts")) == {
        (DeliveryStatus.DELIVERED, 2)
    }
