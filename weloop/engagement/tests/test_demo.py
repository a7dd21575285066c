"""The demo step: an upcoming event with sign-ups, a past one with check-ins, a survey with answers."""

from __future__ import annotations

import pytest

from weloop.engagement import selectors
from weloop.engagement.enums import EventStatus
from weloop.engagement.models import Event, Survey
from weloop.members.models import MemberTag

pytestmark = pytest.mark.django_db


def test_the_demo_shows_events_and_a_survey(db):
    from weloop.demo.seed import demo_seed

    merchant = demo_seed().merchant
    events = {e.status: e for e in Event.objects.for_merchant(merchant)}
    assert events[EventStatus.PUBLISHED].signed_up_count == 3
    past = events[EventStatus.CLOSED]
    figures = selectors.event_figures(merchant=merchant, event=past)
    assert (figures.signed_up, figures.checked_in, figures.no_show) == (4, 3, 1)
    survey = Survey.objects.for_merchant(merchant).get()
    assert survey.response_count == 3 and survey.event_id == past.pk
    assert MemberTag.objects.filter(merchant=merchant, tag__name="偏好:花香").count() == 2
    assert MemberTag.objects.filter(merchant=merchant, tag__name=past.checkin_tag_name).count() == 3
