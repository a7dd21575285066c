"""The hold state machine: a hold is settled exactly once, by payment, cancellation or time."""

from weloop.core.state import StateMachine
from weloop.inventory.enums import HoldStatus

HOLD = StateMachine(
    "hold",
    {
        HoldStatus.HELD: {HoldStatus.CONFIRMED, HoldStatus.RELEASED, HoldStatus.EXPIRED},
        # Settled holds never move again: a refund after confirmation is capacity_return on the pool,
        # and a buyer whose hold expired claims anew.
        HoldStatus.CONFIRMED: set(),
        HoldStatus.RELEASED: set(),
        HoldStatus.EXPIRED: set(),
    },
)
