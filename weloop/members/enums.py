from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberSource(models.TextChoices):
    """How the merchant first met a member (the first touch)."""

    FOLLOW = "follow", _("Followed the account")
    OAUTH = "oauth", _("Opened an H5 page")
    SCAN = "scan", _("Scanned a QR code")
    PURCHASE = "purchase", _("Bought something")
    MESSAGE = "message", _("Sent a message")


class TouchKind(models.TextChoices):
    """Every kind of contact a member's timeline records."""

    FOLLOW = "follow", _("Followed")
    UNFOLLOW = "unfollow", _("Unfollowed")
    SCAN = "scan", _("Scanned a QR code")
    OAUTH = "oauth", _("Opened an H5 page")
    LOCATION = "location", _("Shared a location")
    MENU_CLICK = "menu_click", _("Tapped a menu button")
    MENU_VIEW = "menu_view", _("Opened a menu link")
    MESSAGE = "message", _("Sent a message")
    PURCHASE = "purchase", _("Bought something")


class QrCodeKind(models.TextChoices):
    """What a parametric QR code attributes its scans to."""

    STORE = "store", _("Store")
    GUIDE = "guide", _("Shopping guide")
    CHANNEL = "channel", _("Channel")
