"""The payment and refund state machines (one mutator each: ``weloop.core.state``).

Money that WeChat reports as received is never ignored: a payment we closed or saw fail moves to
``succeeded`` when a verified notification or a query says it was paid after all (closing raced the
payer). The order layer then decides what to do with a payment for a cancelled order (refund it).
"""

from weloop.core.state import StateMachine
from weloop.payments.enums import PaymentStatus, RefundStatus

PAYMENT = StateMachine(
    "payment",
    {
        # created -> succeeded: an offline payment is recorded at once; a WeChat one whose first
        # answer was lost may be found paid by a query.
        PaymentStatus.CREATED: {
            PaymentStatus.PENDING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CLOSED,
        },
        PaymentStatus.PENDING: {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CLOSED},
        PaymentStatus.FAILED: {PaymentStatus.SUCCEEDED},
        PaymentStatus.CLOSED: {PaymentStatus.SUCCEEDED},
        # Refunds never change a payment's status: Payment.refunded_fen counts them.
        PaymentStatus.SUCCEEDED: set(),
    },
)

REFUND = StateMachine(
    "refund",
    {
        # created -> succeeded: an offline refund is recorded at once, or WeChat answered SUCCESS.
        RefundStatus.CREATED: {
            RefundStatus.PROCESSING,
            RefundStatus.SUCCEEDED,
            RefundStatus.FAILED,
            RefundStatus.CLOSED,
        },
        # WeChat's ABNORMAL is not final: the refund stays processing (Refund.wechat_status says it).
        RefundStatus.PROCESSING: {RefundStatus.SUCCEEDED, RefundStatus.CLOSED},
        # Retrying a refused refund re-sends the same out_refund_no (WECHAT.md §4.6).
        RefundStatus.FAILED: {RefundStatus.CREATED},
        RefundStatus.SUCCEEDED: set(),
        RefundStatus.CLOSED: set(),
    },
)
