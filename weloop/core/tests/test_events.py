"""The transactional outbox: stored with the caller's transaction, delivered at least once.

The handlers below subscribe to event names no app uses, so they only see these tests' events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from weloop.core import clock, events
from weloop.core.errors import NotFound
from weloop.core.events import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    backoff_for,
    deliver_due,
    delivery_requeue,
    publish,
    subscribe,
    subscribers_of,
)
from weloop.core.models import DeliveryStatus, OutboxDelivery, OutboxEvent, StateTransition

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
RECORDED = "test_outbox.recorded"
FAILING = "test_outbox.failing"
FLAKY = "test_outbox.flaky"
REENTRANT = "test_outbox.reentrant"
WRITES_THEN_FAILS = "test_outbox.writes_then_fails"
UNHEARD = "test_outbox.unheard"

calls: list[tuple[str, int]] = []
flaky_state = {"broken": True}


@subscribe(RECORDED)
def record_first(event):
    calls.append(("first", event.pk))


@subscribe(RECORDED)
def record_second(event):
    calls.append(("second", event.pk))


@subscribe(FAILING)
def always_fail(event):
    raise RuntimeError("the downstream service is down")


@subscribe(FLAKY)
def fail_until_fixed(event):
    if flaky_state["broken"]:
        raise RuntimeError("still broken")
    calls.append(("flaky", event.pk))


@subscribe(REENTRANT)
def run_another_worker_meanwhile(event):
    calls.append(("reentrant", event.pk))
    # A second worker sweeps while this delivery is in flight: it must not run it again.
    deliver_due()


@subscribe(WRITES_THEN_FAILS)
def write_then_fail(event):
    StateTransition.objects.create(merchant_id=event.merchant_id, machine="half", object_pk="1")
    raise RuntimeError("failed after writing")


@pytest.fixture(autouse=True)
def _reset_recorders():
    calls.clear()
    flaky_state["broken"] = True


@pytest.fixture
def shop(merchant):
    """A merchant with an empty outbox: fixtures' own events must not count as ours."""
    OutboxDelivery.objects.all().delete()
    return merchant


def _path(func) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _deliveries(event: OutboxEvent) -> list[OutboxDelivery]:
    return list(OutboxDelivery.objects.filter(event=event).order_by("id"))


# --- publish --------------------------------------------------------------------------------


