"""Event and survey status machines (every transition tested in tests/test_state.py)."""

from weloop.core.state import StateMachine
from weloop.engagement.enums import EventStatus, SurveyStatus

EVENT = StateMachine(
    "event",
    {
        EventStatus.DRAFT: {EventStatus.PUBLISHED, EventStatus.CANCELLED},
        EventStatus.PUBLISHED: {EventStatus.CLOSED, EventStatus.CANCELLED},
        EventStatus.CLOSED: set(),
        EventStatus.CANCELLED: set(),
    },
)

SURVEY = StateMachine(
    "survey",
    {
        SurveyStatus.DRAFT: {SurveyStatus.OPEN},
        SurveyStatus.OPEN: {SurveyStatus.CLOSED},
        SurveyStatus.CLOSED: {SurveyStatus.OPEN},
    },
)
