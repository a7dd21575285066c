"""Shapes of /events and /surveys: offline events with sign-ups and check-ins, surveys and responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field, StrictInt

from weloop.api.schemas.common import InputSchema, Page
from weloop.engagement.enums import EventStatus, QuestionKind, SignupStatus, SurveyStatus
from weloop.engagement.models import Event, EventSignup, Survey, SurveyResponse


class EventIn(InputSchema):
    title: str = Field(description="Shown to members.", max_length=120, examples=["拉花体验课"])
    description: str = Field("", description="Shown on the event page.", max_length=2000)
    store_id: str | None = Field(None, description="The venue store (`st_…`); or give `address`.")
    address: str = Field("", max_length=200, description="The venue's address when it is not a store.")
    starts_at: datetime = Field(description="Start (with time zone).")
    ends_at: datetime = Field(description="End, after the start.")
    signup_opens_at: datetime | None = Field(None, description="Sign-up opens (default: when published).")
    signup_closes_at: datetime | None = Field(None, description="Sign-up closes (default: at the start).")
    capacity: StrictInt = Field(description="Seats (1-100000); sign-ups never exceed it.", examples=[30])
    questions: list[str] = Field([], max_length=10, description="Free-text questions asked at sign-up (required).")
    publish: bool = Field(False, description="Publish at once (else it stays a draft).")


class FiguresOut(Schema):
    signed_up: int = Field(description="Active sign-ups.")
    checked_in: int = Field(description="Sign-ups checked in at the venue (the offline traffic).")
    no_show: int = Field(description="Signed up, not checked in, event over (0 before the end).")
    cancelled: int
    capacity: int


class EventOut(Schema):
    id: str = Field(description="`ev_…`")
    title: str = Field(description="Shown to members.")
    description: str = Field(description="Shown on the event page.")
    status: EventStatus = Field(description="draft, published, closed or cancelled.")
    store_id: str | None = Field(description="The venue store (`st_…`), or null for another address.")
    address: str = Field(description="The address when not at a store.")
    starts_at: datetime = Field(description="When it starts.")
    ends_at: datetime = Field(description="When it ends.")
    signup_opens_at: datetime | None = Field(description="Sign-up opens (null = when published).")
    signup_closes_at: datetime | None = Field(description="Sign-up closes (null = at the start).")
    capacity: int = Field(description="Places in all; never exceeded.")
    signed_up: int = Field(description="Members signed up now.")
    checked_in: int = Field(description="Members checked in (the offline traffic).")
    questions: list[dict[str, Any]] = Field(description="Questions asked at sign-up.")
    signup_tag: str = Field(description="Tag members get when they sign up: target them in a segment.")
    checkin_tag: str = Field(description="Tag members get when they check in.")


def event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.public_id,
        "title": event.title,
        "description": event.description,
        "status": event.status,
        "store_id": event.store.public_id if event.store is not None else None,
        "address": event.address,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "signup_opens_at": event.signup_opens_at,
        "signup_closes_at": event.signup_closes_at,
        "capacity": event.capacity,
        "signed_up": event.signed_up_count,
        "checked_in": event.checked_in_count,
        "questions": event.questions,
        "signup_tag": event.signup_tag_name,
        "checkin_tag": event.checkin_tag_name,
    }


class EventPage(Page):
    items: list[EventOut] = Field(description="Events, soonest first.")


class EventFilters(Schema):
    status: EventStatus | None = Field(None, description="Only events with this status.")


class TransitionIn(InputSchema):
    action: str = Field(description="`publish`, `close` or `cancel`.", examples=["publish"])


class SignupIn(InputSchema):
    openid: str = Field(description="The member's openid.")
    answers: dict[str, str] = Field({}, description="Answers to the sign-up questions by id (`q1`…).")


class SignupOut(Schema):
    id: str = Field(description="`es_…`")
    event_id: str = Field(description="The event (`ev_…`).")
    member_id: str = Field(description="The member (`mb_…`).")
    status: SignupStatus = Field(description="signed_up, cancelled or checked_in.")
    code: str = Field(description="The check-in code a clerk types (the member's QR carries it signed).")
    answers: dict[str, str] = Field(description="Answers to the sign-up questions.")
    created_at: datetime = Field(description="When the member signed up.")
    checked_in_at: datetime | None = Field(description="When they checked in (null until then).")
    checkin_method: str = Field(description="How they checked in: clerk, venue link or API.")


def signup_out(signup: EventSignup) -> dict[str, Any]:
    return {
        "id": signup.public_id,
        "event_id": signup.event.public_id,
        "member_id": signup.member.public_id,
        "status": signup.status,
        "code": signup.code,
        "answers": signup.answers,
        "created_at": signup.created_at,
        "checked_in_at": signup.checked_in_at,
        "checkin_method": signup.checkin_method,
    }


class SignupPage(Page):
    items: list[SignupOut] = Field(description="Sign-ups, newest first.")


class CheckinIn(InputSchema):
    code: str = Field(description="The 10-digit code or the content of the member's QR.", max_length=200)


class CheckinOut(Schema):
    first: bool = Field(description="True for the check-in; false when this code was already checked in.")
    signup: SignupOut = Field(description="The sign-up after check-in.")


class OptionIn(InputSchema):
    label: str = Field(description="The option's text.", max_length=120)
    tag: str = Field("", max_length=30, description="Member tag added to whoever chooses this option.")


class QuestionIn(InputSchema):
    kind: QuestionKind = Field(description="single, multiple, text or rating.")
    label: str = Field(description="The question's text.", max_length=200)
    required: bool = Field(True, description="Whether an answer is needed.")
    options: list[OptionIn] = Field([], description="2-30 options for single and multiple choice questions.")


class SurveyIn(InputSchema):
    title: str = Field(description="Shown to members.", max_length=120)
    description: str = Field("", description="Shown above the questions.", max_length=2000)
    event_id: str | None = Field(None, description="The event this survey follows up (`ev_…`).")
    questions: list[QuestionIn] = Field(description="The questions, in order.", min_length=1, max_length=50)
    open: bool = Field(False, description="Open it at once.")


class OptionOut(Schema):
    id: str = Field(description="`so_…`")
    label: str = Field(description="The option's text.")
    tag: str = Field(description="Tag put on members who choose it (empty = none).")
    count: int = Field(description="Responses that chose it.")


class QuestionOut(Schema):
    id: str = Field(description="`sq_…`: the key of its answer in a response.")
    kind: QuestionKind = Field(description="single, multiple, text or rating.")
    label: str = Field(description="The question's text.")
    required: bool = Field(description="Whether an answer is needed.")
    options: list[OptionOut] = Field(description="Options of a choice question, with counts where shown.")


class SurveyOut(Schema):
    id: str = Field(description="`sv_…`")
    title: str = Field(description="Shown to members.")
    description: str = Field(description="Shown above the questions.")
    status: SurveyStatus = Field(description="draft, open or closed.")
    event_id: str | None = Field(description="The event it follows up (`ev_…`), if any.")
    responses: int = Field(description="How many members answered.")
    questions: list[QuestionOut] = Field(description="The questions, in order.")


def survey_out(survey: Survey, counts: dict[int, int] | None = None) -> dict[str, Any]:
    counts = counts or {}
    return {
        "id": survey.public_id,
        "title": survey.title,
        "description": survey.description,
        "status": survey.status,
        "event_id": survey.event.public_id if survey.event is not None else None,
        "responses": survey.response_count,
        "questions": [
            {
                "id": q.public_id,
                "kind": q.kind,
                "label": q.label,
                "required": q.required,
                "options": [
                    {"id": o.public_id, "label": o.label, "tag": o.tag_name, "count": counts.get(o.pk, 0)}
                    for o in q.options.all()
                ],
            }
            for q in survey.questions.prefetch_related("options")
        ],
    }


class SurveyPage(Page):
    items: list[SurveyOut] = Field(description="Surveys, newest first.")


class AnswerIn(InputSchema):
    openid: str = Field(description="The member's openid.")
    answers: dict[str, Any] = Field(
        description="By question id: an option id (single), a list of option ids (multiple), a text, or a rating 1-5.",
        examples=[{"sq_1": "so_1", "sq_2": ["so_3", "so_4"], "sq_3": "很好", "sq_4": 5}],
    )


class ResponseOut(Schema):
    id: str = Field(description="`sr_…`")
    member_id: str = Field(description="The member who answered (`mb_…`).")
    created_at: datetime = Field(description="When they answered.")
    answers: dict[str, Any] = Field(description="By question id, as given.")


def response_out(response: SurveyResponse) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for answer in response.answers.all():
        key = answer.question.public_id
        if answer.option is not None:
            answers.setdefault(key, []).append(answer.option.public_id)
        elif answer.rating is not None:
            answers[key] = answer.rating
        else:
            answers[key] = answer.text
    return {
        "id": response.public_id,
        "member_id": response.member.public_id,
        "created_at": response.created_at,
        "answers": answers,
    }


class ResponsePage(Page):
    items: list[ResponseOut] = Field(description="Responses, newest first.")
