"""/api/v1/events and /api/v1/surveys: create, list, get, transitions, sign-ups, check-ins, responses."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.engagement.tests.conftest import ids

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_event_lifecycle_through_the_api(api_client, store, make_member):
    start = clock.now() + timedelta(days=1)
    body = {
        "title": "Cupping",
        "store_id": store.public_id,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 1,
        "questions": ["Phone"],
    }
    created = post(api_client, "/api/v1/events", body)
    assert created.status_code == 201, created.content
    event = created.json()
    assert event["status"] == "draft" and event["checkin_tag"] == "活动:Cupping:签到"
    published = post(api_client, f"/api/v1/events/{event['id']}/transitions", {"action": "publish"})
    assert published.json()["status"] == "published"

    member, other = make_member(), make_member()
    path = f"/api/v1/events/{event['id']}/signups"
    missing = post(api_client, path, {"openid": member.openid})
    assert missing.status_code == 400 and missing.json()["code"] == "engagement.invalid_answers"
    first = post(api_client, path, {"openid": member.openid, "answers": {"q1": "138"}})
    again = post(api_client, path, {"openid": member.openid, "answers": {"q1": "138"}})
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    full = post(api_client, path, {"openid": other.openid, "answers": {"q1": "1"}})
    assert full.status_code == 409 and full.json()["code"] == "engagement.event_full"
    listed = api_client.get(path).json()
    assert [s["member_id"] for s in listed["items"]] == [member.public_id]

    code = first.json()["code"]
    with clock.travel(timedelta(days=1, minutes=5)):
        checked = post(api_client, f"/api/v1/events/{event['id']}/checkins", {"code": code})
        twice = post(api_client, f"/api/v1/events/{event['id']}/checkins", {"code": code})
    assert checked.json()["first"] is True and twice.json()["first"] is False
    assert api_client.get(f"/api/v1/events/{event['id']}").json()["checked_in"] == 1
    bad = post(api_client, f"/api/v1/events/{event['id']}/transitions", {"action": "publish"})
    assert bad.status_code == 409 and bad.json()["code"] == "state.invalid_transition"
    assert api_client.get("/api/v1/events?status=published").json()["items"][0]["id"] == event["id"]


def test_event_validation_is_a_400(api_client):
    start = clock.now() + timedelta(days=1)
    body = {"title": "x", "address": "", "starts_at": start.isoformat(), "ends_at": start.isoformat(), "capacity": 5}
    response = post(api_client, "/api/v1/events", body)
    assert response.status_code == 400 and response.json()["code"] == "engagement.invalid_event"


def test_survey_through_the_api(api_client, make_member):
    body = {
        "title": "Taste",
        "open": True,
        "questions": [
            {"kind": "single", "label": "Drink?", "options": [{"label": "Tea", "tag": "tea-fan"}, {"label": "Coffee"}]},
            {"kind": "rating", "label": "Rate", "required": False},
        ],
    }
    created = post(api_client, "/api/v1/surveys", body)
    assert created.status_code == 201, created.content
    survey = created.json()
    question = survey["questions"][0]
    member = make_member()
    path = f"/api/v1/surveys/{survey['id']}/responses"
    wrong = post(api_client, path, {"openid": member.openid, "answers": {question["id"]: "so_nope"}})
    assert wrong.status_code == 400 and question["id"] in wrong.json()["extra"]["fields"]
    answer = {"openid": member.openid, "answers": {question["id"]: question["options"][0]["id"]}}
    first, again = post(api_client, path, answer), post(api_client, path, answer)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["answers"] == {question["id"]: [question["options"][0]["id"]]}
    got = api_client.get(f"/api/v1/surveys/{survey['id']}").json()
    assert got["responses"] == 1 and got["questions"][0]["options"][0]["count"] == 1
    assert api_client.get(path).json()["items"][0]["member_id"] == member.public_id
    assert len(api_client.get("/api/v1/surveys").json()["items"]) == 1


def test_bad_survey_is_a_400(api_client):
    body = {"title": "T", "questions": [{"kind": "single", "label": "Only one", "options": [{"label": "a"}]}]}
    response = post(api_client, "/api/v1/surveys", body)
    assert response.status_code == 400 and response.json()["code"] == "engagement.invalid_survey"


def test_another_merchants_event_is_a_404(api_client, make_event, other_merchant):
    event = make_event(m=other_merchant)
    assert api_client.get(f"/api/v1/events/{event.public_id}").status_code == 404


def test_fixture_ids_helper_is_consistent(survey):
    questions, options = ids(survey)
    assert len(questions) == 4 and "Tea" in options
