from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    NO_REPLY_NEEDED = "no_reply_needed", _("No reply needed")
    SPAM = "spam", _("Spam")
    UNREACHABLE = "unreachable", _("Customer unreachable")


class MessageDirection(models.TextChoices):
    IN = "in", _("From the customer")
    OUT = "out", _("To the customer")
    NOTE = "note", _("Internal note")
    SYSTEM = "system", _("System")


class MessageKind(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Picture")
    VOICE = "voice", _("Voice")
    VIDEO = "video", _("Video")
    LOCATION = "location", _("Location")
    LINK = "link", _("Link")
    MENU = "menu", _("Menu button")
    TICKET_UPDATE = "ticket_update", _("Ticket update")
    EVENT = "event", _("Event")


class MediaStatus(models.TextChoices):
    NONE = "", _("No media")
    PENDING = "pending", _("Downloading")
    STORED = "stored", _("Stored")
    UNAVAILABLE = "unavailable", _("Media unavailable")


class SendStatus(models.TextChoices):
    """What happened to a message we sent (inbound messages and notes have none)."""

    NONE = "", _("—")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NOT_SENT = "not_sent", _("Not sent (outside the window)")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class InboxFilter(models.TextChoices):
    MINE = "mine", _("Mine")
    UNASSIGNED = "unassigned", _("Unassigned")
    ALL = "all", _("All open")
    CLOSED = "closed", _("Closed")
