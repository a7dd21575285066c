"""Choices of the attribution ledger."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    """What was credited. Only ``order`` entries are money taken; the others are activity with a value."""

    ORDER = "order", _("Order")
    BOOKING = "booking", _("Booking")
    REDEMPTION = "redemption", _("Redemption")


class SourceKind(models.TextChoices):
    """Where the customer came from, derived from the QR scene, the table and the referrer."""

    QR = "qr", _("QR code")
    TABLE = "table", _("Table or shelf QR")
    DEAL = "deal", _("Deal")
    REFERRER = "referrer", _("Referrer")
    DIRECT = "direct", _("Direct")
