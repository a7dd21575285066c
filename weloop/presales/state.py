"""The presale state machine (every status change goes through PRESALE.transition).

    draft     -> open | cancelled
    open      -> succeeded (target met at the deadline, or settled early once met)
               | failed (deadline passed under target) | cancelled (by the merchant)
    failed    -> refunding          cancelled -> refunding
    refunding -> refunded           refunded  -> refunding (a payment landed after the refunds)

A participant (``ENTRY``) follows their order:

    pending_payment -> paid | lapsed | refund_due (paid after the presale failed)
    paid            -> refund_due (the presale failed or was cancelled) | refunded (refunded by hand)
    refund_due      -> refund_requested | refunded
    refund_requested-> refunded | refund_due (the refund failed: retried by the next run)
"""

from weloop.core.state import StateMachine
from weloop.presales.enums import EntryStatus as E
from weloop.presales.enums import PresaleStatus as S

PRESALE = StateMachine(
    "presale",
    {
        S.DRAFT: {S.OPEN, S.CANCELLED},
        S.OPEN: {S.SUCCEEDED, S.FAILED, S.CANCELLED},
        S.SUCCEEDED: set(),
        S.FAILED: {S.REFUNDING},
        S.CANCELLED: {S.REFUNDING},
        S.REFUNDING: {S.REFUNDED},
        S.REFUNDED: {S.REFUNDING},
    },
)

ENTRY = StateMachine(
    "presale_entry",
    {
        E.PENDING_PAYMENT: {E.PAID, E.LAPSED, E.REFUND_DUE},
        E.PAID: {E.REFUND_DUE, E.REFUNDED},
        E.LAPSED: set(),
        E.REFUND_DUE: {E.REFUND_REQUESTED, E.REFUNDED},
        E.REFUND_REQUESTED: {E.REFUNDED, E.REFUND_DUE},
        E.REFUNDED: set(),
    },
)