def test_publish_inside_a_rolled_back_transaction_stores_nothing(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        publish(merchant=shop, name=RECORDED, payload={"n": 1})
        raise RuntimeError("the change the event reports failed")

    assert not OutboxEvent.objects.filter(name=RECORDED).exists()
    assert not OutboxDelivery.objects.exists()
    assert callbacks == []


def test_publish_creates_one_pending_delivery_per_subscribed_handler(shop, django_capture_on_commit_callbacks):
    with clock.frozen_at(T0), django_capture_on_commit_callbacks() as callbacks:
        event = publish(merchant=shop, name=RECORDED, payload={"store_id": "st_1", "yuan": "¥1"})

    event.refresh_from_db()
    assert (event.merchant_id, event.payload, event.created_at) == (shop.pk, {"store_id": "st_1", "yuan": "¥1"}, T0)
    deliveries = _deliveries(event)
    assert [d.handler for d in deliveries] == [_path(record_first), _path(record_second)]
    for d in deliveries:
        assert (d.status, d.attempts, d.next_attempt_at, d.merchant_id) == (DeliveryStatus.PENDING, 0, T0, shop.pk)
    assert len(callbacks) == 1  # the worker is nudged once the transaction commits
    assert calls == []  # nothing runs before commit


def test_publish_without_subscribers_keeps_the_event_and_nudges_nobody(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        event = publish(merchant=shop, name=UNHEARD, payload={})

    assert OutboxEvent.objects.filter(pk=event.pk).exists()
    assert _deliveries(event) == []
    assert callbacks == []


def test_subscribe_registers_a_handler_once():
    subscribe(RECORDED)(record_first)

    assert subscribers_of(RECORDED) == [_path(record_first), _path(record_second)]
    assert subscribers_of(UNHEARD) == []


def test_commit_nudges_the_worker_which_delivers(shop, django_capture_on_commit_callbacks):
    # the queue runs in immediate mode in tests, so the nudge delivers synchronously on commit
    with django_capture_on_commit_callbacks(execute=True):
        event = publish(merchant=shop, name=RECORDED, payload={})
        assert calls == []

    assert sorted(calls) == [("first", event.pk), ("second", event.pk)]
    assert {d.status for d in _deliveries(event)} == {DeliveryStatus.DELIVERED}


# --- deliver_due ----------------------------------------------------------------------------


def test_deliver_due_runs_handlers_and_marks_them_delivered(shop):
    with clock.frozen_at(T0):
        event = publish(merchant=shop, name=RECORDED, payload={})
        attempted = deliver_due()

    assert attempted == 2
    assert calls == [("first", event.pk), ("second", event.pk)]
    for d in _deliveries(event):
        assert (d.status, d.attempts, d.delivered_at, d.last_error) == (DeliveryStatus.DELIVERED, 1, T0, "")


def test_deliver_due_never_runs_a_delivered_delivery_again(shop):
    event = publish(merchant=shop, name=RECORDED, payload={})
    deliver_due()

    with clock.travel(timedelta(days=2)):
        assert deliver_due() == 0

    assert calls == [("first", event.pk), ("second", event.pk)]


def test_deliver_due_waits_for_deliveries_that_are_not_due(shop):
    with clock.frozen_at(T0):
        publish(merchant=shop, name=RECORDED, payload={})
    with clock.frozen_at(T0 - timedelta(seconds=1)):
        assert deliver_due() == 0
    assert calls == []


def test_deliver_due_honours_its_limit_oldest_first(shop):
    with clock.frozen_at(T0):
        first = publish(merchant=shop, name=RECORDED, payload={})
    with clock.frozen_at(T0 + timedelta(seconds=1)):
        second = publish(merchant=shop, name=RECORDED, payload={})
        assert deliver_due(limit=3) == 3
        assert calls == [("first", first.pk), ("second", first.pk), ("first", second.pk)]
        assert deliver_due(limit=3) == 1


def test_two_workers_never_run_the_same_delivery_twice(shop):
    # given the first delivery's handler starts a second worker while it is still running
    with clock.frozen_at(T0):
        busy = publish(merchant=shop, name=REENTRANT, payload={})
        other = publish(merchant=shop, name=RECORDED, payload={})

        # when the first worker runs
        deliver_due()

    # then the in-flight delivery was skipped by the second worker, and the ones the second
    # worker delivered were not run again by the first, whose list of due rows was stale
    assert sorted(calls) == sorted([("reentrant", busy.pk), ("first", other.pk), ("second", other.pk)])
    assert OutboxDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).count() == 0


def test_a_worker_that_died_mid_handler_only_delays_the_delivery(shop):
    with clock.frozen_at(T0):
        event = publish(merchant=shop, name=RECORDED, payload={})
        # a worker claimed both deliveries and was killed before finishing them
        OutboxDelivery.objects.filter(event=event).update(next_attempt_at=T0 + CLAIM_LEASE)
        assert deliver_due() == 0

    with clock.frozen_at(T0 + CLAIM_LEASE):
        assert deliver_due() == 2

    assert len(calls) == 2


# --- failures, backoff, dead letters --------------------------------------------------------


def test_backoff_doubles_from_five_seconds_and_is_capped_at_an_hour():
    assert [backoff_for(n).total_seconds() for n in range(1, 9)] == [5, 10, 20, 40, 80, 160, 320, 640]
    assert backoff_for(0) == timedelta(seconds=5)
    assert backoff_for(11) == timedelta(hours=1)
    assert backoff_for(100) == timedelta(hours=1)


def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered(shop):
    with clock.frozen_at(T0):
        event = publish(merchant=shop, name=FAILING, payload={})
    (delivery,) = _deliveries(event)
    moment = T0

    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clock.frozen_at(moment):
            assert deliver_due() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert "the downstream service is down" in delivery.last_error
        assert delivery.delivered_at is None
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == DeliveryStatus.PENDING
            assert delivery.next_attempt_at == moment + backoff_for(attempt)
            # not a moment before the backoff has passed
            with clock.frozen_at(delivery.next_attempt_at - timedelta(microseconds=1)):
                assert deliver_due() == 0
            moment = delivery.next_attempt_at

    assert delivery.status == DeliveryStatus.DEAD
    with clock.frozen_at(moment + timedelta(days=30)):
        assert deliver_due() == 0


def test_retry_uses_travel_and_succeeds_once_the_cause_is_fixed(shop):
    event = publish(merchant=shop, name=FLAKY, payload={})
    deliver_due()
    flaky_state["broken"] = False

    assert deliver_due() == 0  # the retry is not due yet
    with clock.travel(backoff_for(1)):
        assert deliver_due() == 1

    (delivery,) = _deliveries(event)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 2, "")
    assert calls == [("flaky", event.pk)]


