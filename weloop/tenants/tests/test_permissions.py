"""The one permission table: every role × permission, checked on real staff rows.

Store-scoped permissions (StoreAssignment) are tested in weloop/stores/tests, where stores live.
"""

from __future__ import annotations

import pytest

from weloop.tenants.enums import StaffRole
from weloop.tenants.errors import RoleForbidden
from weloop.tenants.permissions import PERMISSIONS, STORE_SCOPED, has_permission, require_permission

OWN, ADM, MGR, CLK, AGT = (
    StaffRole.OWNER,
    StaffRole.ADMIN,
    StaffRole.STORE_MANAGER,
    StaffRole.CLERK,
    StaffRole.SERVICE_AGENT,
)
# Who may do what, written out by hand: a change to PERMISSIONS must be made here too, on purpose.
EXPECTED: dict[str, set[str]] = {
    "dashboard.view": {OWN, ADM, MGR, CLK, AGT},
    "stores.view": {OWN, ADM, MGR, CLK, AGT},
    "stores.manage": {OWN, ADM},
    "stores.edit": {OWN, ADM, MGR},
    "staff.manage": {OWN, ADM},
    "api_keys.manage": {OWN, ADM},
    "outbox.view": {OWN, ADM},
    "clerk.use": {OWN, ADM, MGR, CLK},
    "wechat.manage": {OWN, ADM},
    "settings.manage": {OWN},
}


@pytest.fixture
def staff_by_role(make_staff, merchant):
    return {role: make_staff(merchant, role) for role in StaffRole.values}


def test_every_documented_permission_is_in_the_table_with_the_documented_roles():
    for permission, roles in EXPECTED.items():
        assert set(PERMISSIONS[permission]) == roles, permission


def test_permissions_added_later_are_well_formed():
    # New permissions need no edit here, but must name known roles and always include the owner.
    for permission, roles in PERMISSIONS.items():
        assert permission.count(".") == 1, permission
        assert set(roles) <= set(StaffRole.values), permission
        assert StaffRole.OWNER in roles, permission
    assert set(STORE_SCOPED) <= set(PERMISSIONS)


def test_every_role_and_permission_pair_on_real_staff(staff_by_role):
    for permission in PERMISSIONS:
        expected_roles = EXPECTED.get(permission, set(PERMISSIONS[permission]))
        for role, staff in staff_by_role.items():
            allowed = role in expected_roles
            assert has_permission(staff, permission) is allowed, (role, permission)
            if allowed:
                require_permission(staff, permission)
            else:
                with pytest.raises(RoleForbidden) as excinfo:
                    require_permission(staff, permission)
                assert excinfo.value.extra == {"permission": permission, "role": role}
                assert (excinfo.value.code, excinfo.value.status) == ("tenants.role_forbidden", 403)


def test_inactive_staff_hold_no_permission_at_all(staff_by_role):
    owner = staff_by_role[StaffRole.OWNER]
    owner.is_active = False

    assert not any(has_permission(owner, p) for p in PERMISSIONS)
    with pytest.raises(RoleForbidden):
        require_permission(owner, "dashboard.view")


def test_an_unknown_permission_is_a_programming_error(staff_by_role):
    with pytest.raises(KeyError):
        has_permission(staff_by_role[StaffRole.OWNER], "stores.nuke")
