"""Errors of the payments app, each with a stable code."""

from weloop.core.errors import Conflict, NotFound, ValidationFailed


class InvalidPaySettings(ValidationFailed):
    """A WeChat Pay setting cannot be used. ``extra``: {"field"}."""

    code = "payments.invalid_settings"
    message = "The WeChat Pay settings are not valid."


class PayNotConfigured(NotFound):
    code = "payments.not_configured"
    message = "WeChat Pay is not set up for this merchant."


class WechatNotConnected(Conflict):
    code = "payments.wechat_not_connected"
    message = "Connect a WeChat service account first: WeChat Pay is bound to its appid."


class InvalidPayment(ValidationFailed):
    """A payment field is not valid. ``extra``: {"field"}."""

    code = "payments.invalid_payment"
    message = "The payment is not valid."


class AlreadyPaid(Conflict):
    """The order already has a successful payment. ``extra``: {"reference", "payment_id"}."""

    code = "payments.already_paid"
    message = "This order has already been paid."


class PaymentNotOpen(Conflict):
    """The payment cannot be paid any more (paid, failed or closed). ``extra``: {"payment_id", "status"}."""

    code = "payments.not_open"
    message = "This payment can no longer be paid."


class NotRefundable(Conflict):
    """Only a successful payment can be refunded. ``extra``: {"payment_id", "status"}."""

    code = "payments.not_refundable"
    message = "Only a paid payment can be refunded."


class InvalidRefund(ValidationFailed):
    """A refund field is not valid. ``extra``: {"field"}."""

    code = "payments.invalid_refund"
    message = "The refund is not valid."


class RefundExceedsRemaining(Conflict):
    """``extra``: {"payment_id", "requested_fen", "remaining_fen"}."""

    code = "payments.refund_exceeds_remaining"
    message = "The refund is larger than what is left to refund on this payment."


class TooManyRefunds(Conflict):
    code = "payments.too_many_refunds"
    message = "A payment can be refunded at most 50 times."


class RefundNumberReused(Conflict):
    """The out_refund_no belongs to another payment or amount. ``extra``: {"out_refund_no"}."""

    code = "payments.refund_number_reused"
    message = "This refund number was already used for another refund."
