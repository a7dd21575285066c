"""Choices of bookings: services, resources, bookings, leads and goods reservations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMode(models.TextChoices):
    FULL = "full", _("Pay in full when booking")
    DEPOSIT = "deposit", _("Pay a deposit when booking")
    AT_STORE = "at_store", _("Pay at the store")


class ResourceKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    ROOM = "room", _("Room")
    TABLE = "table", _("Table")


class BookingStatus(models.TextChoices):
    HELD = "held", _("Held, waiting for payment")
    CONFIRMED = "confirmed", _("Confirmed")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (not paid in time)")


# A booking in these states occupies its slots.
ACTIVE_BOOKING_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    VISITED = "visited", _("Visited")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ReservationStatus(models.TextChoices):
    """A goods reservation follows its order: reserved (unpaid), paid, handed over, or closed."""

    RESERVED = "reserved", _("Reserved, to pay at the store")
    PAID = "paid", _("Paid, to hand over")
    HANDED_OVER = "handed_over", _("Handed over")
    EXPIRED = "expired", _("Expired (not collected in time)")
    CANCELLED = "cancelled", _("Cancelled")
