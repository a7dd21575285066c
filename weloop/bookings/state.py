"""The booking, lead and reservation state machines.

booking:     held -> confirmed (paid) | cancelled | expired (not paid in time)
             confirmed -> checked_in | cancelled (policy applied) | no_show
             checked_in -> completed
lead:        new -> contacted | visited | lost
             contacted -> visited | won | lost
             visited -> won | lost
reservation: reserved -> paid | expired | cancelled;  paid -> handed_over
"""

from weloop.bookings.enums import BookingStatus as B
from weloop.bookings.enums import LeadStatus as L
from weloop.bookings.enums import ReservationStatus as R
from weloop.core.state import StateMachine

BOOKING = StateMachine(
    "booking",
    {
        B.HELD: {B.CONFIRMED, B.CANCELLED, B.EXPIRED},
        B.CONFIRMED: {B.CHECKED_IN, B.CANCELLED, B.NO_SHOW},
        B.CHECKED_IN: {B.COMPLETED},
        B.COMPLETED: set(),
        B.NO_SHOW: set(),
        B.CANCELLED: set(),
        B.EXPIRED: set(),
    },
)

LEAD = StateMachine(
    "lead",
    {
        L.NEW: {L.CONTACTED, L.VISITED, L.LOST},
        L.CONTACTED: {L.VISITED, L.WON, L.LOST},
        L.VISITED: {L.WON, L.LOST},
        L.WON: set(),
        L.LOST: set(),
    },
)

RESERVATION = StateMachine(
    "reservation",
    {
        R.RESERVED: {R.PAID, R.EXPIRED, R.CANCELLED},
        R.PAID: {R.HANDED_OVER},
        R.HANDED_OVER: set(),
        R.EXPIRED: set(),
        R.CANCELLED: set(),
    },
)
