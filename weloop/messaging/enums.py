from django.db import models
from django.utils.translation import gettext_lazy as _


class MatchType(models.TextChoices):
    EXACT = "exact", _("Whole message equals the keyword")
    CONTAINS = "contains", _("Message contains the keyword")


class ReplyKind(models.TextChoices):
    TEXT = "text", _("Text")
    ARTICLE = "article", _("One article (link card)")


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class LogStatus(models.TextChoices):
    # inbound
    RECEIVED = "received", _("Being handled")
    HANDLED = "handled", _("Handled")
    FAILED = "failed", _("Failed")
    # outbound
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    UNDELIVERED = "undelivered", _("Not delivered")