def test_a_failed_handler_leaves_none_of_its_writes(shop):
    publish(merchant=shop, name=WRITES_THEN_FAILS, payload={})
    history_before = StateTransition.objects.count()

    deliver_due()

    assert StateTransition.objects.count() == history_before
    assert OutboxDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_handler_that_no_longer_imports_is_retried_not_crashed(shop):
    event = publish(merchant=shop, name=UNHEARD, payload={})
    delivery = OutboxDelivery.objects.create(merchant=shop, event=event, handler=f"{__name__}.renamed_handler")

    assert deliver_due() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "renamed_handler" in delivery.last_error


def _dead_letter(shop) -> OutboxDelivery:
    event = publish(merchant=shop, name=FLAKY, payload={})
    (delivery,) = _deliveries(event)
    delivery.status, delivery.attempts = DeliveryStatus.DEAD, MAX_ATTEMPTS
    delivery.next_attempt_at = T0
    delivery.save()
    return delivery


def test_delivery_requeue_revives_a_dead_letter(shop, django_capture_on_commit_callbacks):
    dead = _dead_letter(shop)

    with clock.frozen_at(T0 + timedelta(hours=5)), django_capture_on_commit_callbacks() as callbacks:
        revived = delivery_requeue(merchant=shop, delivery_id=dead.pk)

    assert (revived.status, revived.attempts, revived.next_attempt_at) == (
        DeliveryStatus.PENDING,
        0,
        T0 + timedelta(hours=5),
    )
    assert len(callbacks) == 1
    flaky_state["broken"] = False
    assert deliver_due() == 1
    revived.refresh_from_db()
    assert revived.status == DeliveryStatus.DELIVERED


def test_delivery_requeue_leaves_a_delivered_delivery_alone(shop):
    event = publish(merchant=shop, name=RECORDED, payload={})
    deliver_due()
    delivered = _deliveries(event)[0]

    again = delivery_requeue(merchant=shop, delivery_id=delivered.pk)

    assert (again.status, again.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert deliver_due() == 0


def test_delivery_requeue_of_another_merchants_delivery_is_not_found(shop, other_merchant):
    dead = _dead_letter(shop)

    with pytest.raises(NotFound):
        delivery_requeue(merchant=other_merchant, delivery_id=dead.pk)
    with pytest.raises(NotFound):
        delivery_requeue(merchant=shop, delivery_id="not-a-number")

    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.DEAD


def test_nudge_failure_never_fails_the_caller(shop, monkeypatch, django_capture_on_commit_callbacks):
    from weloop.core import tasks

    def broken_queue():
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(tasks, "outbox_deliver", broken_queue)
    with django_capture_on_commit_callbacks(execute=True):
        event = publish(merchant=shop, name=RECORDED, payload={})

    # the sweep delivers later
    assert deliver_due() == 2
    assert len(calls) == 2
    assert events.subscribers_of(RECORDED)  # registry untouched
    assert OutboxEvent.objects.filter(pk=event.pk).exists()
