"""Authorization: Bearer <api key>: who may call, and the error each refusal gets."""

from __future__ import annotations

import pytest

from weloop.core.models import IdempotencyRecord
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import ApiKey
from weloop.tenants.services import api_key_create, api_key_revoke, merchant_set_status

pytestmark = pytest.mark.django_db


def _assert_invalid_key(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "auth.invalid_api_key"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_auth_missing_header_is_401(client):
    _assert_invalid_key(client.get("/api/v1/stores"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer wlk_not-a-real-key",
        "Bearer nonsense",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "wlk_without_scheme",
        "Bearer " + "wlk_" + "x" * 5000,
    ],
)
def test_auth_wrong_key_is_401(client, new_merchant, header):
    _assert_invalid_key(client.get("/api/v1/stores", HTTP_AUTHORIZATION=header))


def test_auth_revoked_key_is_401(api_client, merchant):
    # given the merchant's only key, revoked
    key = ApiKey.objects.for_merchant(merchant).get()
    api_key_revoke(merchant=merchant, public_id=key.public_id)
    # then it no longer opens the API
    _assert_invalid_key(api_client.get("/api/v1/stores"))


def test_auth_valid_key_lists_the_merchants_stores(api_client, store):
    response = api_client.get("/api/v1/stores")
    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [store.public_id]


def test_auth_scheme_is_case_insensitive_and_any_live_key_works(client, merchant, store):
    raw, _ = api_key_create(merchant=merchant, name="second")
    response = client.get("/api/v1/stores", HTTP_AUTHORIZATION=f"bearer {raw}")
    assert response.status_code == 200


def test_auth_records_when_a_key_was_last_used(api_client, merchant):
    assert ApiKey.objects.for_merchant(merchant).get().last_used_at is None
    api_client.get("/api/v1/stores")
    assert ApiKey.objects.for_merchant(merchant).get().last_used_at is not None


def test_auth_suspended_merchant_is_403(api_client, merchant, store):
    merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor="operator")
    for response in (
        api_client.get("/api/v1/stores"),
        api_client.get(f"/api/v1/stores/{store.public_id}"),
        api_client.post("/api/v1/stores", {}, content_type="application/json"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "tenants.merchant_suspended"


def test_auth_pending_merchant_is_403(client, make_merchant):
    pending = make_merchant(status=MerchantStatus.PENDING)
    response = client.get("/api/v1/stores", HTTP_AUTHORIZATION=f"Bearer {pending.api_key}")
    assert response.status_code == 403
    assert response.json()["code"] == "tenants.merchant_not_active"


def test_auth_failure_with_idempotency_key_remembers_nothing(client, new_merchant):
    response = client.post(
        "/api/v1/stores",
        {},
        content_type="application/json",
        headers={"Idempotency-Key": "k1", "Authorization": "Bearer wlk_wrong"},
    )
    _assert_invalid_key(response)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_auth_docs_are_public(client, path):
    assert client.get(path).status_code == 200
