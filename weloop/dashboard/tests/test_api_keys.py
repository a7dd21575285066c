from __future__ import annotations

import re

import pytest

from weloop.tenants.errors import InvalidApiKey
from weloop.tenants.models import ApiKey
from weloop.tenants.services import api_key_authenticate


def test_create_shows_the_raw_key_once_and_it_works(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post("/dashboard/api-keys/new/", {"name": "POS sync"})
    assert response.status_code == 200
    raw = re.search(r'data-testid="api-key-raw">([^<]+)<', response.content.decode()).group(1)
    assert api_key_authenticate(raw).merchant_id == merchant.pk
    listing = client.get("/dashboard/api-keys/").content.decode()
    assert "POS sync" in listing and raw not in listing


def test_revoke_makes_the_key_fail(client, new_merchant, login_as):
    merchant = new_merchant.merchant
    login_as(merchant, "admin")
    key = ApiKey.objects.for_merchant(merchant).get()
    response = client.post(f"/dashboard/api-keys/{key.public_id}/revoke/")
    assert response.status_code == 302
    with pytest.raises(InvalidApiKey):
        api_key_authenticate(new_merchant.api_key)
    assert 'data-testid="api-key-revoke"' not in client.get("/dashboard/api-keys/").content.decode()


def test_another_merchants_key_is_404(client, merchant, other_new_merchant, login_as):
    login_as(merchant, "owner")
    theirs = ApiKey.objects.for_merchant(other_new_merchant.merchant).get()
    assert client.post(f"/dashboard/api-keys/{theirs.public_id}/revoke/").status_code == 404
    assert api_key_authenticate(other_new_merchant.api_key).pk == theirs.pk


def test_create_without_a_name_is_refused(client, merchant, login_as):
    login_as(merchant, "owner")
    before = ApiKey.objects.for_merchant(merchant).count()
    assert client.post("/dashboard/api-keys/new/", {"name": ""}).status_code == 400
    assert ApiKey.objects.for_merchant(merchant).count() == before
