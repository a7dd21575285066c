"""Writes of the engagement app: events (create, edit, publish, close, cancel), sign-ups, check-ins,
surveys and their responses. Every public function takes ``merchant=`` and raises a WeloopError
(errors.py) on bad input with nothing written.

Capacity: a sign-up takes a seat with ``UPDATE event SET signed_up_count = signed_up_count + 1
WHERE pk = … AND signed_up_count < capacity`` (one statement, so two racing sign-ups for the last
seat give one winner on SQLite and PostgreSQL alike; the CHECK constraint is the backstop).
Check-in: ``UPDATE signup SET checked_in_at = now WHERE pk = … AND checked_in_at IS NULL``: the one
caller that changed the row is the check-in; every other scan of the code is "already checked in".
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.events import publish
from weloop.engagement.enums import CHOICE_KINDS, EventStatus, QuestionKind, SignupStatus, SurveyStatus
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
from weloop.engagement.models import (
    Event,
    EventSignup,
    Survey,
    SurveyAnswer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)
from weloop.engagement.state import EVENT, SURVEY
from weloop.members import services as member_services
from weloop.members.enums import TagSource, TouchKind
from weloop.members.models import Member
from weloop.tenants.models import Merchant

CHECKIN_SALT = "weloop.engagement.checkin"
CHECKIN_EARLY = timedelta(hours=2)  # the doors open this long before the start
TAG_MAX = 30
MAX_QUESTIONS = 50
MAX_OPTIONS = 30
MAX_CAPACITY = 100_000
TEXT_MAX = 2000


def _require_same_merchant(merchant: Merchant, *objects: Any) -> None:
    from weloop.core.errors import NotFound

    for obj in objects:
        if obj is not None and obj.merchant_id != merchant.pk:
            raise NotFound(extra={"what": type(obj).__name__.lower()})


def event_tag_names(title: str) -> tuple[str, str]:
    """The tags put on members who sign up / check in: 活动:<title>:报名 and 活动:<title>:签到."""
    short = " ".join(title.split())[: TAG_MAX - 6]
    return f"活动:{short}:报名", f"活动:{short}:签到"


# --- events -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str = ""
    store: Any = None  # stores.Store
    address: str = ""
    signup_opens_at: datetime | None = None
    signup_closes_at: datetime | None = None
    questions: Sequence[str] = field(default_factory=tuple)  # free-text questions asked at sign-up


def _clean_event(merchant: Merchant, data: EventInput) -> dict[str, Any]:
    _require_same_merchant(merchant, data.store)
    title = " ".join(str(data.title or "").split())
    errors: dict[str, list[str]] = {}
    if not title or len(title) > 120:
        errors["title"] = ["An event needs a title of at most 120 characters."]
    if data.store is None and not str(data.address or "").strip():
        errors["address"] = ["Choose a store or type the address of the venue."]
    if not data.starts_at or not data.ends_at or data.ends_at <= data.starts_at:
        errors["ends_at"] = ["The event must end after it starts."]
    if not isinstance(data.capacity, int) or not 1 <= data.capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"Capacity is a whole number from 1 to {MAX_CAPACITY}."]
    if data.signup_opens_at and data.signup_closes_at and data.signup_closes_at <= data.signup_opens_at:
        errors["signup_closes_at"] = ["Sign-up must close after it opens."]
    questions = [" ".join(str(q).split())[:200] for q in data.questions if str(q).strip()]
    if len(questions) > 10:
        errors["questions"] = ["At most 10 sign-up questions."]
    if errors:
        raise InvalidEvent(next(iter(errors.values()))[0], extra={"fields": errors, "field": next(iter(errors))})
    signup_name, checkin_name = event_tag_names(title)
    return {
        "title": title,
        "description": str(data.description or "")[:TEXT_MAX],
        "store": data.store,
        "address": str(data.address or "").strip()[:200],
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "capacity": data.capacity,
        "signup_opens_at": data.signup_opens_at,
        "signup_closes_at": data.signup_closes_at,
        "questions": [{"id": f"q{i + 1}", "label": q, "required": True} for i, q in enumerate(questions)],
        "signup_tag_name": signup_name,
        "checkin_tag_name": checkin_name,
    }


def event_create(*, merchant: Merchant, data: EventInput, actor: str = "", publish_now: bool = False) -> Event:
    values = _clean_event(merchant, data)
    with transaction.atomic():
        event = Event.objects.create(
            merchant=merchant, checkin_key=secrets.token_urlsafe(12), created_by=actor[:150], **values
        )
        if publish_now:
            event_publish(merchant=merchant, event=event, actor=actor)
    return event


def event_update(*, merchant: Merchant, event: Event, data: EventInput, actor: str = "") -> Event:
    """Change an event that is not closed or cancelled; capacity never below the seats taken."""
    _require_same_merchant(merchant, event)
    values = _clean_event(merchant, data)
    with transaction.atomic():
        locked = Event.objects.for_merchant(merchant).select_for_update().get(pk=event.pk)
        if locked.status in (EventStatus.CLOSED, EventStatus.CANCELLED):
            raise InvalidEvent("A closed or cancelled event cannot be changed.", extra={"field": "status"})
        if values["capacity"] < locked.signed_up_count:
            raise InvalidEvent(
                f"{locked.signed_up_count} members have signed up: capacity cannot be lower.",
                extra={"field": "capacity", "signed_up": locked.signed_up_count},
            )
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
    return locked


def _event_move(merchant: Merchant, event: Event, to: str, actor: str, reason: str = "") -> Event:
    _require_same_merchant(merchant, event)
    with transaction.atomic():
        locked = Event.objects.for_merchant(merchant).select_for_update().get(pk=event.pk)
        EVENT.transition(locked, to, actor=actor, reason=reason)
        publish(
            merchant=merchant,
            name=f"engagement.event_{to}",
            payload={"event_id": locked.public_id, "title": locked.title, "actor": actor[:64]},
        )
    event.status = locked.status
    return locked


def event_publish(*, merchant: Merchant, event: Event, actor: str = "") -> Event:
    return _event_move(merchant, event, EventStatus.PUBLISHED, actor)


def event_close(*, merchant: Merchant, event: Event, actor: str = "") -> Event:
    return _event_move(merchant, event, EventStatus.CLOSED, actor)


def event_cancel(*, merchant: Merchant, event: Event, actor: str = "", reason: str = "") -> Event:
    return _event_move(merchant, event, EventStatus.CANCELLED, actor, reason)


def signup_open(event: Event, now: datetime) -> bool:
    if event.status != EventStatus.PUBLISHED:
        return False
    opens = event.signup_opens_at
    closes = event.signup_closes_at or event.starts_at
    return (opens is None or opens <= now) and now < closes


def _clean_signup_answers(event: Event, answers: Mapping[str, Any] | None) -> dict[str, str]:
    answers = answers or {}
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for question in event.questions:
        text = " ".join(str(answers.get(question["id"], "") or "").split())[:500]
        if question.get("required") and not text:
            errors[question["id"]] = [f"Please answer “{question['label']}”."]
        clean[question["id"]] = text
    if errors:
        raise InvalidAnswers(next(iter(errors.values()))[0], extra={"fields": errors})
    return clean


def _new_code(merchant: Merchant) -> str:
    for _attempt in range(10):
        code = f"{secrets.randbelow(10**10):010d}"
        if not EventSignup.objects.for_merchant(merchant).filter(code=code).exists():
            return code
    raise RuntimeError("could not draw a free check-in code")  # pragma: no cover


def _take_seat(event: Event) -> None:
    taken = Event.objects.filter(pk=event.pk, signed_up_count__lt=F("capacity")).update(
        signed_up_count=F("signed_up_count") + 1
    )
    if taken != 1:
        raise EventFull(extra={"event_id": event.public_id, "capacity": event.capacity})


def _tag(merchant: Merchant, member: Member, name: str, source: str, ref: str) -> None:
    if not name:
        return
    tag = member_services.tag_get_or_create(merchant=merchant, name=name)
    member_services.member_tag_add(merchant=merchant, member=member, tag=tag, source=source, source_ref=ref)


def event_signup(
    *, merchant: Merchant, event: Event, member: Member, answers: Mapping[str, Any] | None = None
) -> tuple[EventSignup, bool]:
    """Sign ``member`` up (idempotent: a second call returns the same sign-up and False).

    Raises SignupClosed outside the sign-up window or when the event is not published, EventFull
    when every seat is taken, InvalidAnswers when a sign-up question is left empty.
    """
    _require_same_merchant(merchant, event, member)
    existing = EventSignup.objects.for_merchant(merchant).filter(event=event, member=member).first()
    if existing is not None and existing.status == SignupStatus.SIGNED_UP:
        return existing, False
    event.refresh_from_db()
    if not signup_open(event, clock.now()):
        raise SignupClosed(extra={"event_id": event.public_id, "status": event.status})
    clean = _clean_signup_answers(event, answers)
    try:
        with transaction.atomic():
            if existing is not None:  # signed up before, cancelled, signs up again
                moved = EventSignup.objects.filter(pk=existing.pk, status=SignupStatus.CANCELLED).update(
                    status=SignupStatus.SIGNED_UP, answers=clean, cancelled_at=None, created_at=clock.now()
                )
                if moved != 1:
                    existing.refresh_from_db()
                    return existing, False
                signup = existing
                signup.refresh_from_db()
            else:
                signup = EventSignup.objects.create(
                    merchant=merchant, event=event, member=member, code=_new_code(merchant), answers=clean
                )
            _take_seat(event)
            _tag(merchant, member, event.signup_tag_name, TagSource.EVENT, event.public_id)
            publish(
                merchant=merchant,
                name="engagement.event_signed_up",
                payload={"member_id": member.public_id, "event_id": event.public_id, "signup_id": signup.public_id},
            )
    except IntegrityError:
        # A concurrent call of the same member won: theirs is the sign-up.
        again = EventSignup.objects.for_merchant(merchant).filter(event=event, member=member).first()
        if again is None or again.status != SignupStatus.SIGNED_UP:
            raise
        return again, False
    event.refresh_from_db(fields=["signed_up_count"])
    return signup, True


def event_signup_cancel(*, merchant: Merchant, signup: EventSignup) -> EventSignup:
    """Give the seat back (idempotent). A checked-in sign-up cannot be cancelled."""
    _require_same_merchant(merchant, signup)
    with transaction.atomic():
        moved = EventSignup.objects.filter(
            pk=signup.pk, status=SignupStatus.SIGNED_UP, checked_in_at__isnull=True
        ).update(status=SignupStatus.CANCELLED, cancelled_at=clock.now())
        if moved == 1:
            Event.objects.filter(pk=signup.event_id).update(signed_up_count=F("signed_up_count") - 1)
            publish(
                merchant=merchant,
                name="engagement.event_signup_cancelled",
                payload={"member_id": signup.member.public_id, "event_id": signup.event.public_id},
            )
    signup.refresh_from_db()
    if signup.checked_in_at is not None:
        raise AlreadyCheckedIn("You have already checked in; the sign-up cannot be cancelled.")
    return signup


def checkin_token(signup: EventSignup) -> str:
    """What the member's QR carries: the sign-up code, signed so a forged code is refused."""
    return signing.Signer(salt=CHECKIN_SALT).sign(signup.code)


