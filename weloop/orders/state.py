"""The order state machine: data, one mutator (ORDER.transition), one history row per move.

    pending_payment -> paid | cancelled | expired
    paid            -> fulfilling | refunding | refunded
    fulfilling      -> shipped | ready_for_pickup | completed (in-store orders are served) | refunding
    shipped         -> completed | refunding
    ready_for_pickup-> completed | refunding
    completed       -> refunding (after-sales)
    refunding       -> refunded | partially_refunded | back to where it came from
    partially_refunded -> refunding (another refund) | the fulfilment states (the order goes on)

The refund-failure rule: when a refund is refused, the order goes back to the status it had when
the refund started (``Order.status_before_refund``); the table lists every such way back. Only one
refund runs at a time: ``refunding -> refunding`` is not in the table. ``paid -> refunded`` is
the direct move a full refund applied in one step would take (kept for the console's "mark refunded").
"""

from weloop.core.state import StateMachine
from weloop.orders.enums import OrderStatus as S

_FULFILMENT_STATES = {S.FULFILLING, S.SHIPPED, S.READY_FOR_PICKUP, S.COMPLETED}

ORDER = StateMachine(
    "order",
    {
        S.PENDING_PAYMENT: {S.PAID, S.CANCELLED, S.EXPIRED},
        S.PAID: {S.FULFILLING, S.REFUNDING, S.REFUNDED},
        S.FULFILLING: {S.SHIPPED, S.READY_FOR_PICKUP, S.COMPLETED, S.REFUNDING},
        S.SHIPPED: {S.COMPLETED, S.REFUNDING},
        S.READY_FOR_PICKUP: {S.COMPLETED, S.REFUNDING},
        S.COMPLETED: {S.REFUNDING},
        S.REFUNDING: {S.REFUNDED, S.PARTIALLY_REFUNDED, S.PAID, *_FULFILMENT_STATES},
        S.PARTIALLY_REFUNDED: {S.REFUNDING, *_FULFILMENT_STATES},
        S.CANCELLED: set(),
        S.EXPIRED: set(),
        S.REFUNDED: set(),
    },
)
