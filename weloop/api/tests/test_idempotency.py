"""Idempotency-Key on writes: one effect per key, the first response replayed byte for byte."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from weloop.api.idempotency import KEY_LIFETIME, request_fingerprint
from weloop.core import clock
from weloop.core.models import IdempotencyRecord, OutboxEvent
from weloop.stores import services
from weloop.stores.models import HoursException, Store

pytestmark = pytest.mark.django_db


def test_replayed_post_creates_exactly_one_store(call, store_body, merchant):
    # given a create that succeeded, but whose answer the client never saw
    first = call("POST", "/stores", store_body(), key="create-nanshan-1")
    # when the client retries with the same key and body
    second = call("POST", "/stores", store_body(), key="create-nanshan-1")
    third = call("POST", "/stores", store_body(), key="create-nanshan-1")
    # then one store exists and every retry got the first answer, byte for byte
    assert first.status_code == second.status_code == third.status_code == 201
    assert second.content == first.content == third.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second["Content-Type"] == first["Content-Type"]
    assert Store.objects.for_merchant(merchant).count() == 1
    assert OutboxEvent.objects.for_merchant(merchant).filter(name="stores.store_created").count() == 1


def test_without_a_key_each_post_runs(call, store_body, merchant):
    assert call("POST", "/stores", store_body(name="A")).status_code == 201
    assert call("POST", "/stores", store_body(name="B")).status_code == 201
    assert Store.objects.for_merchant(merchant).count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_different_keys_are_different_requests(call, store_body, merchant):
    call("POST", "/stores", store_body(name="A"), key="k-a")
    call("POST", "/stores", store_body(name="B"), key="k-b")
    assert Store.objects.for_merchant(merchant).count() == 2


def test_key_reused_with_another_body_is_422(call, store_body, merchant):
    call("POST", "/stores", store_body(name="A"), key="same-key")
    response = call("POST", "/stores", store_body(name="B"), key="same-key")
    assert response.status_code == 422
    assert response.json()["code"] == "api.idempotency_key_reused"
    assert "Idempotent-Replayed" not in response
    assert list(Store.objects.for_merchant(merchant).values_list("name", flat=True)) == ["A"]


def test_key_reused_on_another_path_is_422(call, store_body, store):
    call("POST", "/stores", store_body(), key="k1")
    response = call("PATCH", f"/stores/{store.public_id}", store_body(), key="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "api.idempotency_key_reused"
    store.refresh_from_db()
    assert store.name == "Futian flagship"


def test_key_still_in_progress_is_409(call, store_body, merchant, rf):
    # given a first request that claimed the key and is still running (no response stored yet)
    request = rf.post("/api/v1/stores", data=json.dumps(store_body()), content_type="application/json")
    IdempotencyRecord.objects.create(
        merchant=merchant, key="busy", method="POST", path="/api/v1/stores", request_hash=request_fingerprint(request)
    )
    # when the duplicate arrives
    response = call("POST", "/stores", store_body(), key="busy")
    # then it is told to wait, and does not run
    assert response.status_code == 409
    assert response.json()["code"] == "api.idempotency_in_progress"
    assert not Store.objects.for_merchant(merchant).exists()


def test_refused_request_is_remembered_too(call, store_body, merchant):
    # given a create refused for bad coordinates
    first = call("POST", "/stores", store_body(latitude=91), key="bad-coords")
    assert first.status_code == 400
    # when retried with the same key: the same refusal, replayed
    second = call("POST", "/stores", store_body(latitude=91), key="bad-coords")
    assert second.status_code == 400
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"


def test_validation_error_is_remembered(call, merchant):
    first = call("POST", "/stores", {"name": "No address"}, key="k422")
    second = call("POST", "/stores", {"name": "No address"}, key="k422")
    assert first.status_code == second.status_code == 422
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"


def test_server_error_releases_the_key(call, store_body, merchant, monkeypatch):
    # given a create that fails on our side
    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "store_create", broken)
    failed = call("POST", "/stores", store_body(), key="retry-me")
    assert failed.status_code == 500
    assert failed.json()["code"] == "internal_error"
    assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    # when the client retries after we fixed it, the request runs
    monkeypatch.undo()
    retried = call("POST", "/stores", store_body(), key="retry-me")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Store.objects.for_merchant(merchant).count() == 1


def test_keys_are_scoped_per_merchant(call, store_body, merchant, client, other_new_merchant):
    mine = call("POST", "/stores", store_body(), key="shared-key")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {other_new_merchant.api_key}"
    theirs = call("POST", "/stores", store_body(), key="shared-key", client=client)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert Store.objects.for_merchant(other_new_merchant.merchant).count() == 1


def test_key_longer_than_255_is_400(call, store_body, merchant):
    response = call("POST", "/stores", store_body(), key="k" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "api.idempotency_key_invalid"
    assert not Store.objects.for_merchant(merchant).exists()
    assert call("POST", "/stores", store_body(), key="k" * 255).status_code == 201


def test_empty_key_is_400(call, store_body):
    response = call("POST", "/stores", store_body(), key="")
    assert response.status_code == 400
    assert response.json()["code"] == "api.idempotency_key_invalid"


def test_key_on_a_read_is_ignored(call, store):
    assert call("GET", "/stores", key="read-1").status_code == 200
    assert not IdempotencyRecord.objects.exists()


def test_put_patch_delete_and_status_are_idempotent_too(call, store):
    base = f"/stores/{store.public_id}"
    requests = [
        ("PUT", f"{base}/exceptions/2026-02-17", {"is_closed": True}),
        ("PATCH", base, {"name": "Renamed once"}),
        ("POST", f"{base}/status", {"status": "paused"}),
        ("DELETE", f"{base}/exceptions/2026-02-17", None),
    ]
    for i, (method, path, body) in enumerate(requests):
        first = call(method, path, body, key=f"op-{i}")
        second = call(method, path, body, key=f"op-{i}")
        assert first.status_code < 300, (method, path, first.content)
        assert (second.status_code, second.content) == (first.status_code, first.content)
        assert second["Idempotent-Replayed"] == "true"
    # a replayed status change was not a second (forbidden) paused -> paused transition
    assert IdempotencyRecord.objects.filter(key="op-2", status_code=200).exists()
    assert not HoursException.objects.filter(store=store).exists()


def test_an_expired_key_starts_afresh(call, store_body, merchant):
    call("POST", "/stores", store_body(name="Day one"), key="daily")
    with clock.travel(KEY_LIFETIME + timedelta(minutes=1)):
        response = call("POST", "/stores", store_body(name="Day two"), key="daily")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Store.objects.for_merchant(merchant).count() == 2


@pytest.mark.django_db(transaction=True)
def test_duplicate_arriving_while_the_first_still_runs_is_409(store_body, new_merchant, monkeypatch):
    # given a first request that has claimed its key and is inside the (slow) service call
    entered, release = threading.Event(), threading.Event()
    original = services.store_create

    def slow_create(**kwargs):
        entered.set()
        assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "store_create", slow_create)

    def post():
        return Client().post(
            "/api/v1/stores",
            json.dumps(store_body()),
            content_type="application/json",
            headers={"Idempotency-Key": "race", "Authorization": f"Bearer {new_merchant.api_key}"},
        )

    def post_in_thread():
        try:
            return post()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post_in_thread)
        assert entered.wait(10)
        # when the duplicate arrives on another connection: the claim is already committed
        duplicate = post()
        release.set()
        first_response = first.result(timeout=20)
    # then the duplicate was told to retry, the first created the store, and a retry replays it
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "api.idempotency_in_progress"
    assert first_response.status_code == 201
    replay = post()
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first_response.content
    assert Store.objects.for_merchant(new_merchant.merchant).count() == 1
