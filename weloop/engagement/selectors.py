"""Reads of the engagement app: events, sign-ups, offline traffic figures, survey results."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.engagement.enums import CHOICE_KINDS, EventStatus, QuestionKind, SignupStatus, SurveyStatus
from weloop.engagement.models import Event, EventSignup, Survey, SurveyAnswer, SurveyResponse
from weloop.members.models import Member
from weloop.tenants.models import Merchant


def event_list(*, merchant: Merchant, status: str | None = None) -> QuerySet[Event]:
    qs = Event.objects.for_merchant(merchant).select_related("store")
    return qs.filter(status=status) if status else qs


def event_get(*, merchant: Merchant, event_id: str) -> Event:
    return get_or_not_found(event_list(merchant=merchant), what="event", public_id=event_id)


def event_list_public(*, merchant: Merchant) -> QuerySet[Event]:
    """What members see: published events not yet over, soonest first."""
    return (
        event_list(merchant=merchant, status=EventStatus.PUBLISHED)
        .filter(ends_at__gt=clock.now())
        .order_by("starts_at", "id")
    )


def event_get_public(*, merchant: Merchant, event_id: str) -> Event:
    qs = event_list(merchant=merchant).exclude(status=EventStatus.DRAFT)
    return get_or_not_found(qs, what="event", public_id=event_id)


def event_signups(*, merchant: Merchant, event: Event) -> QuerySet[EventSignup]:
    return EventSignup.objects.for_merchant(merchant).filter(event=event).select_related("member")


def signup_get(*, merchant: Merchant, signup_id: str) -> EventSignup:
    qs = EventSignup.objects.for_merchant(merchant).select_related("event__store", "member")
    return get_or_not_found(qs, what="sign-up", public_id=signup_id)


def member_signup(*, merchant: Merchant, event: Event, member: Member | None) -> EventSignup | None:
    if member is None:
        return None
    return EventSignup.objects.for_merchant(merchant).filter(event=event, member=member).first()


def member_signups(*, merchant: Merchant, member: Member) -> QuerySet[EventSignup]:
    return (
        EventSignup.objects.for_merchant(merchant)
        .filter(member=member, status=SignupStatus.SIGNED_UP)
        .select_related("event__store")
        .order_by("-event__starts_at", "-id")
    )


@dataclass(frozen=True)
class EventFigures:
    signed_up: int
    checked_in: int
    no_show: int  # signed up, not checked in, and the event is over
    cancelled: int
    capacity: int


def event_figures(*, merchant: Merchant, event: Event) -> EventFigures:
    counts = (
        EventSignup.objects.for_merchant(merchant)
        .filter(event=event)
        .aggregate(
            signed_up=Count("id", filter=Q(status=SignupStatus.SIGNED_UP)),
            checked_in=Count("id", filter=Q(status=SignupStatus.SIGNED_UP, checked_in_at__isnull=False)),
            cancelled=Count("id", filter=Q(status=SignupStatus.CANCELLED)),
        )
    )
    over = event.ends_at <= clock.now() or event.status == EventStatus.CLOSED
    no_show = counts["signed_up"] - counts["checked_in"] if over else 0
    return EventFigures(counts["signed_up"], counts["checked_in"], no_show, counts["cancelled"], event.capacity)


@dataclass(frozen=True)
class StoreFigures:
    store_id: str
    store_name: str
    events: int
    signed_up: int
    checked_in: int


def store_figures(*, merchant: Merchant) -> list[StoreFigures]:
    """Offline traffic per venue: check-ins of events held at each store ("" = other addresses)."""
    rows = (
        EventSignup.objects.for_merchant(merchant)
        .filter(status=SignupStatus.SIGNED_UP)
        .values("event__store__public_id", "event__store__name")
        .annotate(
            events=Count("event", distinct=True),
            signed_up=Count("id"),
            checked_in=Count("id", filter=Q(checked_in_at__isnull=False)),
        )
        .order_by("-checked_in", "event__store__name")
    )
    return [
        StoreFigures(
            r["event__store__public_id"] or "",
            r["event__store__name"] or "",
            r["events"],
            r["signed_up"],
            r["checked_in"],
        )
        for r in rows
    ]


# --- surveys ----------------------------------------------------------------------------------------


def survey_list(*, merchant: Merchant) -> QuerySet[Survey]:
    return Survey.objects.for_merchant(merchant).select_related("event")


def survey_get(*, merchant: Merchant, survey_id: str) -> Survey:
    return get_or_not_found(survey_list(merchant=merchant), what="survey", public_id=survey_id)


def survey_get_public(*, merchant: Merchant, survey_id: str) -> Survey:
    qs = survey_list(merchant=merchant).exclude(status=SurveyStatus.DRAFT)
    return get_or_not_found(qs, what="survey", public_id=survey_id)


def survey_list_open(*, merchant: Merchant) -> QuerySet[Survey]:
    return survey_list(merchant=merchant).filter(status=SurveyStatus.OPEN)


def member_response(*, merchant: Merchant, survey: Survey, member: Member | None) -> SurveyResponse | None:
    if member is None:
        return None
    return SurveyResponse.objects.for_merchant(merchant).filter(survey=survey, member=member).first()


def survey_questions(*, survey: Survey) -> list[Any]:
    return list(survey.questions.prefetch_related("options"))


def survey_responses(*, merchant: Merchant, survey: Survey) -> QuerySet[SurveyResponse]:
    return (
        SurveyResponse.objects.for_merchant(merchant)
        .filter(survey=survey)
        .select_related("member")
        .prefetch_related("answers__option", "answers__question")
    )


@dataclass
class QuestionResult:
    question: Any
    options: list[tuple[Any, int]]  # (option, count)
    texts: list[str]
    ratings: dict[int, int]
    answered: int

    @property
    def rating_average(self) -> float | None:
        total = sum(self.ratings.values())
        return round(sum(k * v for k, v in self.ratings.items()) / total, 2) if total else None


def survey_results(*, merchant: Merchant, survey: Survey, text_limit: int = 200) -> list[QuestionResult]:
    questions = survey_questions(survey=survey)
    answers = SurveyAnswer.objects.for_merchant(merchant).filter(response__survey=survey)
    option_counts = Counter(
        dict(
            answers.exclude(option=None).values_list("option_id").annotate(n=Count("id")).values_list("option_id", "n")
        )
    )
    answered = dict(
        answers.values("question_id").annotate(n=Count("response", distinct=True)).values_list("question_id", "n")
    )
    ratings: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, rating, n in (
        answers.exclude(rating=None)
        .values("question_id", "rating")
        .annotate(n=Count("id"))
        .values_list("question_id", "rating", "n")
    ):
        ratings[question_id][rating] = n
    results = []
    for question in questions:
        texts: list[str] = []
        if question.kind == QuestionKind.TEXT:
            texts = list(answers.filter(question=question).order_by("-id").values_list("text", flat=True)[:text_limit])
        results.append(
            QuestionResult(
                question=question,
                options=[(o, option_counts.get(o.pk, 0)) for o in question.options.all()]
                if question.kind in CHOICE_KINDS
                else [],
                texts=texts,
                ratings=dict(sorted(ratings.get(question.pk, {}).items())),
                answered=answered.get(question.pk, 0),
            )
        )
    return results


def survey_csv(*, merchant: Merchant, survey: Survey) -> str:
    """Every response as one CSV row: response, member, time, then one column per question."""
    questions = survey_questions(survey=survey)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["response_id", "member_id", "answered_at", *[q.label for q in questions]])
    for response in (
        survey_responses(merchant=merchant, survey=survey).order_by("created_at", "id").iterator(chunk_size=500)
    ):
        by_question: dict[int, list[str]] = defaultdict(list)
        for answer in response.answers.all():
            if answer.option is not None:
                by_question[answer.question_id].append(answer.option.label)
            elif answer.rating is not None:
                by_question[answer.question_id].append(str(answer.rating))
            else:
                by_question[answer.question_id].append(answer.text)
        writer.writerow(
            [
                response.public_id,
                response.member.public_id,
                response.created_at.isoformat(),
                *[_csv_safe("; ".join(by_question.get(q.pk, []))) for q in questions],
            ]
        )
    return out.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is quoted as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
