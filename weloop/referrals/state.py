"""Status machines of the commission ledger: an entry frozen -> available -> paid; a statement open -> paid | void.

An entry's amount never changes; only its status moves (a refund writes a new reversing entry).
"""

from weloop.core.state import StateMachine
from weloop.referrals.enums import EntryStatus, StatementStatus

ENTRY = StateMachine(
    "referral_entry",
    {
        EntryStatus.FROZEN: {EntryStatus.AVAILABLE},
        EntryStatus.AVAILABLE: {EntryStatus.PAID},
        EntryStatus.PAID: set(),
    },
)

STATEMENT = StateMachine(
    "referral_statement",
    {
        StatementStatus.OPEN: {StatementStatus.PAID, StatementStatus.VOID},
        StatementStatus.PAID: set(),
        StatementStatus.VOID: set(),
    },
)
