"""The review's visibility: hidden by the merchant with a reason, shown again; never deleted."""

from weloop.core.state import StateMachine
from weloop.reviews.enums import ReviewStatus

REVIEW = StateMachine(
    "review",
    {
        ReviewStatus.VISIBLE: {ReviewStatus.HIDDEN},
        ReviewStatus.HIDDEN: {ReviewStatus.VISIBLE},
    },
)
