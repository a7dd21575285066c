"""Choices of the orders app: order status, fulfilment types, shipments, after-sales, refunds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FULFILLING = "fulfilling", _("Being prepared")
    SHIPPED = "shipped", _("Shipped")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUNDING = "refunding", _("Refund in progress")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")


# Orders in these states never counted as a purchase (purchase limits ignore them).
UNPURCHASED_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
# A refund may start from these (the order was paid and is not already refunding or refunded).
REFUNDABLE_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.SHIPPED,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
)


class FulfilmentType(models.TextChoices):
    DELIVERY = "delivery", _("Home delivery")
    PICKUP = "pickup", _("Pickup in store")
    IN_STORE = "in_store", _("In store (table or shelf QR)")
    VIRTUAL = "virtual", _("Delivered as a code")


class ShipmentStatus(models.TextChoices):
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")


class AfterSalesKind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_AND_REFUND = "return_and_refund", _("Return and refund")


class AfterSalesStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


class VirtualCodeStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void (refunded)")


class OrderRefundKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    LATE_PAYMENT = "late_payment", _("Money that arrived after the order closed")


class OrderRefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
