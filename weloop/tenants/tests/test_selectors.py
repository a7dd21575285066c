"""Reads: which merchant a URL or a login stands for, and merchant-scoped lists."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from weloop.tenants.enums import MerchantStatus, StaffRole
from weloop.tenants.errors import MerchantNotActive, MerchantSuspended, NotStaff, UnknownMerchant
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import (
    api_key_list,
    memberships_of,
    merchant_for_slug,
    merchant_list,
    staff_for_user,
    staff_list,
    wechat_account_of,
)
from weloop.tenants.services import api_key_create


def _set_status(merchant: Merchant, status: str) -> None:
    Merchant.objects.filter(pk=merchant.pk).update(status=status)
    merchant.refresh_from_db()


def test_merchant_for_slug_finds_an_active_merchant(merchant):
    assert merchant_for_slug("bakery") == merchant


@pytest.mark.django_db
def test_merchant_for_slug_unknown_is_a_404():
    with pytest.raises(UnknownMerchant) as excinfo:
        merchant_for_slug("nobody")

    assert (excinfo.value.status, excinfo.value.code) == (404, "tenants.unknown_merchant")


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (MerchantStatus.SUSPENDED, MerchantSuspended, "tenants.merchant_suspended"),
        (MerchantStatus.PENDING, MerchantNotActive, "tenants.merchant_not_active"),
    ],
)
def test_merchant_for_slug_refuses_unusable_merchants_unless_asked_not_to(merchant, status, error, code):
    _set_status(merchant, status)

    with pytest.raises(error) as excinfo:
        merchant_for_slug("bakery")

    assert (excinfo.value.status, excinfo.value.code) == (403, code)
    assert merchant_for_slug("bakery", require_active=False) == merchant


def test_staff_for_user_picks_the_chosen_merchant_else_the_first(make_staff, merchant, other_merchant):
    here = make_staff(merchant, StaffRole.CLERK, username="zhang")
    there = make_staff(other_merchant, StaffRole.ADMIN, username="zhang")
    user = here.user

    assert staff_for_user(user) == here
    assert staff_for_user(user, merchant_id=other_merchant.pk) == there
    # a merchant the login is not staff of falls back to its first membership
    assert staff_for_user(user, merchant_id=10**9) == here


def test_staff_for_user_ignores_inactive_memberships(make_staff, merchant, other_merchant):
    here = make_staff(merchant, StaffRole.CLERK, username="qian")
    there = make_staff(other_merchant, StaffRole.CLERK, username="qian")
    here.is_active = False
    here.save()

    assert staff_for_user(here.user, merchant_id=merchant.pk) == there
    assert list(memberships_of(here.user)) == [there]


@pytest.mark.django_db
def test_staff_for_user_refuses_a_login_without_memberships():
    user = get_user_model().objects.create_user("walk-in", password="x")

    with pytest.raises(NotStaff):
        staff_for_user(user)


def test_staff_for_user_refuses_staff_of_a_suspended_merchant(make_staff, merchant):
    staff = make_staff(merchant, StaffRole.OWNER)
    _set_status(merchant, MerchantStatus.SUSPENDED)

    with pytest.raises(MerchantSuspended):
        staff_for_user(staff.user)


def test_lists_are_scoped_to_the_merchant(new_merchant, other_new_merchant, make_staff):
    merchant, other = new_merchant.merchant, other_new_merchant.merchant
    clerk = make_staff(merchant, StaffRole.CLERK)
    api_key_create(merchant=other, name="other's")

    assert {s.merchant_id for s in staff_list(merchant=merchant)} == {merchant.pk}
    assert clerk in staff_list(merchant=merchant)
    assert clerk not in staff_list(merchant=other)
    assert [k.merchant_id for k in api_key_list(merchant=merchant)] == [merchant.pk]
    assert len(api_key_list(merchant=other)) == 2
    assert wechat_account_of(merchant=merchant) == new_merchant.wechat
    assert wechat_account_of(merchant=other) == other_new_merchant.wechat
    assert list(merchant_list()) == [other, merchant]


def test_for_merchant_refuses_none_and_unsaved_merchants(merchant):
    from weloop.tenants.models import StaffMember

    with pytest.raises(TypeError):
        StaffMember.objects.for_merchant(None)
    with pytest.raises(TypeError):
        StaffMember.objects.for_merchant(Merchant(name="unsaved", slug="unsaved"))
