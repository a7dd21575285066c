"""Fixtures for the console tests: logins by role, optionally limited to stores."""

from __future__ import annotations

import pytest

from weloop.stores.services import store_assign_staff


@pytest.fixture
def login_as(client, make_staff):
    """Log the test client in as a new staff member of ``merchant``; returns the StaffMember."""

    def login(merchant, role: str = "owner", *, stores=()):
        staff = make_staff(merchant, role)
        if stores:
            store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[s.public_id for s in stores])
        client.force_login(staff.user)
        return staff

    return login


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user(username="operator", password="Operator-pass-123", is_staff=True)


def error_code(response) -> str | None:
    """The stable code an error page or form error carries (``data-error-code``)."""
    import re

    match = re.search(r'data-error-code="([^"]+)"', response.content.decode())
    return match.group(1) if match else None