def _code_of(value: str) -> str:
    value = "".join(str(value or "").split())
    if ":" in value:
        try:
            return signing.Signer(salt=CHECKIN_SALT).unsign(value)
        except signing.BadSignature:
            raise InvalidCheckinCode() from None
    if not value.isdigit() or len(value) != 10:
        raise InvalidCheckinCode()
    return value


def _checkin_open(event: Event, now: datetime) -> bool:
    return event.status == EventStatus.PUBLISHED and event.starts_at - CHECKIN_EARLY <= now <= event.ends_at


@dataclass(frozen=True)
class CheckinResult:
    signup: EventSignup
    first: bool  # False: this code had already been checked in (nothing changed)


def _checkin(merchant: Merchant, signup: EventSignup, *, actor: str, method: str) -> CheckinResult:
    event = signup.event
    now = clock.now()
    if signup.status != SignupStatus.SIGNED_UP:
        raise NotSignedUp("This sign-up was cancelled.", extra={"signup_id": signup.public_id})
    if signup.checked_in_at is None and not _checkin_open(event, now):
        raise CheckinNotOpen(extra={"event_id": event.public_id, "status": event.status})
    with transaction.atomic():
        changed = EventSignup.objects.filter(
            pk=signup.pk, status=SignupStatus.SIGNED_UP, checked_in_at__isnull=True
        ).update(checked_in_at=now, checked_in_by=actor[:150], checkin_method=method)
        if changed != 1:
            signup.refresh_from_db()
            return CheckinResult(signup, False)
        Event.objects.filter(pk=event.pk).update(checked_in_count=F("checked_in_count") + 1)
        member = signup.member
        _tag(merchant, member, event.checkin_tag_name, TagSource.EVENT, event.public_id)
        store = event.store
        member_services.member_touch(
            merchant=merchant,
            openid=member.openid,
            kind=TouchKind.SCAN,
            at=now,
            store=store,
            channel="event_checkin",
            detail={"event_id": event.public_id, "signup_id": signup.public_id, "method": method},
        )
        publish(
            merchant=merchant,
            name="engagement.event_checked_in",
            payload={
                "member_id": member.public_id,
                "event_id": event.public_id,
                "store_id": store.public_id if store is not None else None,
            },
        )
    signup.refresh_from_db()
    return CheckinResult(signup, True)


