"""Merchants (the tenants), their staff with roles, API keys and WeChat account credentials.

Platform operators are Django users with ``is_staff``; they belong to no merchant.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.tenants.enums import MerchantStatus, StaffRole, WechatMessageMode


class Merchant(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=MerchantStatus.choices, default=MerchantStatus.PENDING)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == MerchantStatus.ACTIVE


class StaffMember(TenantModel):
    """A login's membership of one merchant, with one role; store-scoped via StoreAssignment."""

    URL_KWARG = "staff_id"  # how URLs name it (tests/integration/test_tenant_isolation.py)

    public_id = public_id_field("stf_")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    display_name = models.CharField(_("display name"), max_length=60, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="staff_once_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "public_id"], name="staff_public_id_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class ApiKey(TenantModel):
    """A bearer credential for /api/v1/. Only a SHA-256 of the secret is stored."""

    public_id = public_id_field("key_")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16)
    # Globally unique on purpose: the key is what tells us the merchant (see tests/architecture).
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="apikey_public_id_per_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class WechatAccount(TenantModel):
    """The merchant's service account as WeChat knows it (simulator credentials by default)."""

    appid = models.CharField(max_length=32)
    app_secret = models.CharField(max_length=64)
    original_id = models.CharField(max_length=32)
    token = models.CharField(max_length=32)
    encoding_aes_key = models.CharField(max_length=43)
    previous_encoding_aes_key = models.CharField(max_length=43, blank=True, default="")
    message_mode = models.CharField(max_length=16, choices=WechatMessageMode.choices, default=WechatMessageMode.SAFE)
    is_simulated = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_wechat_account_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "appid"], name="wechat_appid_per_merchant"),
        ]
