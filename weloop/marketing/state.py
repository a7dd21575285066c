"""The campaign state machine.

draft -> scheduled (a time is set, or "send now": scheduled for now) | cancelled
scheduled -> sending (fan-out written) | draft (unscheduled for editing) | cancelled | failed
             (the audience turned out empty, or WeChat is not connected)
sending -> sent (every batch done) | cancelled (batches not yet reserved are dropped) | failed
sent, cancelled, failed: final
"""

from weloop.core.state import StateMachine
from weloop.marketing.enums import CampaignStatus as S

CAMPAIGN = StateMachine(
    "campaign",
    {
        S.DRAFT: {S.SCHEDULED, S.CANCELLED},
        S.SCHEDULED: {S.SENDING, S.DRAFT, S.CANCELLED, S.FAILED},
        S.SENDING: {S.SENT, S.CANCELLED, S.FAILED},
        S.SENT: set(),
        S.CANCELLED: set(),
        S.FAILED: set(),
    },
)
