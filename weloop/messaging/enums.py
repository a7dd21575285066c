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


# --- notifications ------------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    """What a customer is told about. The payload each expects: docs/notifications.md."""

    PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment received")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    SHIPMENT_UPDATED = "shipment_updated", _("Logistics update")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    REFUND_SUCCEEDED = "refund_succeeded", _("Refund done")
    VOUCHER_ISSUED = "voucher_issued", _("Voucher issued")
    VOUCHER_EXPIRING = "voucher_expiring", _("Voucher about to expire")
    BOOKING_CONFIRMED = "booking_confirmed", _("Booking confirmed")
    BOOKING_REMINDER = "booking_reminder", _("Booking reminder")
    BOOKING_CHANGED = "booking_changed", _("Booking changed")
    SERVICE_EXPIRING = "service_expiring", _("Service about to expire")
    REVIEW_PROMPT = "review_prompt", _("Review prompt")


class NotificationChannel(models.TextChoices):
    TEMPLATE = "template", _("Template message")
    SUBSCRIBE = "subscribe", _("Subscription notice")
    CUSTOMER_SERVICE = "customer_service", _("Customer-service message")
    NONE = "", _("None")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (member's preference)")


class TemplateChannel(models.TextChoices):
    """How a mapped kind is sent: a template message, or a subscription notice (one-time grant)."""

    TEMPLATE = "template", _("Template message")
    SUBSCRIBE = "subscribe", _("Subscription notice")