def event_checkin_by_code(
    *, merchant: Merchant, code: str, actor: str = "", event: Event | None = None, method: str = "clerk"
) -> CheckinResult:
    """Check in the sign-up behind a typed code or a scanned member QR (exactly once).

    With ``event`` given, a code of another event is refused (the clerk checks in for one event).
    """
    value = _code_of(code)
    signup = (
        EventSignup.objects.for_merchant(merchant).select_related("event__store", "member").filter(code=value).first()
    )
    if signup is None or (event is not None and signup.event_id != event.pk):
        raise InvalidCheckinCode()
    return _checkin(merchant, signup, actor=actor, method=method)


def event_checkin_at_venue(*, merchant: Merchant, event: Event, member: Member, key: str) -> CheckinResult:
    """The member scanned the venue's check-in QR (a link with the event's key) while signed in."""
    _require_same_merchant(merchant, event, member)
    if not secrets.compare_digest(str(key or ""), event.checkin_key):
        raise InvalidCheckinCode("This check-in link is not valid.")
    signup = (
        EventSignup.objects.for_merchant(merchant)
        .select_related("event__store", "member")
        .filter(event=event, member=member)
        .first()
    )
    if signup is None:
        raise NotSignedUp()
    return _checkin(merchant, signup, actor=f"member:{member.public_id}", method="venue_qr")


