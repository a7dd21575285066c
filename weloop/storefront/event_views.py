"""The event (活动) and survey pages of the H5 (/m/<slug>/events/…, /m/<slug>/surveys/…): events to
join, an event (sign up with its questions, cancel), my events with each one's check-in QR (a signed
code a clerk scans), the venue check-in link (a member scanning the QR at the entrance checks in),
and answering a survey once. Everything goes through weloop.engagement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.engagement import selectors, services
from weloop.engagement.enums import CHOICE_KINDS, QuestionKind
from weloop.storefront.identity import current_member, member_required
from weloop.storefront.shell import consumer_view, render_page


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render_page(request, template, context)
    response.status_code = status
    return response


def _event_context(request: HttpRequest, event_id: str) -> dict[str, Any]:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get_public(merchant=merchant, event_id=event_id)
    signup = selectors.member_signup(merchant=merchant, event=event, member=current_member(request))
    return {
        "event": event,
        "signup": signup,
        "signup_open": services.signup_open(event, clock.now()),
        "seats_left": max(0, event.capacity - event.signed_up_count),
    }


@require_safe
@consumer_view
def event_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    events = list(selectors.event_list_public(merchant=merchant)[:50])
    return render_page(request, "storefront/events.html", {"events": events})


@require_safe
@consumer_view
def event_page(request: HttpRequest, event_id: str) -> HttpResponse:
    return render_page(request, "storefront/event.html", _event_context(request, event_id))


@require_POST
@consumer_view
def event_signup(request: HttpRequest, event_id: str) -> HttpResponse:
    # An unknown event is a 404 before any sign-in: another merchant's ids lead nowhere.
    selectors.event_get_public(merchant=request.merchant, event_id=event_id)  # type: ignore[attr-defined]
    return _signup_as_member(request, event_id)


@member_required()
def _signup_as_member(request: HttpRequest, event_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get_public(merchant=merchant, event_id=event_id)
    answers = {q["id"]: request.POST.get(q["id"], "") for q in event.questions}
    try:
        services.event_signup(merchant=merchant, event=event, member=request.member, answers=answers)  # type: ignore[attr-defined]
    except WeloopError as error:
        return _render(
            request, "storefront/event.html", {**_event_context(request, event_id), "error": error}, error.status
        )
    return redirect("storefront:my_events", merchant_slug=merchant.slug)


@require_POST
@consumer_view
def event_cancel(request: HttpRequest, event_id: str) -> HttpResponse:
    selectors.event_get_public(merchant=request.merchant, event_id=event_id)  # type: ignore[attr-defined]
    return _cancel_as_member(request, event_id)


@member_required()
def _cancel_as_member(request: HttpRequest, event_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get_public(merchant=merchant, event_id=event_id)
    signup = selectors.member_signup(merchant=merchant, event=event, member=request.member)  # type: ignore[attr-defined]
    if signup is not None:
        try:
            services.event_signup_cancel(merchant=merchant, signup=signup)
        except WeloopError as error:
            return _render(
                request, "storefront/event.html", {**_event_context(request, event_id), "error": error}, error.status
            )
    return redirect("storefront:event", merchant_slug=merchant.slug, event_id=event.public_id)


@require_safe
@consumer_view
@member_required()
def my_events(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    signups = list(selectors.member_signups(merchant=merchant, member=request.member)[:50])  # type: ignore[attr-defined]
    cards = [
        {"signup": s, "qr": qr_svg_inline(services.checkin_token(s)) if not s.checked_in_at else ""} for s in signups
    ]
    return render_page(request, "storefront/my_events.html", {"cards": cards})


@consumer_view
def event_venue_checkin(request: HttpRequest, event_id: str, checkin_key: str) -> HttpResponse:
    """The venue QR: GET shows the event and a button, POST checks the signed-in member in."""
    selectors.event_get_public(merchant=request.merchant, event_id=event_id)  # type: ignore[attr-defined]
    return _venue_as_member(request, event_id, checkin_key)


@member_required()
def _venue_as_member(request: HttpRequest, event_id: str, checkin_key: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get_public(merchant=merchant, event_id=event_id)
    context: dict[str, Any] = {"event": event, "checkin_key": checkin_key}
    if request.method != "POST":
        return render_page(request, "storefront/event_checkin.html", context)
    try:
        result = services.event_checkin_at_venue(
            merchant=merchant,
            event=event,
            member=request.member,  # type: ignore[attr-defined]
            key=checkin_key,
        )
    except WeloopError as error:
        return _render(request, "storefront/event_checkin.html", {**context, "error": error}, error.status)
    return render_page(request, "storefront/event_checkin.html", {**context, "result": result})


# --- surveys ----------------------------------------------------------------------------------------


def _survey_context(request: HttpRequest, survey_id: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    merchant = request.merchant  # type: ignore[attr-defined]
    survey = selectors.survey_get_public(merchant=merchant, survey_id=survey_id)
    questions = selectors.survey_questions(survey=survey)
    errors = errors or {}
    given = request.POST if request.method == "POST" else {}
    items = [
        {
            "q": q,
            "error": (errors.get(q.public_id) or [""])[0],
            "given": set(given.getlist(q.public_id)) if given else set(),  # type: ignore[attr-defined]
            "text": given.get(q.public_id, "") if given else "",
        }
        for q in questions
    ]
    return {
        "survey": survey,
        "questions": questions,
        "items": items,
        "response": selectors.member_response(merchant=merchant, survey=survey, member=current_member(request)),
        "choice_kinds": [k.value for k in CHOICE_KINDS],
        "ratings": range(1, 6),
    }


@require_safe
@consumer_view
def survey_page(request: HttpRequest, survey_id: str) -> HttpResponse:
    return render_page(request, "storefront/survey.html", _survey_context(request, survey_id))


@require_POST
@consumer_view
def survey_answer(request: HttpRequest, survey_id: str) -> HttpResponse:
    selectors.survey_get_public(merchant=request.merchant, survey_id=survey_id)  # type: ignore[attr-defined]
    return _answer_as_member(request, survey_id)


@member_required()
def _answer_as_member(request: HttpRequest, survey_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = _survey_context(request, survey_id)
    answers: dict[str, Any] = {}
    for question in context["questions"]:
        if question.kind == QuestionKind.MULTIPLE:
            answers[question.public_id] = request.POST.getlist(question.public_id)
        else:
            answers[question.public_id] = request.POST.get(question.public_id, "")
    try:
        services.survey_answer(
            merchant=merchant,
            survey=context["survey"],
            member=request.member,  # type: ignore[attr-defined]
            answers=answers,
        )
    except WeloopError as error:
        fields = error.extra.get("fields", {}) if isinstance(error.extra.get("fields"), dict) else {}
        context = _survey_context(request, survey_id, fields)
        return _render(request, "storefront/survey.html", {**context, "error": error}, error.status)
    return redirect("storefront:survey", merchant_slug=merchant.slug, survey_id=survey_id)
