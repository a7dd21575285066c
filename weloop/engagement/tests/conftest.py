"""Engagement fixtures: members, an event at a store, a survey with every kind of question."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.engagement import services
from weloop.engagement.services import EventInput, OptionInput, QuestionInput, SurveyInput
from weloop.members import services as member_services

_openids = itertools.count(1)


@pytest.fixture
def make_member(merchant):
    def make(m=None):
        member, _ = member_services.member_get_or_create(
            merchant=m or merchant, openid=f"o-eng-{next(_openids):06d}", source="follow"
        )
        return member

    return make


@pytest.fixture
def member(make_member):
    return make_member()


@pytest.fixture
def make_event(merchant, store):
    def make(*, capacity=10, starts_in=timedelta(days=2), lasts=timedelta(hours=3), publish=True, m=None, **kw):
        start = clock.now() + starts_in
        data = EventInput(
            title=kw.pop("title", "Latte art class"),
            starts_at=start,
            ends_at=start + lasts,
            capacity=capacity,
            store=kw.pop("store", store if m is None else None),
            address=kw.pop("address", "" if m is None else "1 Road"),
            **kw,
        )
        return services.event_create(merchant=m or merchant, data=data, actor="test", publish_now=publish)

    return make


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def make_survey(merchant):
    def make(*, open_now=True, event=None, m=None):
        data = SurveyInput(
            title="How was the class?",
            event=event,
            questions=[
                QuestionInput(
                    "single",
                    "Which drink do you like?",
                    options=[OptionInput("Tea", "likes-tea"), OptionInput("Coffee", "likes-coffee")],
                ),
                QuestionInput(
                    "multiple",
                    "When do you visit?",
                    required=False,
                    options=[OptionInput("Morning"), OptionInput("Evening", "evening-visitor"), OptionInput("Night")],
                ),
                QuestionInput("text", "Anything else?", required=False),
                QuestionInput("rating", "Rate the class"),
            ],
        )
        return services.survey_create(merchant=m or merchant, data=data, actor="test", open_now=open_now)

    return make


@pytest.fixture
def survey(make_survey):
    return make_survey()


def ids(survey):
    """Question and option public ids of the fixture survey: (q_single, q_multi, q_text, q_rating), options."""
    questions = list(survey.questions.prefetch_related("options"))
    options = {o.label: o.public_id for q in questions for o in q.options.all()}
    return [q.public_id for q in questions], options
