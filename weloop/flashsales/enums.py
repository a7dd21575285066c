"""Choices of flash sales: the sale's status and a claim's."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlashSaleStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


# A sale in these states may still open or sell (the window decides which).
OPEN_STATUSES = (FlashSaleStatus.SCHEDULED, FlashSaleStatus.LIVE)


class ClaimStatus(models.TextChoices):
    """A winner's claim follows its order: waiting for payment, paid, or lapsed (unit given back)."""

    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid")
    LAPSED = "lapsed", _("Lapsed")


# A member has at most one claim in these states per sale (a unique index says so).
ACTIVE_CLAIM_STATUSES = (ClaimStatus.PENDING_PAYMENT, ClaimStatus.PAID)
