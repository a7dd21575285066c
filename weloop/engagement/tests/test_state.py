"""Every allowed and every forbidden transition of the event and survey machines."""

from __future__ import annotations

import itertools

import pytest

from weloop.core.errors import InvalidTransition
from weloop.core.models import StateTransition
from weloop.engagement import services
from weloop.engagement.enums import EventStatus, SurveyStatus
from weloop.engagement.models import Event, Survey
from weloop.engagement.state import EVENT, SURVEY

pytestmark = pytest.mark.django_db

EVENT_MOVES = {
    EventStatus.PUBLISHED: services.event_publish,
    EventStatus.CLOSED: services.event_close,
    EventStatus.CANCELLED: services.event_cancel,
}
SURVEY_MOVES = {SurveyStatus.OPEN: services.survey_open, SurveyStatus.CLOSED: services.survey_close}


def test_event_table():
    assert EVENT.allowed_from(EventStatus.DRAFT) == {EventStatus.PUBLISHED, EventStatus.CANCELLED}
    assert EVENT.allowed_from(EventStatus.PUBLISHED) == {EventStatus.CLOSED, EventStatus.CANCELLED}
    assert not EVENT.allowed_from(EventStatus.CLOSED) and not EVENT.allowed_from(EventStatus.CANCELLED)


@pytest.mark.parametrize("src, dst", list(itertools.product(EventStatus.values, EVENT_MOVES)))
def test_event_transition(merchant, make_event, src, dst):
    event = make_event(publish=False)
    Event.objects.filter(pk=event.pk).update(status=src)
    event.refresh_from_db()
    if EVENT.can(src, dst):
        EVENT_MOVES[dst](merchant=merchant, event=event, actor="t")
        event.refresh_from_db()
        assert event.status == dst
        assert StateTransition.objects.filter(machine="event", from_status=src, to_status=dst).exists()
    else:
        with pytest.raises(InvalidTransition):
            EVENT_MOVES[dst](merchant=merchant, event=event, actor="t")
        event.refresh_from_db()
        assert event.status == src


@pytest.mark.parametrize("src, dst", list(itertools.product(SurveyStatus.values, SURVEY_MOVES)))
def test_survey_transition(merchant, make_survey, src, dst):
    survey = make_survey(open_now=False)
    Survey.objects.filter(pk=survey.pk).update(status=src)
    survey.refresh_from_db()
    if SURVEY.can(src, dst):
        SURVEY_MOVES[dst](merchant=merchant, survey=survey, actor="t")
        survey.refresh_from_db()
        assert survey.status == dst
    else:
        with pytest.raises(InvalidTransition):
            SURVEY_MOVES[dst](merchant=merchant, survey=survey, actor="t")
        survey.refresh_from_db()
        assert survey.status == src
