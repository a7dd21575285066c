"""The coupon state machine.

available -> locked (an order placed with it) | expired (validity over) | void (staff voided it)
           | used (redeemed at a counter, no order)
locked    -> available (the order was cancelled or expired) | used (the order was paid)
used      -> available (the order it paid for was fully refunded while the coupon is still valid;
             a partial refund keeps it used) | expired (fully refunded after its validity ended)
expired, void: final.
"""

from weloop.core.state import StateMachine
from weloop.coupons.enums import CouponStatus as S
from weloop.coupons.enums import TemplateStatus as T

COUPON = StateMachine(
    "coupon",
    {
        S.AVAILABLE: {S.LOCKED, S.EXPIRED, S.VOID, S.USED},
        S.LOCKED: {S.AVAILABLE, S.USED},
        S.USED: {S.AVAILABLE, S.EXPIRED},
        S.EXPIRED: set(),
        S.VOID: set(),
    },
)

TEMPLATE = StateMachine(
    "coupon_template",
    {T.ACTIVE: {T.PAUSED, T.ENDED}, T.PAUSED: {T.ACTIVE, T.ENDED}, T.ENDED: set()},
)
