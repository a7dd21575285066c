from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from weloop.tenants.services import staff_create

PASSWORD = "Weloop-test-123"
NEW = "Brand-new-pass-456"


@pytest.fixture
def owner(merchant):
    return staff_create(merchant=merchant, username="ann", password=PASSWORD, role="owner")


def test_login_page_renders_the_form(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    for testid in ("login-form", "login-username", "login-password", "login-submit", "language-en"):
        assert f'data-testid="{testid}"' in body


def test_login_sends_staff_to_the_console(client, owner):
    response = client.post("/accounts/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_login_sends_an_operator_to_the_platform_console(client, operator):
    response = client.post("/accounts/login/", {"username": "operator", "password": "Operator-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == "/platform/"


def test_login_honours_a_safe_next_and_ignores_another_site(client, owner):
    response = client.post("/accounts/login/?next=/dashboard/stores/", {"username": "ann", "password": PASSWORD})
    assert response["Location"] == "/dashboard/stores/"
    client.logout()
    response = client.post("/accounts/login/?next=https://evil.example/", {"username": "ann", "password": PASSWORD})
    assert response["Location"] == "/dashboard/"


def test_login_with_a_wrong_password_shows_an_error(client, owner):
    response = client.post("/accounts/login/", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert 'data-testid="login-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_console_sends_anonymous_visitors_to_login(client, db):
    response = client.get("/dashboard/stores/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/stores/"


def test_logout_is_post_only(client, owner):
    client.force_login(owner.user)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_password_change_keeps_the_session_and_takes_the_new_password(client, owner):
    client.force_login(owner.user)
    response = client.post(
        "/accounts/password/",
        {
            "current_password": PASSWORD,
            "new_password": "Brand-new-pass-456",
            "new_password_again": "Brand-new-pass-456",
        },
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200  # still signed in
    user = get_user_model().objects.get(username="ann")
    assert user.check_password("Brand-new-pass-456")


@pytest.mark.parametrize(
    ("current", "new", "again", "code", "field"),
    [
        ("wrong-one", "Brand-new-pass-456", "Brand-new-pass-456", "tenants.wrong_password", "current_password"),
        (PASSWORD, "12345678", "12345678", "tenants.weak_password", "new_password"),
    ],
)
def test_password_change_shows_the_service_error(client, owner, current, new, again, code, field):
    client.force_login(owner.user)
    response = client.post(
        "/accounts/password/", {"current_password": current, "new_password": new, "new_password_again": again}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-error-code="{code}"' in body
    assert f'data-testid="field-error-{field}"' in body
    assert get_user_model().objects.get(username="ann").check_password(PASSWORD)


def test_password_change_refuses_two_different_new_passwords(client, owner):
    client.force_login(owner.user)
    response = client.post(
        "/accounts/password/",
        {"current_password": PASSWORD, "new_password": "Brand-new-pass-456", "new_password_again": "Other-pass-789"},
    )
    assert response.status_code == 400
    assert 'data-testid="field-error-new_password_again"' in response.content.decode()
    assert get_user_model().objects.get(username="ann").check_password(PASSWORD)


def test_language_switch_changes_the_page_language(client, owner):
    client.force_login(owner.user)
    assert '<html lang="zh-hans">' in client.get("/dashboard/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/dashboard/").content.decode()
