"""Offline events (活动) and surveys in the console: events list with per-store check-in figures,
create/edit, publish/close/cancel, detail with attendees and the venue check-in QR, the follow-up
tags ("message attendees" = a segment on the tag); surveys list, create/edit with a compact
question editor (options may carry a tag), open/close, results and CSV export.
Managers run them (``engagement.manage``); every write goes through ``weloop.engagement.services``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from weloop.core.errors import WeloopError
from weloop.core.qr import qr_svg_inline
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page
from weloop.engagement import selectors, services
from weloop.engagement.enums import EventStatus, QuestionKind, SurveyStatus
from weloop.engagement.errors import InvalidSurvey
from weloop.engagement.models import Event, Survey
from weloop.engagement.services import EventInput, OptionInput, QuestionInput, SurveyInput
from weloop.stores.enums import StoreStatus
from weloop.stores.selectors import store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant

LIST_LIMIT = 200
ADDRESS = ""


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    venue = forms.ChoiceField(label=_("Venue"), required=False)
    address = forms.CharField(label=_("Address (when not at a store)"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    signup_opens_at = forms.DateTimeField(
        label=_("Sign-up opens (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    signup_closes_at = forms.DateTimeField(
        label=_("Sign-up closes (optional, default: at the start)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=services.MAX_CAPACITY, initial=30)
    questions = forms.CharField(
        label=_("Questions asked at sign-up (one per line, optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    publish_now = forms.BooleanField(label=_("Publish at once"), required=False)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stores = {s.public_id: s for s in store_list(merchant=merchant) if s.status == StoreStatus.ACTIVE}
        self.fields["venue"].choices = [  # type: ignore[attr-defined]
            (ADDRESS, gettext("Another address")),
            *((sid, s.name) for sid, s in self.stores.items()),
        ]


def _event_form_page(
    request: HttpRequest, form: EventForm, event: Event | None, error: WeloopError | None = None
) -> HttpResponse:
    status = 400 if error or form.errors else 200
    context = {"form": form, "event": event, **error_context(error)}
    return render_page(request, "dashboard/engagement/event_form.html", context, status=status)


def _save_event(request: HttpRequest, merchant: Merchant, event: Event | None) -> HttpResponse:
    form = EventForm(request.POST, merchant=merchant)
    store = event.store if event is not None else None
    if store is not None and store.public_id not in form.stores:
        # The venue of an existing event may have closed since; it stays a valid choice.
        form.stores[store.public_id] = store
        field = form.fields["venue"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*list(field.choices), (store.public_id, store.name)]  # type: ignore[arg-type]
    if not form.is_valid():
        return _event_form_page(request, form, event)
    data = form.cleaned_data
    values = EventInput(
        title=data["title"],
        description=data.get("description") or "",
        store=form.stores.get(data.get("venue") or ""),
        address=data.get("address") or "",
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        signup_opens_at=data.get("signup_opens_at"),
        signup_closes_at=data.get("signup_closes_at"),
        capacity=data["capacity"],
        questions=[line for line in (data.get("questions") or "").splitlines() if line.strip()],
    )
    try:
        if event is None:
            event = services.event_create(
                merchant=merchant, data=values, actor=actor_of(request), publish_now=bool(data.get("publish_now"))
            )
        else:
            event = services.event_update(merchant=merchant, event=event, data=values, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code={"engagement.invalid_event": ()})
        return _event_form_page(request, form, event, error)
    messages.success(request, gettext("Event “%(title)s” saved.") % {"title": event.title})
    return redirect("dashboard:event_detail", event_id=event.public_id)


@require_safe
@staff_view("engagement.manage")
def event_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "events": list(selectors.event_list(merchant=merchant)[:LIST_LIMIT]),
        "stores": selectors.store_figures(merchant=merchant),
    }
    return render_page(request, "dashboard/engagement/event_list.html", context)


@staff_view("engagement.manage")
def event_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method == "POST":
        return _save_event(request, merchant, None)
    return _event_form_page(request, EventForm(merchant=merchant), None)


@staff_view("engagement.manage")
def event_edit(request: HttpRequest, event_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    if request.method == "POST":
        return _save_event(request, merchant, event)
    form = EventForm(
        merchant=merchant,
        initial={
            "title": event.title,
            "description": event.description,
            "venue": event.store.public_id if event.store is not None else ADDRESS,
            "address": event.address,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "signup_opens_at": event.signup_opens_at,
            "signup_closes_at": event.signup_closes_at,
            "capacity": event.capacity,
            "questions": "\n".join(q["label"] for q in event.questions),
        },
    )
    return _event_form_page(request, form, event)


def segment_link(tag_name: str) -> str:
    """The console's new-segment page with the tag's expression filled in (campaigns target segments)."""
    quoted = tag_name.replace("\\", "\\\\").replace('"', '\\"')
    return reverse("dashboard:segment_create") + "?" + urlencode({"expression": f'tag:"{quoted}"'})


@require_safe
@staff_view("engagement.manage")
def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    venue_url = request.build_absolute_uri(
        reverse(
            "storefront:event_venue_checkin",
            kwargs={"merchant_slug": merchant.slug, "event_id": event.public_id, "checkin_key": event.checkin_key},
        )
    )
    context = {
        "event": event,
        "figures": selectors.event_figures(merchant=merchant, event=event),
        "signups": list(selectors.event_signups(merchant=merchant, event=event)[:500]),
        "venue_url": venue_url,
        "venue_qr": qr_svg_inline(venue_url) if event.status == EventStatus.PUBLISHED else "",
        "signup_segment_url": segment_link(event.signup_tag_name),
        "checkin_segment_url": segment_link(event.checkin_tag_name),
        "surveys": list(event.surveys.all()),
        "can_publish": event.status == EventStatus.DRAFT,
        "can_close": event.status == EventStatus.PUBLISHED,
        "can_cancel": event.status in (EventStatus.DRAFT, EventStatus.PUBLISHED),
        "editable": event.status in (EventStatus.DRAFT, EventStatus.PUBLISHED),
    }
    return render_page(request, "dashboard/engagement/event_detail.html", context)


def _event_act(request: HttpRequest, event_id: str, action: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    event = selectors.event_get(merchant=merchant, event_id=event_id)
    moves = {"publish": services.event_publish, "close": services.event_close, "cancel": services.event_cancel}
    try:
        moves[action](merchant=merchant, event=event, actor=actor_of(request))
        messages.success(request, gettext("Event updated."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:event_detail", event_id=event.public_id)


@require_POST
@staff_view("engagement.manage")
def event_publish(request: HttpRequest, event_id: str) -> HttpResponse:
    return _event_act(request, event_id, "publish")


@require_POST
@staff_view("engagement.manage")
def event_close(request: HttpRequest, event_id: str) -> HttpResponse:
    return _event_act(request, event_id, "close")


@require_POST
@staff_view("engagement.manage")
def event_cancel(request: HttpRequest, event_id: str) -> HttpResponse:
    return _event_act(request, event_id, "cancel")


# --- surveys ----------------------------------------------------------------------------------------

KINDS = {k.value for k in QuestionKind}


def parse_questions(text: str) -> list[QuestionInput]:
    """The compact editor: ``kind: question`` lines (``kind?:`` = optional), then ``- option | tag`` lines.

    single: 你喜欢哪种饮品？
    - 茶 | 爱喝茶
    - 咖啡 | 爱喝咖啡
    text?: 还有什么建议？
    rating: 给这次活动打分
    """
    questions: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("-"):
            if not questions:
                raise InvalidSurvey(gettext("Line %(n)d: an option comes after its question.") % {"n": number})
            label, _sep, tag = line[1:].partition("|")
            questions[-1]["options"].append(OptionInput(label.strip(), tag.strip()))
            continue
        head, sep, label = line.partition(":")
        if not sep:
            head, sep, label = line.partition("：")
        kind = head.strip().lower()
        required = not kind.endswith("?")
        kind = kind.rstrip("?").strip()
        if not sep or kind not in KINDS:
            raise InvalidSurvey(
                gettext("Line %(n)d: start a question with single:, multiple:, text: or rating:.") % {"n": number},
                extra={"field": "questions", "line": number},
            )
        questions.append({"kind": kind, "label": label.strip(), "required": required, "options": []})
    return [QuestionInput(q["kind"], q["label"], q["required"], q["options"]) for q in questions]


def format_questions(survey: Survey) -> str:
    lines = []
    for question in survey.questions.prefetch_related("options"):
        lines.append(f"{question.kind}{'' if question.required else '?'}: {question.label}")
        for option in question.options.all():
            lines.append(f"- {option.label}" + (f" | {option.tag_name}" if option.tag_name else ""))
    return "\n".join(lines)


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    event_id = forms.ChoiceField(label=_("Follows up the event (optional)"), required=False)
    questions = forms.CharField(
        label=_("Questions"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "One question per line as kind: text, the kind being single, multiple, text or rating (add ? for an "
            "optional question: text?: …). Options of a choice question follow on lines starting with -, "
            "optionally with | and a tag added to members who choose it: - Tea | likes-tea"
        ),
    )
    open_now = forms.BooleanField(label=_("Open at once"), required=False)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events = {e.public_id: e for e in selectors.event_list(merchant=merchant)[:100]}
        self.fields["event_id"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((eid, e.title) for eid, e in self.events.items()),
        ]


def _survey_form_page(
    request: HttpRequest, form: SurveyForm, survey: Survey | None, error: WeloopError | None = None
) -> HttpResponse:
    status = 400 if error or form.errors else 200
    context = {"form": form, "survey": survey, **error_context(error)}
    return render_page(request, "dashboard/engagement/survey_form.html", context, status=status)


def _save_survey(request: HttpRequest, merchant: Merchant, survey: Survey | None) -> HttpResponse:
    form = SurveyForm(request.POST, merchant=merchant)
    if not form.is_valid():
        return _survey_form_page(request, form, survey)
    data = form.cleaned_data
    try:
        values = SurveyInput(
            title=data["title"],
            description=data.get("description") or "",
            event=form.events.get(data.get("event_id") or ""),
            questions=parse_questions(data["questions"]),
        )
        if survey is None:
            survey = services.survey_create(
                merchant=merchant, data=values, actor=actor_of(request), open_now=bool(data.get("open_now"))
            )
        else:
            survey = services.survey_update(merchant=merchant, survey=survey, data=values, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code={"engagement.invalid_survey": ("questions",)})
        return _survey_form_page(request, form, survey, error)
    messages.success(request, gettext("Survey “%(title)s” saved.") % {"title": survey.title})
    return redirect("dashboard:survey_detail", survey_id=survey.public_id)


@require_safe
@staff_view("engagement.manage")
def survey_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    surveys = list(selectors.survey_list(merchant=merchant)[:LIST_LIMIT])
    return render_page(request, "dashboard/engagement/survey_list.html", {"surveys": surveys})


@staff_view("engagement.manage")
def survey_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method == "POST":
        return _save_survey(request, merchant, None)
    initial = {"event_id": request.GET.get("event", "")}
    return _survey_form_page(request, SurveyForm(merchant=merchant, initial=initial), None)


@staff_view("engagement.manage")
def survey_edit(request: HttpRequest, survey_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    if request.method == "POST":
        return _save_survey(request, merchant, survey)
    form = SurveyForm(
        merchant=merchant,
        initial={
            "title": survey.title,
            "description": survey.description,
            "event_id": survey.event.public_id if survey.event is not None else "",
            "questions": format_questions(survey),
        },
    )
    return _survey_form_page(request, form, survey)


@require_safe
@staff_view("engagement.manage")
def survey_detail(request: HttpRequest, survey_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    answer_url = request.build_absolute_uri(
        reverse("storefront:survey", kwargs={"merchant_slug": merchant.slug, "survey_id": survey.public_id})
    )
    context = {
        "survey": survey,
        "results": selectors.survey_results(merchant=merchant, survey=survey),
        "answer_url": answer_url,
        "answer_qr": qr_svg_inline(answer_url) if survey.status == SurveyStatus.OPEN else "",
        "can_open": survey.status in (SurveyStatus.DRAFT, SurveyStatus.CLOSED),
        "can_close": survey.status == SurveyStatus.OPEN,
    }
    return render_page(request, "dashboard/engagement/survey_detail.html", context)


@require_safe
@staff_view("engagement.manage")
def survey_export(request: HttpRequest, survey_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    response = HttpResponse(
        "\ufeff" + selectors.survey_csv(merchant=merchant, survey=survey), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{survey.public_id}.csv"'
    return response


def _survey_act(request: HttpRequest, survey_id: str, action: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    survey = selectors.survey_get(merchant=merchant, survey_id=survey_id)
    try:
        if action == "open":
            services.survey_open(merchant=merchant, survey=survey, actor=actor_of(request))
        else:
            services.survey_close(merchant=merchant, survey=survey, actor=actor_of(request))
        messages.success(request, gettext("Survey updated."))
    except WeloopError as error:
        messages.error(request, gettext(error.detail))
    return redirect("dashboard:survey_detail", survey_id=survey.public_id)


@require_POST
@staff_view("engagement.manage")
def survey_open(request: HttpRequest, survey_id: str) -> HttpResponse:
    return _survey_act(request, survey_id, "open")


@require_POST
@staff_view("engagement.manage")
def survey_close(request: HttpRequest, survey_id: str) -> HttpResponse:
    return _survey_act(request, survey_id, "close")
