from __future__ import annotations

import re

import pytest

from weloop.tenants.models import Merchant
from weloop.tenants.services import api_key_authenticate


@pytest.fixture
def operator_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="op", password="x", is_staff=True))
    return client


def _code(response) -> str | None:
    match = re.search(r'data-error-code="([^"]+)"', response.content.decode())
    return match.group(1) if match else None


def test_platform_needs_an_operator(client, merchant, make_staff):
    assert client.get("/platform/")["Location"].startswith("/accounts/login/")
    client.force_login(make_staff(merchant, "owner").user)
    response = client.get("/platform/")
    assert response.status_code == 403
    assert _code(response) == "platform.not_operator"


def test_merchant_list_shows_status_and_counts(operator_client, merchant, make_store, make_staff):
    make_store(merchant, name="A")
    make_staff(merchant, "clerk")
    body = operator_client.get("/platform/").content.decode()
    row = body.split('data-slug="bakery"')[1].split("</tr>")[0]
    assert 'data-testid="merchant-row-stores">1<' in row
    assert 'data-testid="merchant-row-staff">2<' in row
    assert "badge-active" in row


def test_create_merchant_shows_the_owner_login_and_key_once(operator_client, client):
    response = operator_client.post(
        "/platform/merchants/new/", {"name": "Tea House", "slug": "tea-house", "status": "pending"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    merchant = Merchant.objects.get(slug="tea-house")
    assert merchant.status == "pending"
    username = re.search(r'data-testid="created-owner-username">([^<]+)<', body).group(1)
    password = re.search(r'data-testid="created-owner-password">([^<]+)<', body).group(1)
    key = re.search(r'data-testid="created-api-key">([^<]+)<', body).group(1)
    assert username == "tea-house-owner"
    assert api_key_authenticate(key).merchant_id == merchant.pk
    detail = operator_client.get("/platform/merchants/tea-house/").content.decode()
    assert password not in detail and key not in detail
    client.logout()
    assert client.login(username=username, password=password)


@pytest.mark.parametrize(("slug", "code"), [("Bad Slug!", "tenants.invalid_slug"), ("bakery", "tenants.slug_taken")])
def test_create_merchant_with_a_bad_slug_shows_the_error(operator_client, merchant, slug, code):
    before = Merchant.objects.count()
    response = operator_client.post("/platform/merchants/new/", {"name": "X", "slug": slug, "status": "active"})
    assert response.status_code == 400
    assert _code(response) == code
    assert Merchant.objects.count() == before


def test_approve_a_pending_merchant(operator_client, make_merchant):
    pending = make_merchant(name="Salon", slug="salon", status="pending").merchant
    body = operator_client.get("/platform/merchants/salon/").content.decode()
    assert 'data-testid="merchant-action-active"' in body
    response = operator_client.post("/platform/merchants/salon/status/", {"status": "active"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "active"
    assert "operator:op" in operator_client.get("/platform/merchants/salon/").content.decode()


def test_suspend_needs_a_reason_then_locks_staff_out_until_reactivated(operator_client, merchant, make_staff):
    from django.test import Client

    staff_browser = Client()
    staff_browser.force_login(make_staff(merchant, "owner").user)

    response = operator_client.post("/platform/merchants/bakery/status/", {"status": "suspended"})
    assert response.status_code == 400
    merchant.refresh_from_db()
    assert merchant.status == "active"

    response = operator_client.post(
        "/platform/merchants/bakery/status/", {"status": "suspended", "reason": "Unpaid fees"}
    )
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.status == "suspended"
    locked = staff_browser.get("/dashboard/")
    assert locked.status_code == 403
    assert _code(locked) == "tenants.merchant_suspended"
    assert staff_browser.get("/clerk/").status_code == 403

    assert operator_client.post("/platform/merchants/bakery/status/", {"status": "active"}).status_code == 302
    assert staff_browser.get("/dashboard/").status_code == 200


def test_an_invalid_transition_shows_the_error(operator_client, merchant):
    response = operator_client.post("/platform/merchants/bakery/status/", {"status": "pending"})
    assert response.status_code == 409
    assert _code(response) == "state.invalid_transition"
    merchant.refresh_from_db()
    assert merchant.status == "active"


def test_unknown_merchant_is_404(operator_client, db):
    assert operator_client.get("/platform/merchants/nobody/").status_code == 404
