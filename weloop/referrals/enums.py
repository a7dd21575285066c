from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferrerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")


class BindingSource(models.TextChoices):
    LINK = "link", _("Shared link")
    POSTER = "poster", _("Poster QR")
    QR = "qr", _("WeChat QR")
    CONSOLE = "console", _("Console")
    API = "api", _("API")


class EntryKind(models.TextChoices):
    ACCRUE = "accrue", _("Commission")
    REVERSE = "reverse", _("Refund reversal")
    PAYOUT = "payout", _("Payout")


class EntryStatus(models.TextChoices):
    FROZEN = "frozen", _("Frozen")
    AVAILABLE = "available", _("Available")
    PAID = "paid", _("Paid")


class StatementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class PayoutMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank or WeChat transfer")
    OTHER = "other", _("Other")
