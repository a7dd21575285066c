"""Role-aware navigation: a link shows exactly when its page opens for that role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from weloop.dashboard.nav import NAV
from weloop.dashboard.tests.conftest import error_code
from weloop.tenants.enums import StaffRole


def _nav_keys(response) -> set[str]:
    import re

    return set(re.findall(r'data-testid="nav-([a-z_]+)"', response.content.decode()))


def test_owner_sees_every_section(client, merchant, login_as):
    login_as(merchant, "owner")
    keys = _nav_keys(client.get("/dashboard/"))
    assert keys == {item.key for item in NAV}


def test_clerk_sees_no_staff_or_api_keys_and_is_refused_there(client, merchant, login_as):
    login_as(merchant, "clerk")
    keys = _nav_keys(client.get("/dashboard/"))
    assert {"home", "store", "clerk"} <= keys
    assert not keys & {"staff", "api_key", "outbox", "wechat"}
    for url in ("/dashboard/staff/", "/dashboard/api-keys/", "/dashboard/staff/new/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert error_code(response) == "tenants.role_forbidden"


@pytest.mark.parametrize("role", StaffRole.values)
def test_every_link_shown_opens_and_every_link_hidden_is_refused(client, merchant, login_as, role):
    login_as(merchant, role)
    shown = _nav_keys(client.get("/dashboard/"))
    for item in NAV:
        status = client.get(reverse(item.url_name)).status_code
        if item.key in shown:
            assert status == 200, f"{role} sees {item.key} but gets {status}"
        else:
            assert status == 403, f"{role} does not see {item.key} but gets {status}"


def test_current_section_is_marked(client, merchant, login_as):
    login_as(merchant, "owner")
    body = client.get("/dashboard/stores/").content.decode()
    assert 'data-testid="nav-store" aria-current="page"' in body
    assert 'data-testid="nav-home" aria-current="page"' not in body
