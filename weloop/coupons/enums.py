from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateKind(models.TextChoices):
    AMOUNT_OFF = "amount_off", _("Amount off")
    PERCENT_OFF = "percent_off", _("Percent off (with a cap)")
    THRESHOLD = "threshold", _("Spend X, get Y off (满减)")
    FREE_ITEM = "free_item", _("Free item")
    SHIPPING = "shipping", _("Free shipping")


class TemplateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LOCKED = "locked", _("In an unpaid order")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")
    VOID = "void", _("Void")


class Channel(models.TextChoices):
    CLAIM = "claim", _("Claimed")
    QR = "qr", _("QR code")
    FOLLOW = "follow", _("Followed the account")
    FIRST_PAYMENT = "first_payment", _("First payment")
    BIRTHDAY = "birthday", _("Birthday")
    CAMPAIGN = "campaign", _("Campaign")
    CLERK = "clerk", _("Clerk")
    API = "api", _("API")
    LEVEL_GIFT = "level_gift", _("Member level gift")
