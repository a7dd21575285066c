"""Choices of the marketing app: campaign kinds, statuses, channels, batch states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    TEXT = "text", _("text")
    ARTICLE = "article", _("article")
    COUPON = "coupon", _("coupon")
    TEMPLATE = "template", _("template notice")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")
    FAILED = "failed", _("failed")


class Channel(models.TextChoices):
    # What WeChat allows for the kind: mass messages count against the 4-a-month rule, template
    # notices go one by one, customer-service messages only inside the 48-hour window.
    MASS = "mass", _("mass send (openid list)")
    TEMPLATE = "template", _("template notice, one by one")
    CUSTOMER_SERVICE = "customer_service", _("customer-service message (48-hour window)")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("pending")  # written at fan-out; nothing reserved yet
    RESERVED = "reserved", _("reserved")  # caps taken for its recipients; sending may have begun
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


# Which channel carries each kind (coupons: issued, then told inside the 48-hour window).
CHANNEL_OF_KIND = {
    CampaignKind.TEXT: Channel.MASS,
    CampaignKind.ARTICLE: Channel.MASS,
    CampaignKind.TEMPLATE: Channel.TEMPLATE,
    CampaignKind.COUPON: Channel.CUSTOMER_SERVICE,
}
