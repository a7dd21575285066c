"""Choices of the payments app: methods, statuses, notification outcomes and ledger kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    WECHAT_JSAPI = "wechat_jsapi", _("WeChat Pay (inside WeChat)")
    WECHAT_NATIVE = "wechat_native", _("WeChat Pay (QR code)")
    OFFLINE_CASH = "offline_cash", _("Cash at the counter")
    OFFLINE_CARD = "offline_card", _("Card at the counter")
    OFFLINE_OTHER = "offline_other", _("Other, at the counter")


WECHAT_METHODS = frozenset({PaymentMethod.WECHAT_JSAPI, PaymentMethod.WECHAT_NATIVE})
OFFLINE_METHODS = frozenset({PaymentMethod.OFFLINE_CASH, PaymentMethod.OFFLINE_CARD, PaymentMethod.OFFLINE_OTHER})


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")  # stored, WeChat not (yet) asked: out_trade_no is reserved
    PENDING = "pending", _("Waiting for the payer")  # WeChat gave a prepay_id / code_url
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CLOSED = "closed", _("Closed")


# A payment in one of these may still be paid at WeChat: at most one per order reference.
OPEN_PAYMENT_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)


class RefundStatus(models.TextChoices):
    CREATED = "created", _("Created")  # stored with its out_refund_no; WeChat not (yet) answered
    PROCESSING = "processing", _("Processing")  # WeChat accepted it; the money is on its way back
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refused")  # WeChat refused the request; retry with the same out_refund_no
    CLOSED = "closed", _("Closed")  # WeChat closed it: final, the money stayed with the merchant


# Refunds whose amount is reserved on the payment (Payment.refunding_fen).
IN_FLIGHT_REFUND_STATUSES = (RefundStatus.CREATED, RefundStatus.PROCESSING)


class NotificationOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Already applied")
    REJECTED = "rejected", _("Rejected")


class LedgerKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    REFUND = "refund", _("Refund")


class NotificationEvent(models.TextChoices):
    """WeChat Pay's ``event_type`` values (WECHAT.md §4.5, §4.6)."""

    TRANSACTION_SUCCESS = "TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS"
    REFUND_SUCCESS = "REFUND.SUCCESS", "REFUND.SUCCESS"
    REFUND_ABNORMAL = "REFUND.ABNORMAL", "REFUND.ABNORMAL"
    REFUND_CLOSED = "REFUND.CLOSED", "REFUND.CLOSED"
