"""Races on PostgreSQL with real threads: never over capacity, one sign-up per member, one check-in
per code, one response per member."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from tests.races import race
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.engagement import services
from weloop.engagement.models import Event, EventSignup, SurveyResponse
from weloop.engagement.tests.conftest import ids
from weloop.members.models import MemberTag

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_thirty_sign_ups_for_ten_seats(merchant, make_event, make_member):
    event = make_event(capacity=10)
    members = [make_member() for _ in range(15)]
    crowd = members + members  # every member presses twice at once

    def sign_up(i: int) -> str:
        try:
            _signup, created = services.event_signup(
                merchant=merchant, event=Event.objects.get(pk=event.pk), member=crowd[i]
            )
            return "created" if created else "again"
        except WeloopError as exc:
            return exc.code

    counts = Counter(race(sign_up, len(crowd)))
    assert counts["created"] == 10, counts
    assert set(counts) <= {"created", "again", "engagement.event_full"}, counts
    event.refresh_from_db()
    assert event.signed_up_count == 10
    assert EventSignup.objects.filter(event=event, status="signed_up").count() == 10


def test_concurrent_scans_of_one_code_check_in_once(merchant, event, member):
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    token = services.checkin_token(signup)
    with clock.travel(event.starts_at - clock.now() + timedelta(minutes=1)):
        results = race(lambda i: services.event_checkin_by_code(merchant=merchant, code=token).first, 8)
    assert Counter(results) == {True: 1, False: 7}, results
    event.refresh_from_db()
    assert event.checked_in_count == 1
    assert MemberTag.objects.filter(member=member, tag__name__endswith=":签到").count() == 1


def test_concurrent_answers_of_one_member_make_one_response(merchant, survey, member):
    questions, options = ids(survey)
    answers = {questions[0]: options["Tea"], questions[3]: 4}
    results = race(
        lambda i: services.survey_answer(merchant=merchant, survey=survey, member=member, answers=answers)[1], 6
    )
    assert Counter(results) == {True: 1, False: 5}, results
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
