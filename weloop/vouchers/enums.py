from django.db import models
from django.utils.translation import gettext_lazy as _


class DealStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("On sale")
    ENDED = "ended", _("Ended")


class VoucherKind(models.TextChoices):
    SINGLE = "single", _("Single use")
    PUNCH = "punch", _("Punch card (several visits)")


class VoucherStatus(models.TextChoices):
    ACTIVE = "active", _("Ready to use")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")
    REFUND_PENDING = "refund_pending", _("Refund in progress")
    REFUNDED = "refunded", _("Refunded")
    VOID = "void", _("Void (order refunded)")


# A voucher in these states can no longer be redeemed, whatever its remaining uses say.
CLOSED_STATUSES = frozenset(
    {VoucherStatus.EXPIRED, VoucherStatus.REFUND_PENDING, VoucherStatus.REFUNDED, VoucherStatus.VOID}
)
