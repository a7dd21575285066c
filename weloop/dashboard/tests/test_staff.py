from __future__ import annotations

from django.contrib.auth import get_user_model

from weloop.dashboard.tests.conftest import error_code
from weloop.stores.models import StoreAssignment
from weloop.tenants.models import StaffMember


def test_create_staff_with_a_store_assignment(client, merchant, login_as, make_store):
    store = make_store(merchant, name="Futian")
    make_store(merchant, name="Luohu")
    login_as(merchant, "admin")
    response = client.post(
        "/dashboard/staff/new/",
        {
            "username": "new-clerk",
            "password": "Counter-pass-123",
            "role": "clerk",
            "display_name": "Xiao Zhang",
            "stores": [store.public_id],
        },
    )
    assert response.status_code == 302
    member = StaffMember.objects.for_merchant(merchant).get(user__username="new-clerk")
    assert (member.role, member.display_name) == ("clerk", "Xiao Zhang")
    assert list(
        StoreAssignment.objects.for_merchant(merchant).filter(staff=member).values_list("store", flat=True)
    ) == [store.pk]
    assert get_user_model().objects.get(username="new-clerk").check_password("Counter-pass-123")
    body = client.get("/dashboard/staff/").content.decode()
    assert f'data-staff-id="{member.public_id}"' in body and "Futian" in body


def test_create_staff_with_a_weak_password_writes_nothing(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post("/dashboard/staff/new/", {"username": "weak", "password": "12345678", "role": "clerk"})
    assert response.status_code == 400
    assert error_code(response) == "tenants.weak_password"
    assert not get_user_model().objects.filter(username="weak").exists()


def test_create_staff_twice_with_one_login_is_refused(client, merchant, login_as):
    owner = login_as(merchant, "owner")
    response = client.post(
        "/dashboard/staff/new/", {"username": owner.user.username, "password": "Counter-pass-123", "role": "clerk"}
    )
    assert response.status_code == 400
    assert error_code(response) == "tenants.username_taken"
    assert 'data-testid="field-error-username"' in response.content.decode()


def test_admin_cannot_make_an_owner(client, merchant, login_as):
    login_as(merchant, "admin")
    assert 'value="owner"' not in client.get("/dashboard/staff/new/").content.decode()
    response = client.post(
        "/dashboard/staff/new/", {"username": "boss", "password": "Counter-pass-123", "role": "owner"}
    )
    assert response.status_code == 400
    assert not StaffMember.objects.for_merchant(merchant).filter(user__username="boss").exists()


def test_deactivate_staff(client, merchant, login_as, make_staff):
    clerk = make_staff(merchant, "clerk")
    login_as(merchant, "admin")
    response = client.post(f"/dashboard/staff/{clerk.public_id}/deactivate/")
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    # the deactivated login no longer opens the console
    client.force_login(clerk.user)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert error_code(response) == "tenants.not_staff"


def test_nobody_deactivates_themselves_and_admins_leave_owners_alone(client, merchant, login_as, make_staff):
    owner = make_staff(merchant, "owner")
    admin = login_as(merchant, "admin")
    client.post(f"/dashboard/staff/{admin.public_id}/deactivate/")
    admin.refresh_from_db()
    assert admin.is_active
    response = client.post(f"/dashboard/staff/{owner.public_id}/deactivate/")
    assert response.status_code == 403
    owner.refresh_from_db()
    assert owner.is_active


def test_another_merchants_staff_is_404(client, merchant, other_merchant, login_as, make_staff):
    theirs = make_staff(other_merchant, "clerk")
    login_as(merchant, "owner")
    assert client.post(f"/dashboard/staff/{theirs.public_id}/deactivate/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