# --- surveys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionInput:
    label: str
    tag_name: str = ""


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    label: str
    required: bool = True
    options: Sequence[OptionInput] = field(default_factory=tuple)


@dataclass(frozen=True)
class SurveyInput:
    title: str
    questions: Sequence[QuestionInput]
    description: str = ""
    event: Event | None = None


def _clean_survey(merchant: Merchant, data: SurveyInput) -> tuple[dict[str, Any], list[QuestionInput]]:
    _require_same_merchant(merchant, data.event)
    title = " ".join(str(data.title or "").split())
    if not title or len(title) > 120:
        raise InvalidSurvey("A survey needs a title of at most 120 characters.", extra={"field": "title"})
    if not data.questions:
        raise InvalidSurvey("A survey needs at least one question.", extra={"field": "questions"})
    if len(data.questions) > MAX_QUESTIONS:
        raise InvalidSurvey(f"At most {MAX_QUESTIONS} questions.", extra={"field": "questions"})
    questions = []
    for number, question in enumerate(data.questions, start=1):
        where = {"field": "questions", "question": number}
        label = " ".join(str(question.label or "").split())
        if question.kind not in QuestionKind.values:
            raise InvalidSurvey(f"Question {number}: unknown kind.", extra=where)
        if not label or len(label) > 200:
            raise InvalidSurvey(f"Question {number} needs a text of at most 200 characters.", extra=where)
        options = []
        if question.kind in CHOICE_KINDS:
            if not 2 <= len(question.options) <= MAX_OPTIONS:
                raise InvalidSurvey(f"Question {number} needs 2 to {MAX_OPTIONS} options.", extra=where)
            for option in question.options:
                option_label = " ".join(str(option.label or "").split())
                tag_name = " ".join(str(option.tag_name or "").split())
                if not option_label or len(option_label) > 120:
                    raise InvalidSurvey(f"Question {number}: an option needs a label (≤ 120 characters).", extra=where)
                if len(tag_name) > TAG_MAX:
                    raise InvalidSurvey(f"Question {number}: a tag name is at most {TAG_MAX} characters.", extra=where)
                options.append(OptionInput(option_label, tag_name))
        elif question.options:
            raise InvalidSurvey(f"Question {number}: only choice questions have options.", extra=where)
        questions.append(QuestionInput(question.kind, label, bool(question.required), tuple(options)))
    values = {"title": title, "description": str(data.description or "")[:TEXT_MAX], "event": data.event}
    return values, questions


