"""The notification status machine: pending -> sent -> delivered / failed; pending -> failed / skipped;
failed -> pending when staff retry it.

A retry is not a transition: the row stays ``pending`` with a later ``next_attempt_at``.
"""

from weloop.core.state import StateMachine
from weloop.messaging.enums import NotificationStatus as S

NOTIFICATION = StateMachine(
    "notification",
    {
        S.PENDING: {S.SENT, S.DELIVERED, S.FAILED, S.SKIPPED},
        S.SENT: {S.DELIVERED, S.FAILED},
        S.FAILED: {S.PENDING},  # the console's "retry"
    },
)
