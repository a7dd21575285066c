"""Events: sign-up (idempotent, capacity, window), cancel, check-in exactly once, tags, touches,
figures; surveys: validation with nothing half-written, one response per member, tags fed, events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.events import OutboxEvent
from weloop.engagement import selectors, services
from weloop.engagement.errors import (
    AlreadyCheckedIn,
    CheckinNotOpen,
    EventFull,
    InvalidAnswers,
    InvalidCheckinCode,
    InvalidEvent,
    InvalidSurvey,
    NotSignedUp,
    SignupClosed,
    SurveyLocked,
    SurveyNotOpen,
)
from weloop.engagement.models import EventSignup, SurveyAnswer, SurveyResponse
from weloop.engagement.services import EventInput, OptionInput, QuestionInput, SurveyInput
from weloop.engagement.tests.conftest import ids
from weloop.members.models import MemberTag, MemberTouch

pytestmark = pytest.mark.django_db


def tags_of(member):
    return set(MemberTag.objects.filter(member=member).values_list("tag__name", flat=True))


def at_event(event):
    return clock.travel(event.starts_at - clock.now() + timedelta(minutes=5))


def test_signup_is_idempotent_and_tags_the_member(merchant, event, member):
    signup, created = services.event_signup(merchant=merchant, event=event, member=member)
    again, created_again = services.event_signup(merchant=merchant, event=event, member=member)
    assert created and not created_again and again.pk == signup.pk
    event.refresh_from_db()
    assert event.signed_up_count == 1
    assert tags_of(member) == {"活动:Latte art class:报名"}
    assert OutboxEvent.objects.filter(name="engagement.event_signed_up").count() == 1


def test_capacity_is_never_exceeded(merchant, make_event, make_member):
    event = make_event(capacity=2)
    for _ in range(2):
        services.event_signup(merchant=merchant, event=event, member=make_member())
    with pytest.raises(EventFull):
        services.event_signup(merchant=merchant, event=event, member=make_member())
    event.refresh_from_db()
    assert event.signed_up_count == 2
    assert EventSignup.objects.filter(event=event).count() == 2  # the refused one left no row


def test_cancel_gives_the_seat_back_and_signing_up_again_reuses_the_row(merchant, make_event, make_member):
    event = make_event(capacity=1)
    first, second = make_member(), make_member()
    signup, _ = services.event_signup(merchant=merchant, event=event, member=first)
    services.event_signup_cancel(merchant=merchant, signup=signup)
    services.event_signup_cancel(merchant=merchant, signup=signup)  # idempotent
    event.refresh_from_db()
    assert event.signed_up_count == 0
    services.event_signup(merchant=merchant, event=event, member=second)
    with pytest.raises(EventFull):
        services.event_signup(merchant=merchant, event=event, member=first)
    assert EventSignup.objects.filter(event=event, member=first).count() == 1


def test_signup_window_and_status(merchant, make_event, member):
    draft = make_event(publish=False)
    with pytest.raises(SignupClosed):
        services.event_signup(merchant=merchant, event=draft, member=member)
    later = make_event(signup_opens_at=clock.now() + timedelta(days=1))
    with pytest.raises(SignupClosed):
        services.event_signup(merchant=merchant, event=later, member=member)
    started = make_event(starts_in=timedelta(hours=-1))
    with pytest.raises(SignupClosed):
        services.event_signup(merchant=merchant, event=started, member=member)


def test_signup_questions_are_required(merchant, make_event, member):
    event = make_event(questions=["Your phone"])
    with pytest.raises(InvalidAnswers):
        services.event_signup(merchant=merchant, event=event, member=member, answers={"q1": "  "})
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member, answers={"q1": "138"})
    assert signup.answers == {"q1": "138"}


def test_event_validation(merchant, store):
    start = clock.now() + timedelta(days=1)
    with pytest.raises(InvalidEvent):
        services.event_create(merchant=merchant, data=EventInput("x", start, start, 5, store=store))
    with pytest.raises(InvalidEvent):
        services.event_create(
            merchant=merchant, data=EventInput("x", start, start + timedelta(hours=1), 0, store=store)
        )
    with pytest.raises(InvalidEvent):
        services.event_create(merchant=merchant, data=EventInput("x", start, start + timedelta(hours=1), 5))


def test_capacity_cannot_drop_below_sign_ups(merchant, make_event, make_member, store):
    event = make_event(capacity=3)
    for _ in range(2):
        services.event_signup(merchant=merchant, event=event, member=make_member())
    data = EventInput(event.title, event.starts_at, event.ends_at, 1, store=store)
    with pytest.raises(InvalidEvent):
        services.event_update(merchant=merchant, event=event, data=data)


def test_checkin_exactly_once_tags_touches_and_publishes(merchant, event, member, store):
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    with pytest.raises(CheckinNotOpen):  # two days early
        services.event_checkin_by_code(merchant=merchant, code=signup.code)
    with at_event(event):
        first = services.event_checkin_by_code(merchant=merchant, code=services.checkin_token(signup), actor="clerk")
        second = services.event_checkin_by_code(merchant=merchant, code=signup.code, actor="clerk")
    assert first.first and not second.first
    event.refresh_from_db()
    assert event.checked_in_count == 1
    assert "活动:Latte art class:签到" in tags_of(member)
    touch = MemberTouch.objects.get(member=member, channel="event_checkin")
    assert touch.store_id == store.pk
    published = OutboxEvent.objects.get(name="engagement.event_checked_in")
    assert published.payload == {
        "member_id": member.public_id,
        "event_id": event.public_id,
        "store_id": store.public_id,
    }
    with pytest.raises(AlreadyCheckedIn):
        services.event_signup_cancel(merchant=merchant, signup=signup)


def test_checkin_refuses_forged_and_foreign_codes(merchant, make_event, member):
    event, other = make_event(), make_event(title="Other")
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    token = services.checkin_token(signup)
    with at_event(event):
        with pytest.raises(InvalidCheckinCode):
            services.event_checkin_by_code(merchant=merchant, code=token[:-1] + ("A" if token[-1] != "A" else "B"))
        with pytest.raises(InvalidCheckinCode):
            services.event_checkin_by_code(merchant=merchant, code="0000000000")
        with pytest.raises(InvalidCheckinCode):
            services.event_checkin_by_code(merchant=merchant, code=signup.code, event=other)


def test_checkin_of_another_merchants_code_is_refused(merchant, other_merchant, event, member):
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    with at_event(event), pytest.raises(InvalidCheckinCode):
        services.event_checkin_by_code(merchant=other_merchant, code=signup.code)


def test_venue_qr_checkin(merchant, event, member, make_member):
    services.event_signup(merchant=merchant, event=event, member=member)
    with at_event(event):
        with pytest.raises(InvalidCheckinCode):
            services.event_checkin_at_venue(merchant=merchant, event=event, member=member, key="wrong")
        with pytest.raises(NotSignedUp):
            services.event_checkin_at_venue(merchant=merchant, event=event, member=make_member(), key=event.checkin_key)
        result = services.event_checkin_at_venue(merchant=merchant, event=event, member=member, key=event.checkin_key)
    assert result.first and result.signup.checkin_method == "venue_qr"


def test_cancelled_signup_cannot_check_in(merchant, event, member):
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    services.event_signup_cancel(merchant=merchant, signup=signup)
    with at_event(event), pytest.raises(NotSignedUp):
        services.event_checkin_by_code(merchant=merchant, code=signup.code)


def test_figures_signed_up_checked_in_no_show_and_per_store(merchant, event, make_member, store):
    members = [make_member() for _ in range(3)]
    signups = [services.event_signup(merchant=merchant, event=event, member=m)[0] for m in members]
    with at_event(event):
        services.event_checkin_by_code(merchant=merchant, code=signups[0].code)
    figures = selectors.event_figures(merchant=merchant, event=event)
    assert (figures.signed_up, figures.checked_in, figures.no_show) == (3, 1, 0)
    with clock.travel(timedelta(days=3)):
        assert selectors.event_figures(merchant=merchant, event=event).no_show == 2
    [row] = selectors.store_figures(merchant=merchant)
    assert (row.store_id, row.signed_up, row.checked_in, row.events) == (store.public_id, 3, 1, 1)


def test_other_merchants_objects_are_not_found(merchant, other_merchant, event, make_member):
    stranger = make_member(other_merchant)
    with pytest.raises(NotFound):
        services.event_signup(merchant=merchant, event=event, member=stranger)
    with pytest.raises(NotFound):
        selectors.event_get(merchant=other_merchant, event_id=event.public_id)


# --- surveys ----------------------------------------------------------------------------------------


def test_answer_records_tags_and_publishes(merchant, survey, member):
    (q_single, q_multi, q_text, q_rating), options = ids(survey)
    answers = {
        q_single: options["Tea"],
        q_multi: [options["Morning"], options["Evening"]],
        q_text: "More",
        q_rating: "4",
    }
    response, created = services.survey_answer(merchant=merchant, survey=survey, member=member, answers=answers)
    assert created
    assert SurveyAnswer.objects.filter(response=response).count() == 5
    assert {"likes-tea", "evening-visitor"} <= tags_of(member)
    assert MemberTag.objects.get(member=member, tag__name="likes-tea").source == "survey"
    events = OutboxEvent.objects.filter(name="engagement.survey_answered").order_by("id")
    assert [e.payload["question_id"] for e in events] == [q_single, q_multi]
    assert events[1].payload["option_ids"] == [options["Morning"], options["Evening"]]
    again, created_again = services.survey_answer(merchant=merchant, survey=survey, member=member, answers={})
    assert again.pk == response.pk and not created_again
    survey.refresh_from_db()
    assert survey.response_count == 1


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda a, q, o: a.pop(q[0]), 0),  # required single missing
        (lambda a, q, o: a.update({q[0]: o["Morning"]}), 0),  # option of another question
        (lambda a, q, o: a.update({q[0]: [o["Tea"], o["Coffee"]]}), 0),  # two on a single choice
        (lambda a, q, o: a.update({q[1]: [o["Morning"], o["Morning"]]}), 1),  # twice
        (lambda a, q, o: a.update({q[3]: "6"}), 3),  # rating out of range
        (lambda a, q, o: a.update({q[3]: "x"}), 3),
        (lambda a, q, o: a.pop(q[3]), 3),  # required rating missing
    ],
)
def test_invalid_answers_write_nothing(merchant, survey, member, change, field):
    questions, options = ids(survey)
    answers = {questions[0]: options["Tea"], questions[3]: 5}
    change(answers, questions, options)
    with pytest.raises(InvalidAnswers) as caught:
        services.survey_answer(merchant=merchant, survey=survey, member=member, answers=answers)
    assert questions[field] in caught.value.extra["fields"]
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()
    assert not tags_of(member)
    assert not OutboxEvent.objects.filter(name="engagement.survey_answered").exists()


def test_unknown_question_is_refused(merchant, survey, member):
    questions, options = ids(survey)
    with pytest.raises(InvalidAnswers):
        services.survey_answer(
            merchant=merchant,
            survey=survey,
            member=member,
            answers={questions[0]: options["Tea"], questions[3]: 3, "sq_x": "1"},
        )


def test_closed_and_draft_surveys_take_no_answers(merchant, make_survey, member):
    draft = make_survey(open_now=False)
    with pytest.raises(SurveyNotOpen):
        services.survey_answer(merchant=merchant, survey=draft, member=member, answers={})
    survey = make_survey()
    services.survey_close(merchant=merchant, survey=survey)
    with pytest.raises(SurveyNotOpen):
        services.survey_answer(merchant=merchant, survey=survey, member=member, answers={})


def test_survey_validation(merchant):
    with pytest.raises(InvalidSurvey):
        services.survey_create(merchant=merchant, data=SurveyInput("t", []))
    with pytest.raises(InvalidSurvey):
        services.survey_create(
            merchant=merchant, data=SurveyInput("t", [QuestionInput("single", "q", options=[OptionInput("a")])])
        )
    with pytest.raises(InvalidSurvey):
        services.survey_create(merchant=merchant, data=SurveyInput("t", [QuestionInput("odd", "q")]))
    with pytest.raises(InvalidSurvey):
        long_tag = [OptionInput("a", "x" * 31), OptionInput("b")]
        services.survey_create(
            merchant=merchant, data=SurveyInput("t", [QuestionInput("single", "q", options=long_tag)])
        )


def test_questions_lock_once_answered(merchant, survey, member):
    questions, options = ids(survey)
    services.survey_answer(
        merchant=merchant, survey=survey, member=member, answers={questions[0]: options["Tea"], questions[3]: 5}
    )
    data = SurveyInput("Renamed", [QuestionInput("text", "Only this")])
    with pytest.raises(SurveyLocked):
        services.survey_update(merchant=merchant, survey=survey, data=data)


def test_results_and_csv(merchant, survey, make_member):
    questions, options = ids(survey)
    for drink, rating in (("Tea", 5), ("Tea", 3), ("Coffee", 4)):
        services.survey_answer(
            merchant=merchant,
            survey=survey,
            member=make_member(),
            answers={questions[0]: options[drink], questions[2]: "=cmd()", questions[3]: rating},
        )
    results = selectors.survey_results(merchant=merchant, survey=survey)
    assert [(o.label, n) for o, n in results[0].options] == [("Tea", 2), ("Coffee", 1)]
    assert results[2].texts == ["=cmd()"] * 3
    assert results[3].rating_average == 4.0
    text = selectors.survey_csv(merchant=merchant, survey=survey)
    lines = text.strip().splitlines()
    assert len(lines) == 4 and "'=cmd()" in lines[1]