def _write_questions(merchant: Merchant, survey: Survey, questions: list[QuestionInput]) -> None:
    SurveyQuestion.objects.filter(survey=survey).delete()
    for position, question in enumerate(questions):
        row = SurveyQuestion.objects.create(
            merchant=merchant,
            survey=survey,
            position=position,
            kind=question.kind,
            label=question.label,
            required=question.required,
        )
        SurveyOption.objects.bulk_create(
            [
                SurveyOption(merchant=merchant, question=row, position=i, label=o.label, tag_name=o.tag_name)
                for i, o in enumerate(question.options)
            ]
        )


def survey_create(*, merchant: Merchant, data: SurveyInput, actor: str = "", open_now: bool = False) -> Survey:
    values, questions = _clean_survey(merchant, data)
    with transaction.atomic():
        survey = Survey.objects.create(merchant=merchant, created_by=actor[:150], **values)
        _write_questions(merchant, survey, questions)
        if open_now:
            survey_open(merchant=merchant, survey=survey, actor=actor)
    return survey


def survey_update(*, merchant: Merchant, survey: Survey, data: SurveyInput, actor: str = "") -> Survey:
    """Change a survey. Its questions may change only while nobody has answered (SurveyLocked)."""
    _require_same_merchant(merchant, survey)
    values, questions = _clean_survey(merchant, data)
    with transaction.atomic():
        locked = Survey.objects.for_merchant(merchant).select_for_update().get(pk=survey.pk)
        if SurveyResponse.objects.filter(survey=locked).exists():
            if _question_shape(locked) != [(q.kind, q.label, q.required, list(q.options)) for q in questions]:
                raise SurveyLocked(extra={"responses": locked.response_count})
        else:
            _write_questions(merchant, locked, questions)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
    return locked


def _question_shape(survey: Survey) -> list[tuple[str, str, bool, list[OptionInput]]]:
    return [
        (q.kind, q.label, q.required, [OptionInput(o.label, o.tag_name) for o in q.options.all()])
        for q in survey.questions.prefetch_related("options")
    ]


def _survey_move(merchant: Merchant, survey: Survey, to: str, actor: str) -> Survey:
    _require_same_merchant(merchant, survey)
    with transaction.atomic():
        locked = Survey.objects.for_merchant(merchant).select_for_update().get(pk=survey.pk)
        SURVEY.transition(locked, to, actor=actor)
    survey.status = locked.status
    return locked


def survey_open(*, merchant: Merchant, survey: Survey, actor: str = "") -> Survey:
    return _survey_move(merchant, survey, SurveyStatus.OPEN, actor)


def survey_close(*, merchant: Merchant, survey: Survey, actor: str = "") -> Survey:
    return _survey_move(merchant, survey, SurveyStatus.CLOSED, actor)


@dataclass(frozen=True)
class _Answer:
    question: SurveyQuestion
    options: list[SurveyOption]
    text: str = ""
    rating: int | None = None


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return [str(value)]


