"""/events and /surveys: offline events (活动) with sign-up, QR check-in and figures; surveys whose
answers feed member tags.

Sign-up is idempotent per member (the same sign-up comes back, 200 instead of 201) and never exceeds
the capacity (409 `engagement.event_full`). A check-in code is checked in exactly once: another
scan answers `first: false`. A member answers a survey once; invalid answers are 400
`engagement.invalid_answers` with `extra.fields` by question id and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from django.db.models import Count
from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.engagement import (
    AnswerIn,
    CheckinIn,
    CheckinOut,
    EventFilters,
    EventIn,
    EventOut,
    EventPage,
    ResponseOut,
    ResponsePage,
    SignupIn,
    SignupOut,
    SignupPage,
    SurveyIn,
    SurveyOut,
    SurveyPage,
    TransitionIn,
    event_out,
    response_out,
    signup_out,
    survey_out,
)
from weloop.core.errors import ValidationFailed
from weloop.engagement import selectors, services
from weloop.engagement.models import SurveyAnswer
from weloop.engagement.services import EventInput, OptionInput, QuestionInput, SurveyInput
from weloop.members.selectors import member_by_openid
from weloop.stores.selectors import store_get

events_router = Router(tags=["Events"])
surveys_router = Router(tags=["Surveys"])

EventId = Annotated[str, Path(description="The event's public id (`ev_…`).", example="ev_8ZK2M4Q7PX")]
SurveyId = Annotated[str, Path(description="The survey's public id (`sv_…`).", example="sv_8ZK2M4Q7PX")]


@events_router.get("", response=EventPage, summary="List events")
def list_events(request: HttpRequest, filters: Query[EventFilters], page: Query[PageIn]) -> dict:
    """The merchant's events, soonest first, optionally filtered by status or store, with sign-up figures."""
    result = paginate(selectors.event_list(merchant=merchant_of(request), status=filters.status or None), page)
    result["items"] = [event_out(e) for e in result["items"]]
    return result


@events_router.post("", response={201: EventOut}, summary="Create an event")
def create_event(request: HttpRequest, payload: EventIn) -> tuple[int, dict]:
    """400 `engagement.invalid_event` (`extra.fields`) for an end before the start, no venue, a bad capacity."""
    merchant = merchant_of(request)
    data = EventInput(
        title=payload.title,
        description=payload.description,
        store=store_get(merchant=merchant, public_id=payload.store_id) if payload.store_id else None,
        address=payload.address,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        signup_opens_at=payload.signup_opens_at,
        signup_closes_at=payload.signup_closes_at,
        capacity=payload.capacity,
        questions=payload.questions,
    )
    event = services.event_create(merchant=merchant, data=data, actor=actor_of(request), publish_now=payload.publish)
    return 201, event_out(event)


@events_router.get("/{event_id}", response=EventOut, summary="Get an event")
def get_event(request: HttpRequest, event_id: EventId) -> dict:
    """One event with its venue, window, capacity and figures; 404 for an unknown or another merchant's id."""
    return event_out(selectors.event_get(merchant=merchant_of(request), event_id=event_id))


@events_router.post("/{event_id}/transitions", response=EventOut, summary="Publish, close or cancel an event")
def transition_event(request: HttpRequest, event_id: EventId, payload: TransitionIn) -> dict:
    """draft → published → closed; draft or published → cancelled. Others are 409 `state.invalid_transition`."""
    merchant = merchant_of(request)
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    moves = {"publish": services.event_publish, "close": services.event_close, "cancel": services.event_cancel}
    if payload.action not in moves:
        raise ValidationFailed("action is publish, close or cancel.", extra={"field": "action"})
    moves[payload.action](merchant=merchant, event=event, actor=actor_of(request))
    return event_out(selectors.event_get(merchant=merchant, event_id=event_id))


@events_router.get("/{event_id}/signups", response=SignupPage, summary="List an event's sign-ups")
def list_signups(request: HttpRequest, event_id: EventId, page: Query[PageIn]) -> dict:
    """An event's sign-ups, newest first, with check-in times and answers; 404 for an unknown event."""
    merchant = merchant_of(request)
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    result = paginate(selectors.event_signups(merchant=merchant, event=event).select_related("event"), page)
    result["items"] = [signup_out(s) for s in result["items"]]
    return result


