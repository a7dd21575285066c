"""Offline events (活动) with sign-up and QR check-in, and surveys whose answers feed member tags.

``Event.signed_up_count`` never exceeds ``capacity``: a sign-up takes a seat with one conditional
UPDATE (``signed_up_count < capacity``) and a CHECK constraint backs it, on SQLite and PostgreSQL.
A check-in is one conditional UPDATE of ``EventSignup.checked_in_at`` (``IS NULL``), so two
concurrent scans of one code check in once.

Survey questions and options are rows with public ids; a response is one per (survey, member)
(unique constraint) and its answers are written in the same transaction as the response.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.engagement.enums import EventStatus, QuestionKind, SignupStatus, SurveyStatus


class Event(TenantModel):
    URL_KWARG = "event_id"

    public_id = public_id_field("ev_")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, default="")
    store = models.ForeignKey("stores.Store", on_delete=models.RESTRICT, null=True, blank=True, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    signup_opens_at = models.DateTimeField(_("sign-up opens"), null=True, blank=True)
    signup_closes_at = models.DateTimeField(_("sign-up closes"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    signed_up_count = models.PositiveIntegerField(default=0)
    checked_in_count = models.PositiveIntegerField(default=0)
    # [{"id": "q1", "label": "...", "required": bool}]: free-text questions asked at sign-up
    questions = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    # Secret part of the venue check-in link (a member scanning it while signed in checks in).
    checkin_key = models.CharField(max_length=32)
    signup_tag_name = models.CharField(max_length=30, blank=True, default="")
    checkin_tag_name = models.CharField(max_length=30, blank=True, default="")
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="event_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(signed_up_count__lte=F("capacity")), name="event_never_over_capacity"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class EventSignup(TenantModel):
    URL_KWARG = "signup_id"

    public_id = public_id_field("es_")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signups")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP)
    # The code a clerk types (the member's QR carries it signed); unique per merchant.
    code = models.CharField(max_length=12)
    answers = models.JSONField(default=dict, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.CharField(max_length=150, blank=True, default="")
    checkin_method = models.CharField(max_length=16, blank=True, default="")  # "clerk" | "venue_qr" | "api"
    created_at = models.DateTimeField(default=clock.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="event_signup_public_id"),
            models.UniqueConstraint(fields=["merchant", "event", "member"], name="event_signup_once_per_member"),
            models.UniqueConstraint(fields=["merchant", "code"], name="event_signup_code_unique"),
        ]


class Survey(TenantModel):
    URL_KWARG = "survey_id"

    public_id = public_id_field("sv_")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="surveys")
    response_count = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "public_id"], name="survey_public_id_per_merchant")]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(TenantModel):
    public_id = public_id_field("sq_")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    label = models.CharField(max_length=200)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "public_id"], name="survey_question_public_id")]


class SurveyOption(TenantModel):
    public_id = public_id_field("so_")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=120)
    tag_name = models.CharField(max_length=30, blank=True, default="")  # answering adds this member tag

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "public_id"], name="survey_option_public_id")]


class SurveyResponse(TenantModel):
    public_id = public_id_field("sr_")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="survey_response_public_id"),
            models.UniqueConstraint(fields=["merchant", "survey", "member"], name="survey_response_once_per_member"),
        ]


class SurveyAnswer(TenantModel):
    """One chosen option, or the text / rating of a question, within a response."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(SurveyOption, on_delete=models.CASCADE, null=True, blank=True, related_name="answers")
    text = models.TextField(blank=True, default="")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="survey_answer_rating_1_to_5"
            )
        ]
