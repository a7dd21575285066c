"""Store-scoped permissions: a store assignment narrows stores.edit and clerk.use to those stores."""

from __future__ import annotations

import pytest

from weloop.stores.services import store_assign_staff
from weloop.tenants.enums import StaffRole
from weloop.tenants.errors import RoleForbidden
from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import PERMISSIONS, STORE_SCOPED, has_permission, require_permission


@pytest.fixture
def two_stores(merchant, make_store):
    return make_store(merchant, name="Assigned"), make_store(merchant, name="Elsewhere")


def _assigned(merchant, make_staff, role, stores) -> StaffMember:
    staff = make_staff(merchant, role)
    store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[s.public_id for s in stores])
    return StaffMember.objects.get(pk=staff.pk)


def test_the_scoped_permissions_are_the_store_level_ones():
    store_level = {"stores.edit", "clerk.use", "orders.view", "orders.manage", "orders.counter"}
    assert frozenset(store_level | {"vouchers.redeem", "analytics.view"}) == STORE_SCOPED


@pytest.mark.parametrize("role", [StaffRole.STORE_MANAGER, StaffRole.CLERK])
def test_an_assigned_role_holds_scoped_permissions_only_for_its_stores(merchant, make_staff, two_stores, role):
    assigned, elsewhere = two_stores
    staff = _assigned(merchant, make_staff, role, [assigned])

    for permission in STORE_SCOPED:
        holds = role in PERMISSIONS[permission]
        assert has_permission(staff, permission, store_id=assigned.pk) is holds
        assert has_permission(staff, permission, store_id=elsewhere.pk) is False
        # without a store (navigation, lists) the role's own answer stands
        assert has_permission(staff, permission) is holds
    with pytest.raises(RoleForbidden):
        require_permission(staff, "clerk.use", store_id=elsewhere.pk)


def test_an_unassigned_store_manager_holds_scoped_permissions_for_every_store(merchant, make_staff, two_stores):
    manager = make_staff(merchant, StaffRole.STORE_MANAGER)

    assert all(has_permission(manager, "stores.edit", store_id=s.pk) for s in two_stores)


@pytest.mark.parametrize("role", [StaffRole.OWNER, StaffRole.ADMIN])
def test_owners_and_admins_are_never_narrowed_by_an_assignment(merchant, make_staff, two_stores, role):
    assigned, elsewhere = two_stores
    staff = _assigned(merchant, make_staff, role, [assigned])

    assert has_permission(staff, "stores.edit", store_id=elsewhere.pk)
    assert has_permission(staff, "clerk.use", store_id=elsewhere.pk)


def test_unscoped_permissions_ignore_the_store(merchant, make_staff, two_stores):
    assigned, elsewhere = two_stores
    clerk = _assigned(merchant, make_staff, StaffRole.CLERK, [assigned])

    assert has_permission(clerk, "stores.view", store_id=elsewhere.pk)
    assert not has_permission(clerk, "stores.manage", store_id=assigned.pk)


def test_a_role_without_the_permission_is_refused_even_for_its_own_store(merchant, make_staff, two_stores):
    assigned, _ = two_stores
    agent = _assigned(merchant, make_staff, StaffRole.SERVICE_AGENT, [assigned])

    assert not has_permission(agent, "clerk.use", store_id=assigned.pk)
    assert not has_permission(agent, "stores.edit", store_id=assigned.pk)
