from __future__ import annotations

from django.test import Client

from weloop.dashboard.tests.conftest import error_code
from weloop.stores.models import Store
from weloop.tenants.services import merchant_set_status


def test_a_post_without_csrf_token_is_refused_with_a_code(merchant, make_staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_staff(merchant, "owner").user)
    response = browser.post("/dashboard/stores/new/", {"name": "Sneaky", "city": "x", "address": "y"})
    assert response.status_code == 403
    assert error_code(response) == "security.csrf_failed"
    assert not Store.objects.for_merchant(merchant).exists()


def test_a_post_with_the_csrf_token_goes_through(merchant, make_staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_staff(merchant, "owner").user)
    browser.get("/dashboard/api-keys/")  # sets the CSRF cookie, as a browser would
    token = browser.cookies["csrftoken"].value
    response = browser.post("/dashboard/api-keys/new/", {"name": "ok"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_pages_send_the_csrf_header_for_htmx(client, merchant, login_as):
    login_as(merchant, "owner")
    body = client.get("/dashboard/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "/static/weloop/vendor/htmx.min.js" in body


def test_staff_of_a_suspended_merchant_get_the_suspended_page(client, merchant, login_as):
    login_as(merchant, "owner")
    merchant_set_status(merchant=merchant, status="suspended", actor="test", reason="unpaid")
    response = client.get("/dashboard/stores/")
    assert response.status_code == 403
    assert error_code(response) == "tenants.merchant_suspended"
