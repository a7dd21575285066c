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


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class TagKind(models.TextChoices):
    """Who puts a tag on members: staff by hand, rules automatically, or a care flag for the desk."""

    MANUAL = "manual", _("Manual")
    AUTO = "auto", _("Automatic")
    CARE = "care", _("Care flag")


class TagSource(models.TextChoices):
    """Why a member carries a tag (kept on the member's tag, so it can be explained)."""

    MANUAL = "manual", _("Staff")
    RULE = "rule", _("Rule")
    SURVEY = "survey", _("Survey")
    EVENT = "event", _("Event")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    CAMPAIGN = "campaign", _("Campaign")
