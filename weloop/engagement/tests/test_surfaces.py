"""Console (events, surveys, results, CSV), H5 (sign up, cancel, my events QR, venue check-in, answer a
survey with clear errors) and the clerk check-in page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from weloop.core import clock
from weloop.engagement import services
from weloop.engagement.models import Event, EventSignup, Survey, SurveyResponse
from weloop.engagement.tests.conftest import ids
from weloop.members.models import MemberTag
from weloop.storefront.identity import member_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def sign_in(client, merchant, member):
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    return client


def h5(merchant, name, **kw):
    return reverse(f"storefront:{name}", kwargs={"merchant_slug": merchant.slug, **kw})


def local(moment):
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_console_event_create_publish_detail_and_figures(owner_client, merchant, store, make_member):
    start = clock.now() + timedelta(days=3)
    form = {
        "title": "Tea tasting",
        "venue": store.public_id,
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        "capacity": "20",
        "questions": "Your phone\n",
    }
    bad = owner_client.post(reverse("dashboard:event_create"), {**form, "ends_at": local(start)})
    assert bad.status_code == 400 and b"must end after it starts" in bad.content
    created = owner_client.post(reverse("dashboard:event_create"), form)
    assert created.status_code == 302, created.content
    event = Event.objects.get(title="Tea tasting")
    assert event.questions == [{"id": "q1", "label": "Your phone", "required": True}]
    owner_client.post(reverse("dashboard:event_publish", kwargs={"event_id": event.public_id}))
    event.refresh_from_db()
    assert event.status == "published"
    services.event_signup(merchant=merchant, event=event, member=make_member(), answers={"q1": "1"})
    page = owner_client.get(reverse("dashboard:event_detail", kwargs={"event_id": event.public_id}))
    assert page.status_code == 200
    assert b'data-testid="figure-signed-up">1<' in page.content and b"venue-qr" in page.content
    assert "活动:Tea tasting:签到".encode() in page.content and b"/dashboard/segments/new/?expression=" in page.content
    listing = owner_client.get(reverse("dashboard:event_list"))
    assert b"Tea tasting" in listing.content and store.name.encode() in listing.content
    edit = owner_client.get(reverse("dashboard:event_edit", kwargs={"event_id": event.public_id}))
    assert edit.status_code == 200
    owner_client.post(reverse("dashboard:event_cancel", kwargs={"event_id": event.public_id}))
    event.refresh_from_db()
    assert event.status == "cancelled"


def test_console_survey_editor_results_and_csv(owner_client, merchant, make_member):
    text = "single: Drink?\n- Tea | likes-tea\n- Coffee\ntext?: Anything else?\nrating: Rate us\n"
    bad = owner_client.post(reverse("dashboard:survey_create"), {"title": "S", "questions": "odd: x"})
    assert bad.status_code == 400 and b"Line 1" in bad.content
    created = owner_client.post(reverse("dashboard:survey_create"), {"title": "S", "questions": text, "open_now": "on"})
    assert created.status_code == 302, created.content
    survey = Survey.objects.get(title="S")
    assert survey.status == "open"
    questions = list(survey.questions.prefetch_related("options"))
    assert [q.kind for q in questions] == ["single", "text", "rating"] and not questions[1].required
    assert questions[0].options.get(label="Tea").tag_name == "likes-tea"
    tea = questions[0].options.get(label="Tea").public_id
    services.survey_answer(
        merchant=merchant,
        survey=survey,
        member=make_member(),
        answers={questions[0].public_id: tea, questions[1].public_id: "Great", questions[2].public_id: 5},
    )
    page = owner_client.get(reverse("dashboard:survey_detail", kwargs={"survey_id": survey.public_id}))
    assert page.status_code == 200 and b"Great" in page.content
    assert f'data-option-id="{tea}"><td>Tea'.encode() in page.content
    csv = owner_client.get(reverse("dashboard:survey_export", kwargs={"survey_id": survey.public_id}))
    assert csv["Content-Type"].startswith("text/csv") and "Tea" in csv.content.decode("utf-8-sig")
    edit = owner_client.get(reverse("dashboard:survey_edit", kwargs={"survey_id": survey.public_id}))
    assert b"- Tea | likes-tea" in edit.content
    locked = owner_client.post(
        reverse("dashboard:survey_edit", kwargs={"survey_id": survey.public_id}), {"title": "S", "questions": "text: x"}
    )
    assert locked.status_code == 400 and b"engagement.survey_locked" in locked.content
    owner_client.post(reverse("dashboard:survey_close", kwargs={"survey_id": survey.public_id}))
    survey.refresh_from_db()
    assert survey.status == "closed"
    assert owner_client.get(reverse("dashboard:survey_list")).status_code == 200


def test_clerk_cannot_open_the_console_pages(staff_client, merchant):
    clerk = staff_client(merchant, "clerk")
    assert clerk.get(reverse("dashboard:event_list")).status_code == 403


def test_h5_sign_up_my_events_qr_cancel(client, merchant, make_event, member):
    event = make_event(questions=["Phone"])
    assert event.title.encode() in client.get(h5(merchant, "events")).content
    anonymous = client.post(h5(merchant, "event_signup", event_id=event.public_id), {"q1": "1"})
    assert anonymous.status_code == 302 and not EventSignup.objects.exists()  # to WeChat sign-in
    sign_in(client, merchant, member)
    missing = client.post(h5(merchant, "event_signup", event_id=event.public_id), {"q1": ""})
    assert missing.status_code == 400 and b"engagement.invalid_answers" in missing.content
    done = client.post(h5(merchant, "event_signup", event_id=event.public_id), {"q1": "138"})
    assert done.status_code == 302
    again = client.post(h5(merchant, "event_signup", event_id=event.public_id), {"q1": "138"})
    assert again.status_code == 302 and EventSignup.objects.count() == 1
    mine = client.get(h5(merchant, "my_events"))
    signup = EventSignup.objects.get()
    assert b"<svg" in mine.content and signup.code.encode() in mine.content
    client.post(h5(merchant, "event_cancel", event_id=event.public_id))
    signup.refresh_from_db()
    assert signup.status == "cancelled"


def test_h5_venue_checkin(client, merchant, event, member):
    services.event_signup(merchant=merchant, event=event, member=member)
    sign_in(client, merchant, member)
    url = h5(merchant, "event_venue_checkin", event_id=event.public_id, checkin_key=event.checkin_key)
    assert client.get(url).status_code == 200
    early = client.post(url)
    assert early.status_code == 409 and b"engagement.checkin_not_open" in early.content
    with clock.travel(event.starts_at - clock.now()):
        done = client.post(url)
        twice = client.post(url)
    assert b'data-first="yes"' in done.content and b'data-first="no"' in twice.content
    wrong = h5(merchant, "event_venue_checkin", event_id=event.public_id, checkin_key="nope")
    assert client.post(wrong).status_code == 400


def test_h5_survey_answer_with_errors_then_once(client, merchant, survey, member):
    (q_single, q_multi, _q_text, q_rating), options = ids(survey)
    sign_in(client, merchant, member)
    url = h5(merchant, "survey_answer", survey_id=survey.public_id)
    bad = client.post(url, {q_single: options["Morning"], q_multi: [options["Evening"]]})
    assert bad.status_code == 400 and b"question-error" in bad.content
    assert b"does not belong to the question" in bad.content and b"Please give a rating" in bad.content
    assert not SurveyResponse.objects.exists()
    good = client.post(url, {q_single: options["Tea"], q_multi: [options["Evening"]], q_rating: "5"})
    assert good.status_code == 302
    assert b"survey-thanks" in client.get(h5(merchant, "survey", survey_id=survey.public_id)).content
    assert set(MemberTag.objects.filter(member=member).values_list("tag__name", flat=True)) == {
        "likes-tea",
        "evening-visitor",
    }


def test_h5_draft_event_and_survey_are_404(client, merchant, make_event, make_survey):
    draft = make_event(publish=False)
    assert client.get(h5(merchant, "event", event_id=draft.public_id)).status_code == 404
    survey = make_survey(open_now=False)
    assert client.get(h5(merchant, "survey", survey_id=survey.public_id)).status_code == 404


def test_clerk_checkin_page(staff_client, merchant, make_event, member, store):
    event = make_event(starts_in=timedelta(minutes=30))
    signup, _ = services.event_signup(merchant=merchant, event=event, member=member)
    clerk = staff_client(merchant, "owner")
    url = reverse("clerk:event_checkin")
    page = clerk.get(url)
    assert page.status_code == 200 and event.title.encode() in page.content
    wrong = clerk.post(url, {"event": event.public_id, "code": "1234567890"})
    assert wrong.status_code == 400 and b"engagement.invalid_checkin_code" in wrong.content
    first = clerk.post(url, {"event": event.public_id, "code": services.checkin_token(signup)})
    second = clerk.post(url, {"event": event.public_id, "code": signup.code})
    assert b'data-first="yes"' in first.content and b'data-first="no"' in second.content
    event.refresh_from_db()
    assert event.checked_in_count == 1
