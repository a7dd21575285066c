from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsumptionKind(models.TextChoices):
    ORDER = "order", _("Order completed")
    VOUCHER = "voucher", _("Voucher redeemed")
    BOOKING = "booking", _("Booking attended")


class ReviewStatus(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    HIDDEN = "hidden", _("Hidden")


class AuditAction(models.TextChoices):
    CREATED = "created", _("Written")
    REPLIED = "replied", _("Replied")
    HIDDEN = "hidden", _("Hidden")
    SHOWN = "shown", _("Shown again")
    REPORTED = "reported", _("Reported")
