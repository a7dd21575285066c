"""The voucher and deal state machines.

voucher: active -> used (last use taken) | expired | refund_pending | void
         used -> active (a redemption undone)
         expired -> active (an undo restored uses... never: expiry is final) | refund_pending (过期退)
         refund_pending -> refunded | active or expired (payments refused the refund: usable again,
                           or expired when its validity is over)
deal:    draft -> active -> ended -> active
"""

from weloop.core.state import StateMachine
from weloop.vouchers.enums import DealStatus as D
from weloop.vouchers.enums import VoucherStatus as S

VOUCHER = StateMachine(
    "voucher",
    {
        S.ACTIVE: {S.USED, S.EXPIRED, S.REFUND_PENDING, S.VOID},
        S.USED: {S.ACTIVE},
        S.EXPIRED: {S.REFUND_PENDING},
        S.REFUND_PENDING: {S.REFUNDED, S.ACTIVE, S.EXPIRED},
        S.REFUNDED: set(),
        S.VOID: set(),
    },
)

DEAL = StateMachine("deal", {D.DRAFT: {D.ACTIVE, D.ENDED}, D.ACTIVE: {D.ENDED}, D.ENDED: {D.ACTIVE}})
