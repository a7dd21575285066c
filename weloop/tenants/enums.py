from django.db import models
from django.utils.translation import gettext_lazy as _


class MerchantStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class StaffRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    STORE_MANAGER = "store_manager", _("Store manager")
    CLERK = "clerk", _("Clerk / shopping guide")
    SERVICE_AGENT = "service_agent", _("Service agent")


class WechatMessageMode(models.TextChoices):
    PLAINTEXT = "plaintext", _("Plaintext")
    COMPATIBLE = "compatible", _("Compatible")
    SAFE = "safe", _("Safe (encrypted)")