def _clean_answers(survey: Survey, answers: Mapping[str, Any]) -> list[_Answer]:
    questions = list(survey.questions.prefetch_related("options"))
    known = {q.public_id for q in questions}
    errors: dict[str, list[str]] = {}
    unknown = [key for key in answers if key not in known]
    if unknown:
        errors["_unknown"] = [f"Unknown question: {unknown[0]}."]
    clean: list[_Answer] = []
    for question in questions:
        value = answers.get(question.public_id)
        if question.kind in CHOICE_KINDS:
            chosen = _as_list(value)
            options = {o.public_id: o for o in question.options.all()}
            if not chosen:
                if question.required:
                    errors[question.public_id] = ["Please choose an answer."]
                continue
            if len(set(chosen)) != len(chosen):
                errors[question.public_id] = ["An option is chosen twice."]
                continue
            if any(c not in options for c in chosen):
                errors[question.public_id] = ["This option does not belong to the question."]
                continue
            if question.kind == QuestionKind.SINGLE and len(chosen) > 1:
                errors[question.public_id] = ["Choose only one answer."]
                continue
            clean.append(_Answer(question, [options[c] for c in chosen]))
        elif question.kind == QuestionKind.TEXT:
            text = str(value or "").strip() if not isinstance(value, list | dict) else ""
            if not text:
                if question.required:
                    errors[question.public_id] = ["Please write an answer."]
                continue
            if len(text) > TEXT_MAX:
                errors[question.public_id] = [f"At most {TEXT_MAX} characters."]
                continue
            clean.append(_Answer(question, [], text=text))
        else:  # rating
            if value in (None, ""):
                if question.required:
                    errors[question.public_id] = ["Please give a rating."]
                continue
            try:
                rating = int(str(value))
            except ValueError:
                rating = 0
            if not 1 <= rating <= 5:
                errors[question.public_id] = ["A rating is a whole number from 1 to 5."]
                continue
            clean.append(_Answer(question, [], rating=rating))
    if errors:
        raise InvalidAnswers(next(iter(errors.values()))[0], extra={"fields": errors})
    return clean


def survey_answer(
    *, merchant: Merchant, survey: Survey, member: Member, answers: Mapping[str, Any]
) -> tuple[SurveyResponse, bool]:
    """Record ``member``'s answers (question public id -> option id(s), text or rating).

    One response per member: a second call returns the first response and False (nothing written).
    Raises SurveyNotOpen, InvalidAnswers (``extra.fields`` per question) with nothing written.
    Chosen options carrying a tag name put that tag on the member (source "survey"); each answered
    choice question publishes ``engagement.survey_answered``.
    """
    _require_same_merchant(merchant, survey, member)
    existing = SurveyResponse.objects.for_merchant(merchant).filter(survey=survey, member=member).first()
    if existing is not None:
        return existing, False
    survey.refresh_from_db()
    if survey.status != SurveyStatus.OPEN:
        raise SurveyNotOpen(extra={"survey_id": survey.public_id, "status": survey.status})
    clean = _clean_answers(survey, answers)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(merchant=merchant, survey=survey, member=member)
            rows = []
            for answer in clean:
                if answer.options:
                    rows += [
                        SurveyAnswer(merchant=merchant, response=response, question=answer.question, option=o)
                        for o in answer.options
                    ]
                else:
                    rows.append(
                        SurveyAnswer(
                            merchant=merchant,
                            response=response,
                            question=answer.question,
                            text=answer.text,
                            rating=answer.rating,
                        )
                    )
            SurveyAnswer.objects.bulk_create(rows)
            Survey.objects.filter(pk=survey.pk).update(response_count=F("response_count") + 1)
            for answer in clean:
                if not answer.options:
                    continue
                for option in answer.options:
                    _tag(merchant, member, option.tag_name, TagSource.SURVEY, survey.public_id)
                publish(
                    merchant=merchant,
                    name="engagement.survey_answered",
                    payload={
                        "member_id": member.public_id,
                        "survey_id": survey.public_id,
                        "question_id": answer.question.public_id,
                        "option_ids": [o.public_id for o in answer.options],
                    },
                )
    except IntegrityError:
        again = SurveyResponse.objects.for_merchant(merchant).filter(survey=survey, member=member).first()
        if again is None:
            raise
        return again, False
    return response, True
