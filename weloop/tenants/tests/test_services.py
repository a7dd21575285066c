"""Merchants, staff and API keys: created whole or not at all."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.models import OutboxEvent
from weloop.tenants.enums import MerchantStatus, StaffRole, WechatMessageMode
from weloop.tenants.errors import (
    InvalidApiKey,
    InvalidSlug,
    SlugTaken,
    UsernameTaken,
    WeakPassword,
    WrongPassword,
)
from weloop.tenants.models import ApiKey, Merchant, StaffMember, WechatAccount
from weloop.tenants.services import (
    API_KEY_PREFIX,
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    hash_api_key,
    merchant_create,
    staff_change_password,
    staff_create,
)

User = get_user_model()
STRONG = "Weloop-test-123"


def _counts() -> tuple[int, ...]:
    models = (Merchant, User, StaffMember, ApiKey, WechatAccount, OutboxEvent)
    return tuple(m.objects.count() for m in models)


# --- merchant_create ------------------------------------------------------------------------


@pytest.mark.django_db
def test_merchant_create_makes_an_owner_a_key_and_simulated_wechat_credentials():
    created = merchant_create(name="  Bakery  ", slug=" Bakery-SZ ")

    merchant = created.merchant
    assert (merchant.name, merchant.slug, merchant.status) == ("Bakery", "bakery-sz", MerchantStatus.ACTIVE)
    owner = StaffMember.objects.for_merchant(merchant).select_related("user").get()
    assert owner.role == StaffRole.OWNER
    assert owner.user.username == created.owner_username == "bakery-sz-owner"
    assert owner.user.check_password(created.owner_password)
    assert api_key_authenticate(created.api_key).merchant == merchant
    wechat = created.wechat
    assert wechat.merchant == merchant
    assert wechat.appid.startswith("wx") and len(wechat.appid) == 18
    assert wechat.original_id.startswith("gh_")
    assert len(wechat.encoding_aes_key) == 43 and wechat.encoding_aes_key.isalnum()
    assert len(wechat.token) == 32
    assert (wechat.message_mode, wechat.is_simulated) == (WechatMessageMode.SAFE, True)
    assert OutboxEvent.objects.filter(merchant=merchant, name="tenants.merchant_created").count() == 1


@pytest.mark.django_db
def test_merchant_create_can_start_pending_with_a_chosen_owner_login():
    created = merchant_create(
        name="Salon", slug="salon", owner_username="li.na", owner_password=STRONG, status=MerchantStatus.PENDING
    )

    assert created.merchant.status == MerchantStatus.PENDING
    assert User.objects.get(username="li.na").check_password(STRONG)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug", ["", "ab", "1bakery", "-bakery", "bakery shop", "bakery_sz", "bäckerei", "a" * 41, "bakery/../x"]
)
def test_merchant_create_refuses_a_bad_slug_and_writes_nothing(slug):
    before = _counts()

    with pytest.raises(InvalidSlug) as excinfo:
        merchant_create(name="Bakery", slug=slug)

    assert excinfo.value.code == "tenants.invalid_slug"
    assert excinfo.value.status == 400
    assert _counts() == before


@pytest.mark.django_db
def test_merchant_create_refuses_an_empty_name():
    with pytest.raises(InvalidSlug) as excinfo:
        merchant_create(name="   ", slug="nameless")

    assert excinfo.value.extra == {"field": "name"}
    assert not Merchant.objects.filter(slug="nameless").exists()


def test_merchant_create_refuses_a_taken_slug_and_writes_nothing(merchant):
    before = _counts()

    with pytest.raises(SlugTaken) as excinfo:
        merchant_create(name="Copycat", slug=merchant.slug.upper())

    assert excinfo.value.code == "tenants.slug_taken"
    assert _counts() == before


def test_merchant_create_refuses_an_owner_login_that_exists_and_rolls_back_the_merchant(new_merchant):
    # Before the fix the existing login silently became the new merchant's owner, and the
    # password handed back (and printed by `weloop merchant create`) was not its password.
    before = _counts()

    with pytest.raises(UsernameTaken) as excinfo:
        merchant_create(name="Second shop", slug="second-shop", owner_username=new_merchant.owner_username)

    assert excinfo.value.code == "tenants.username_taken"
    assert not Merchant.objects.filter(slug="second-shop").exists()
    assert _counts() == before


@pytest.mark.django_db
def test_merchant_create_with_a_weak_owner_password_rolls_back_the_merchant():
    before = _counts()

    with pytest.raises(WeakPassword):
        merchant_create(name="Weak", slug="weak-shop", owner_password="123")

    assert not Merchant.objects.filter(slug="weak-shop").exists()
    assert _counts() == before


# --- staff ----------------------------------------------------------------------------------


def test_staff_create_reuses_one_login_across_merchants(merchant, other_merchant):
    first = staff_create(merchant=merchant, username="wang", password=STRONG, role=StaffRole.CLERK)
    second = staff_create(merchant=other_merchant, username="wang", password="ignored", role=StaffRole.ADMIN)

    assert first.user_id == second.user_id
    assert second.user.check_password(STRONG)  # the existing login keeps its password
    assert (first.merchant, second.merchant, second.role) == (merchant, other_merchant, StaffRole.ADMIN)


def test_staff_create_refuses_the_same_login_twice_in_one_merchant(merchant):
    staff_create(merchant=merchant, username="zhao", password=STRONG, role=StaffRole.CLERK)

    with pytest.raises(UsernameTaken):
        staff_create(merchant=merchant, username=" zhao ", password=STRONG, role=StaffRole.ADMIN)

    assert StaffMember.objects.for_merchant(merchant).filter(user__username="zhao").count() == 1


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901"])
def test_staff_create_refuses_weak_passwords_and_writes_nothing(merchant, password):
    with pytest.raises(WeakPassword) as excinfo:
        staff_create(merchant=merchant, username="weakling", password=password, role=StaffRole.CLERK)

    assert excinfo.value.extra["reasons"]
    assert not User.objects.filter(username="weakling").exists()


def test_staff_create_refuses_an_unknown_role(merchant):
    with pytest.raises(ValueError):
        staff_create(merchant=merchant, username="boss", password=STRONG, role="emperor")
    assert not User.objects.filter(username="boss").exists()


def test_staff_change_password(make_staff, merchant):
    staff = make_staff(merchant, StaffRole.CLERK, password=STRONG)
    user = staff.user

    with pytest.raises(WrongPassword):
        staff_change_password(user=user, current_password="wrong", new_password="Another-pass-456")
    with pytest.raises(WeakPassword):
        staff_change_password(user=user, current_password=STRONG, new_password="123")
    user.refresh_from_db()
    assert user.check_password(STRONG)

    staff_change_password(user=user, current_password=STRONG, new_password="Another-pass-456")

    user.refresh_from_db()
    assert user.check_password("Another-pass-456")


# --- API keys -------------------------------------------------------------------------------


def test_api_key_authenticate_returns_the_key_with_its_merchant(new_merchant):
    key = api_key_authenticate(new_merchant.api_key)

    assert key.merchant == new_merchant.merchant
    assert not key.is_revoked
    assert ApiKey.objects.get(pk=key.pk).last_used_at is not None


def test_api_key_stores_only_a_hash_of_the_secret(merchant):
    raw, key = api_key_create(merchant=merchant, name="ERP sync")

    assert raw.startswith(API_KEY_PREFIX) and len(raw) > 40
    key.refresh_from_db()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.prefix == raw[:12]
    secret_part = raw[len(API_KEY_PREFIX) :]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        stored = repr(cursor.fetchall())
    assert secret_part not in stored
    assert secret_part[8:] not in stored  # nothing beyond the shown prefix


@pytest.mark.parametrize(
    "raw",
    ["", "wlk_", "wlk_not-a-real-key", "Bearer wlk_x", "sk_live_abc", "wlk_" + "a" * 300],
)
def test_api_key_authenticate_refuses_unknown_or_malformed_keys(new_merchant, raw):
    with pytest.raises(InvalidApiKey) as excinfo:
        api_key_authenticate(raw)

    assert (excinfo.value.code, excinfo.value.status) == ("auth.invalid_api_key", 401)


def test_api_key_with_the_wrong_prefix_is_refused_even_if_its_hash_matches(merchant):
    ApiKey.objects.create(merchant=merchant, name="legacy", prefix="legacy", key_hash=hash_api_key("legacy-secret"))

    with pytest.raises(InvalidApiKey):
        api_key_authenticate("legacy-secret")


def test_a_revoked_api_key_is_refused(new_merchant):
    key = api_key_authenticate(new_merchant.api_key)

    revoked = api_key_revoke(merchant=new_merchant.merchant, public_id=key.public_id)
    first_revocation = revoked.revoked_at
    again = api_key_revoke(merchant=new_merchant.merchant, public_id=key.public_id)

    assert revoked.is_revoked
    assert again.revoked_at == first_revocation  # revoking twice keeps the first moment
    with pytest.raises(InvalidApiKey):
        api_key_authenticate(new_merchant.api_key)


def test_another_merchant_cannot_revoke_a_key(new_merchant, other_merchant):
    key = ApiKey.objects.for_merchant(new_merchant.merchant).get()

    with pytest.raises(NotFound):
        api_key_revoke(merchant=other_merchant, public_id=key.public_id)

    assert api_key_authenticate(new_merchant.api_key).pk == key.pk


def test_api_key_last_used_is_touched_at_most_once_a_minute(new_merchant):
    key = ApiKey.objects.for_merchant(new_merchant.merchant).get()
    assert key.last_used_at is None

    api_key_authenticate(new_merchant.api_key)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    with _travel(30):
        api_key_authenticate(new_merchant.api_key)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    with _travel(61):
        api_key_authenticate(new_merchant.api_key)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


def _travel(seconds: int):
    return clock.travel(timedelta(seconds=seconds))
