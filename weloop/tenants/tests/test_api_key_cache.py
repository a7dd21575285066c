"""API keys are cached for a moment per process: a revocation or a suspension still applies at once."""

from __future__ import annotations

import pytest

from weloop.tenants.enums import MerchantStatus
from weloop.tenants.errors import InvalidApiKey, MerchantSuspended
from weloop.tenants.models import ApiKey
from weloop.tenants.selectors import ensure_merchant_usable
from weloop.tenants.services import api_key_authenticate, api_key_revoke, merchant_set_status

pytestmark = pytest.mark.django_db


def test_a_cached_key_costs_no_query(new_merchant, django_assert_num_queries):
    api_key_authenticate(new_merchant.api_key)

    with django_assert_num_queries(0):
        key = api_key_authenticate(new_merchant.api_key)

    assert key.merchant == new_merchant.merchant


def test_a_revoked_key_is_refused_at_once(new_merchant):
    key = api_key_authenticate(new_merchant.api_key)

    api_key_revoke(merchant=new_merchant.merchant, public_id=key.public_id)

    with pytest.raises(InvalidApiKey):
        api_key_authenticate(new_merchant.api_key)


def test_a_suspended_merchant_is_seen_at_once(new_merchant):
    api_key_authenticate(new_merchant.api_key)

    merchant_set_status(merchant=new_merchant.merchant, status=MerchantStatus.SUSPENDED, actor="platform")

    with pytest.raises(MerchantSuspended):
        ensure_merchant_usable(api_key_authenticate(new_merchant.api_key).merchant)
    assert ApiKey.objects.filter(merchant=new_merchant.merchant).exists()
