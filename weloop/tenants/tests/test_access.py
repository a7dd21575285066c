"""The request guards: anonymous -> login, wrong role -> 403, the session chooses the merchant."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path

from weloop.tenants.access import SESSION_MERCHANT_KEY, operator_view, staff_view
from weloop.tenants.enums import MerchantStatus, StaffRole
from weloop.tenants.models import Merchant


@staff_view("stores.manage")
def manage_stores(request):
    return JsonResponse({"merchant": request.merchant.slug, "role": request.staff.role})


@staff_view()
def dashboard(request):
    return JsonResponse({"merchant": request.merchant.slug})


@operator_view
def platform_home(request):
    return JsonResponse({"operator": request.user.username})


urlpatterns = [
    path("manage/", manage_stores),
    path("home/", dashboard),
    path("platform/", platform_home),
]
pytestmark = pytest.mark.urls(__name__)
JSON = {"HTTP_ACCEPT": "application/json"}


def test_anonymous_is_sent_to_login_with_next(client, db):
    for url in ("/manage/?x=1", "/platform/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_staff_with_the_permission_gets_the_view_with_merchant_and_staff_set(staff_client, merchant):
    client = staff_client(merchant, StaffRole.ADMIN)

    response = client.get("/manage/")

    assert response.status_code == 200
    assert response.json() == {"merchant": "bakery", "role": "admin"}
    assert client.session[SESSION_MERCHANT_KEY] == merchant.pk


def test_staff_without_the_permission_get_a_403(staff_client, merchant):
    client = staff_client(merchant, StaffRole.CLERK)

    response = client.get("/manage/", **JSON)

    assert response.status_code == 403
    assert response.json()["code"] == "tenants.role_forbidden"
    assert client.get("/home/").status_code == 200


def test_staff_of_a_suspended_merchant_are_refused(staff_client, merchant):
    client = staff_client(merchant, StaffRole.OWNER)
    Merchant.objects.filter(pk=merchant.pk).update(status=MerchantStatus.SUSPENDED)

    response = client.get("/home/", **JSON)

    assert response.status_code == 403
    assert response.json()["code"] == "tenants.merchant_suspended"


def test_a_login_that_is_nobodys_staff_is_refused(client, db):
    client.force_login(get_user_model().objects.create_user("visitor", password="x"))

    response = client.get("/home/", **JSON)

    assert response.status_code == 403
    assert response.json()["code"] == "tenants.not_staff"


def test_the_session_chooses_between_a_logins_merchants(client, make_staff, merchant, other_merchant):
    make_staff(merchant, StaffRole.CLERK, username="sun")
    make_staff(other_merchant, StaffRole.OWNER, username="sun")
    client.force_login(get_user_model().objects.get(username="sun"))

    assert client.get("/home/").json() == {"merchant": "bakery"}
    session = client.session
    session[SESSION_MERCHANT_KEY] = other_merchant.pk
    session.save()

    assert client.get("/manage/").json() == {"merchant": "rival", "role": "owner"}


def test_the_platform_console_is_for_operators_only(client, staff_client, merchant):
    owner_client = staff_client(merchant, StaffRole.OWNER)
    assert owner_client.get("/platform/", **JSON).json()["code"] == "platform.not_operator"

    operator = get_user_model().objects.create_user("op", password="x", is_staff=True)
    client.force_login(operator)
    assert client.get("/platform/").json() == {"operator": "op"}
