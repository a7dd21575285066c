"""The service desk's state machines: conversations and tickets."""

from weloop.core.state import StateMachine
from weloop.service_desk.enums import ConversationStatus, TicketStatus

CONVERSATION = StateMachine(
    "conversation",
    {
        ConversationStatus.OPEN: {ConversationStatus.CLOSED},
        ConversationStatus.CLOSED: {ConversationStatus.OPEN},  # reopened by a new message
    },
)

TICKET = StateMachine(
    "ticket",
    {
        TicketStatus.OPEN: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED},
        TicketStatus.IN_PROGRESS: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
        TicketStatus.RESOLVED: {TicketStatus.IN_PROGRESS, TicketStatus.CLOSED},
        TicketStatus.CLOSED: set(),
    },
)
