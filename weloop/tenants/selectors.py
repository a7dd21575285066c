"""Reads for merchants and staff, and the resolution of "which merchant is this request for"."""

from __future__ import annotations

from django.db.models import QuerySet

from weloop.tenants.enums import MerchantStatus
from weloop.tenants.errors import MerchantNotActive, MerchantSuspended, NotStaff, UnknownMerchant
from weloop.tenants.models import ApiKey, Merchant, StaffMember, WechatAccount


def merchant_for_slug(slug: str, *, require_active: bool = True) -> Merchant:
    """The merchant behind a consumer URL; suspended or pending merchants are refused."""
    merchant = Merchant.objects.filter(slug=slug).first()
    if merchant is None:
        raise UnknownMerchant(extra={"slug": slug})
    if require_active:
        ensure_merchant_usable(merchant)
    return merchant


def ensure_merchant_usable(merchant: Merchant) -> None:
    if merchant.status == MerchantStatus.SUSPENDED:
        raise MerchantSuspended(extra={"merchant": merchant.slug})
    if merchant.status != MerchantStatus.ACTIVE:
        raise MerchantNotActive(extra={"merchant": merchant.slug})


def memberships_of(user: object) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(user=user, is_active=True)  # type: ignore[misc]
        .select_related("merchant")
        .order_by("id")
    )


def staff_for_user(user: object, *, merchant_id: int | None = None) -> StaffMember:
    """The membership a console request acts as: the chosen merchant, else the first one."""
    memberships = memberships_of(user)
    chosen = memberships.filter(merchant_id=merchant_id).first() if merchant_id else None
    staff = chosen or memberships.first()
    if staff is None:
        raise NotStaff()
    ensure_merchant_usable(staff.merchant)
    return staff


def staff_list(*, merchant: Merchant) -> QuerySet[StaffMember]:
    return StaffMember.objects.for_merchant(merchant).select_related("user").order_by("id")


def api_key_list(*, merchant: Merchant) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_merchant(merchant).order_by("-id")


def wechat_account_of(*, merchant: Merchant) -> WechatAccount | None:
    return WechatAccount.objects.for_merchant(merchant).first()


def merchant_list() -> QuerySet[Merchant]:
    return Merchant.objects.order_by("-id")