@events_router.post("/{event_id}/signups", response={200: SignupOut, 201: SignupOut}, summary="Sign a member up")
def create_signup(request: HttpRequest, event_id: EventId, payload: SignupIn) -> tuple[int, dict]:
    """201 for a new sign-up, 200 when the member had already signed up. 409 `engagement.event_full`,
    `engagement.signup_closed`; 400 `engagement.invalid_answers`."""
    merchant = merchant_of(request)
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    member = member_by_openid(merchant=merchant, openid=payload.openid)
    signup, created = services.event_signup(merchant=merchant, event=event, member=member, answers=payload.answers)
    return (201 if created else 200), signup_out(signup)


@events_router.post("/{event_id}/checkins", response=CheckinOut, summary="Check a member in")
def create_checkin(request: HttpRequest, event_id: EventId, payload: CheckinIn) -> dict:
    """Check in the sign-up behind a code of this event, exactly once. 400
    `engagement.invalid_checkin_code`; 409 `engagement.checkin_not_open` (from 2 h before the start to the end)."""
    merchant = merchant_of(request)
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    result = services.event_checkin_by_code(
        merchant=merchant, code=payload.code, event=event, actor=actor_of(request), method="api"
    )
    return {"first": result.first, "signup": signup_out(result.signup)}


@surveys_router.get("", response=SurveyPage, summary="List surveys")
def list_surveys(request: HttpRequest, page: Query[PageIn]) -> dict:
    """The merchant's surveys, newest first, with their questions and response counts."""
    result = paginate(selectors.survey_list(merchant=merchant_of(request)), page)
    result["items"] = [survey_out(s) for s in result["items"]]
    return result


def _input(request: HttpRequest, payload: SurveyIn) -> SurveyInput:
    merchant = merchant_of(request)
    return SurveyInput(
        title=payload.title,
        description=payload.description,
        event=selectors.event_get(merchant=merchant, event_id=payload.event_id) if payload.event_id else None,
        questions=[
            QuestionInput(q.kind, q.label, q.required, [OptionInput(o.label, o.tag) for o in q.options])
            for q in payload.questions
        ],
    )


@surveys_router.post("", response={201: SurveyOut}, summary="Create a survey")
def create_survey(request: HttpRequest, payload: SurveyIn) -> tuple[int, dict]:
    """400 `engagement.invalid_survey` (`extra.question`: its number) for a choice question without 2 options,
    a tag name over 30 characters, …"""
    survey = services.survey_create(
        merchant=merchant_of(request), data=_input(request, payload), actor=actor_of(request), open_now=payload.open
    )
    return 201, survey_out(survey)


@surveys_router.get("/{survey_id}", response=SurveyOut, summary="Get a survey with counts per option")
def get_survey(request: HttpRequest, survey_id: SurveyId) -> dict:
    """One survey with counts per option and the rating averages; 404 for an unknown id."""
    merchant = merchant_of(request)
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    counts = dict(
        SurveyAnswer.objects.for_merchant(merchant)
        .filter(response__survey=survey)
        .exclude(option=None)
        .values("option_id")
        .annotate(n=Count("id"))
        .values_list("option_id", "n")
    )
    return survey_out(survey, counts)


@surveys_router.get("/{survey_id}/responses", response=ResponsePage, summary="List a survey's responses")
def list_responses(request: HttpRequest, survey_id: SurveyId, page: Query[PageIn]) -> dict:
    """A survey's responses, newest first, with each member's answers; 404 for an unknown survey."""
    merchant = merchant_of(request)
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    result = paginate(selectors.survey_responses(merchant=merchant, survey=survey), page)
    result["items"] = [response_out(r) for r in result["items"]]
    return result


@surveys_router.post(
    "/{survey_id}/responses", response={200: ResponseOut, 201: ResponseOut}, summary="Answer for a member"
)
def create_response(request: HttpRequest, survey_id: SurveyId, payload: AnswerIn) -> tuple[int, dict]:
    """201 for the member's response, 200 with the first one when they had already answered.
    409 `engagement.survey_not_open`; 400 `engagement.invalid_answers` (`extra.fields` by question id)."""
    merchant = merchant_of(request)
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    member = member_by_openid(merchant=merchant, openid=payload.openid)
    response, created = services.survey_answer(merchant=merchant, survey=survey, member=member, answers=payload.answers)
    response = selectors.survey_responses(merchant=merchant, survey=survey).get(pk=response.pk)
    return (201 if created else 200), response_out(response)
