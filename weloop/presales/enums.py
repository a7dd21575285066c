"""Choices of pre-sales (预售, 以销定产): the presale's mode and status, a participant's status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PresaleMode(models.TextChoices):
    FULL = "full", _("Full prepayment")
    DEPOSIT = "deposit", _("Deposit, balance after success")


class PresaleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    SUCCEEDED = "succeeded", _("Succeeded (production triggered)")
    FAILED = "failed", _("Failed (target not met)")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDING = "refunding", _("Refunding")
    REFUNDED = "refunded", _("Refunded")


# Members may join a presale only in this state (and before its deadline).
JOINABLE = (PresaleStatus.OPEN,)
# Money taken in these states goes back (failure, cancellation, and the refund run itself).
REFUND_STATES = (PresaleStatus.FAILED, PresaleStatus.CANCELLED, PresaleStatus.REFUNDING, PresaleStatus.REFUNDED)


class EntryStatus(models.TextChoices):
    """A participant follows their order: paid counts toward the target; refunds are tracked one by one."""

    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid")
    LAPSED = "lapsed", _("Not paid (lapsed)")
    REFUND_DUE = "refund_due", _("Refund due")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUNDED = "refunded", _("Refunded")


# A member's units in these states count against the per-member limit.
ACTIVE_ENTRY_STATUSES = (EntryStatus.PENDING_PAYMENT, EntryStatus.PAID)


class BalanceStatus(models.TextChoices):
    NONE = "none", _("No balance")
    DUE = "due", _("Balance due")
    PAID = "paid", _("Balance paid")
    FORFEITED = "forfeited", _("Not paid in time: deposit forfeited")
