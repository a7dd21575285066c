"""/api/v1/stores: create, read, list, update, status, dated exceptions, and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from weloop.core import clock
from weloop.stores.models import HoursException, OpeningHours, Store

pytestmark = pytest.mark.django_db

# --- create ------------------------------------------------------------------------------------


def test_create_store_returns_201_and_the_store(call, store_body, merchant):
    response = call("POST", "/stores", store_body())
    assert response.status_code == 201, response.content
    body = response.json()
    store = Store.objects.for_merchant(merchant).get()
    assert body["id"] == store.public_id and body["id"].startswith("st_")
    assert body["name"] == "Nanshan corner"
    assert body["district"] == "Nanshan"
    assert (body["latitude"], body["longitude"]) == ("22.540503", "113.934528")
    assert body["status"] == "active"
    assert isinstance(body["is_open_now"], bool)
    assert body["hours"][0] == {"weekday": 0, "opens": "08:00", "closes": "21:30"}
    assert len(body["hours"]) == 5
    assert set(body) == {
        "id", "name", "address", "city", "district", "latitude", "longitude",
        "phone", "status", "is_open_now", "hours", "created_at", "updated_at",
    }  # fmt: skip


def test_create_store_accepts_coordinates_as_strings(call, store_body):
    response = call("POST", "/stores", store_body(latitude="22.5", longitude="-113.25"))
    assert response.status_code == 201, response.content
    assert (response.json()["latitude"], response.json()["longitude"]) == ("22.500000", "-113.250000")


def test_create_store_without_optional_fields(call, merchant):
    body = {"name": "Kiosk", "address": "Pier 1", "city": "Shenzhen", "latitude": 0, "longitude": 0}
    response = call("POST", "/stores", body)
    assert response.status_code == 201, response.content
    assert response.json()["hours"] == []
    assert response.json()["latitude"] == "0.000000"
    assert response.json()["is_open_now"] is False  # no hours: never open


def test_create_store_keeps_chinese_text_readable(call, store_body):
    response = call("POST", "/stores", store_body(name="福田旗舰店"))
    assert response.status_code == 201
    assert "福田旗舰店".encode() in response.content


def test_is_open_now_follows_hours_in_local_time(call, store_body):
    # given a Monday at 10:00 local time
    monday_ten = timezone.make_aware(dt.datetime(2026, 1, 5, 10, 0))
    with clock.frozen_at(monday_ten):
        open_store = call("POST", "/stores", store_body(name="A")).json()
        closed_today = call(
            "POST", "/stores", store_body(name="B", hours=[{"weekday": 1, "opens": "08:00", "closes": "22:00"}])
        )
    assert open_store["is_open_now"] is True
    assert closed_today.json()["is_open_now"] is False


# --- refused input: the service's codes, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (91, 114),
        (-90.000001, 114),
        (22.5, 180.5),
        ("abc", 114),
        ("NaN", 114),
        ("Infinity", 114),
        (22.5, None),
        (22.5, "1e999"),
        ([22.5], 114),
        (True, 114),
    ],
)
def test_create_store_bad_coordinates_is_400(call, store_body, merchant, latitude, longitude):
    response = call("POST", "/stores", store_body(latitude=latitude, longitude=longitude))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "stores.invalid_coordinates"
    assert not Store.objects.for_merchant(merchant).exists()


def test_create_store_nan_json_literal_is_invalid_coordinates(call, store_body, merchant):
    # Python's JSON parser accepts the non-standard NaN literal; the service still refuses it.
    raw = b'{"name": "X", "address": "A", "city": "C", "latitude": NaN, "longitude": 114}'
    response = call("POST", "/stores", raw=raw)
    assert response.status_code == 400
    assert response.json()["code"] == "stores.invalid_coordinates"


@pytest.mark.parametrize(
    "hours",
    [
        [{"weekday": 7, "opens": "08:00", "closes": "22:00"}],
        [{"weekday": -1, "opens": "08:00", "closes": "22:00"}],
        [{"weekday": 0, "opens": "25:00", "closes": "22:00"}],
        [{"weekday": 0, "opens": "8am", "closes": "22:00"}],
        [{"weekday": 0, "opens": "09:00", "closes": "09:00"}],
    ],
)
def test_create_store_bad_hours_is_400(call, store_body, merchant, hours):
    response = call("POST", "/stores", store_body(hours=hours))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "stores.invalid_opening_hours"
    assert not Store.objects.for_merchant(merchant).exists()


@pytest.mark.parametrize(
    "hours",
    [
        [{"weekday": 0, "opens": "08:00", "closes": "14:00"}, {"weekday": 0, "opens": "13:00", "closes": "20:00"}],
        # Monday's overnight period runs into Tuesday morning's
        [{"weekday": 0, "opens": "20:00", "closes": "03:00"}, {"weekday": 1, "opens": "02:00", "closes": "10:00"}],
        # Sunday night wraps into Monday morning
        [{"weekday": 6, "opens": "22:00", "closes": "02:00"}, {"weekday": 0, "opens": "01:00", "closes": "09:00"}],
    ],
)
def test_create_store_overlapping_hours_is_400(call, store_body, merchant, hours):
    response = call("POST", "/stores", store_body(hours=hours))
    assert response.status_code == 400
    assert response.json()["code"] == "stores.invalid_opening_hours"
    assert not OpeningHours.objects.for_merchant(merchant).exists()


def test_create_store_duplicate_name_is_400_name_taken(call, store_body, store, merchant):
    response = call("POST", "/stores", store_body(name=store.name))
    assert response.status_code == 400
    assert response.json()["code"] == "stores.name_taken"
    assert Store.objects.for_merchant(merchant).count() == 1


def test_create_store_same_name_as_another_merchants_store_is_fine(call, store_body, make_store, other_merchant):
    make_store(other_merchant, name="Nanshan corner")
    assert call("POST", "/stores", store_body()).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": "   "}, "name"), ({"city": "x" * 41}, "city"), ({"phone": "call me"}, "phone")],
)
def test_create_store_bad_text_is_400_invalid_store(call, store_body, changes, field):
    response = call("POST", "/stores", store_body(**changes))
    assert response.status_code == 400
    assert response.json()["code"] == "stores.invalid_store"
    assert response.json()["extra"]["field"] == field


def test_create_store_missing_field_is_422_naming_it(call, store_body):
    body = store_body()
    del body["city"]
    response = call("POST", "/stores", body)
    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    assert response.json()["message"].startswith("city:")
    assert response.json()["extra"]["errors"][0]["field"] == "city"


def test_create_store_wrong_type_in_hours_is_422_naming_the_path(call, store_body):
    response = call("POST", "/stores", store_body(hours=[{"weekday": "monday", "opens": "08:00", "closes": "20:00"}]))
    assert response.status_code == 422
    assert response.json()["message"].startswith("hours[0].weekday:")


def test_create_store_unknown_field_is_422(call, store_body, merchant):
    response = call("POST", "/stores", store_body(lat=22.5))
    assert response.status_code == 422
    assert response.json()["extra"]["errors"][0] == {
        "field": "lat",
        "loc": ["body", "payload", "lat"],
        "message": "Extra inputs are not permitted",
        "type": "extra_forbidden",
    }
    assert not Store.objects.for_merchant(merchant).exists()


# --- read and list -----------------------------------------------------------------------------


def test_get_store(call, store):
    response = call("GET", f"/stores/{store.public_id}")
    assert response.status_code == 200
    assert response.json()["id"] == store.public_id
    assert len(response.json()["hours"]) == 7


def test_get_unknown_store_is_404(call):
    response = call("GET", "/stores/st_0000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_stores_paginates_with_a_total(call, make_store, merchant):
    made = [make_store(merchant, name=f"Store {i}").public_id for i in range(5)]
    first = call("GET", "/stores?limit=2").json()
    second = call("GET", "/stores?limit=2&offset=2").json()
    last = call("GET", "/stores?limit=2&offset=4").json()
    assert first["count"] == second["count"] == last["count"] == 5
    assert [s["id"] for s in first["items"] + second["items"] + last["items"]] == made


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "limit=ten"])
def test_list_stores_bad_page_is_422(call, query):
    response = call("GET", f"/stores?{query}")
    assert response.status_code == 422
    assert response.json()["message"].split(":")[0] in {"limit", "offset"}


def test_list_stores_filters(call, make_store, merchant):
    futian = make_store(merchant, name="Futian", city="Shenzhen", address="1 Fuhua Road")
    make_store(merchant, name="Tianhe", city="Guangzhou")
    paused = make_store(merchant, name="Luohu", city="Shenzhen")
    call("POST", f"/stores/{paused.public_id}/status", {"status": "paused"})

    def ids(query: str) -> list[str]:
        return [s["id"] for s in call("GET", f"/stores?{query}").json()["items"]]

    assert ids("city=Shenzhen") == [futian.public_id, paused.public_id]
    assert ids("status=paused") == [paused.public_id]
    assert ids("q=fuhua") == [futian.public_id]
    assert ids("q=luo&city=Shenzhen") == [paused.public_id]
    assert call("GET", "/stores?status=gone").status_code == 422


def test_list_stores_shows_only_the_merchants_own(call, make_store, store, other_merchant):
    make_store(other_merchant, name="Rival store")
    body = call("GET", "/stores").json()
    assert body["count"] == 1
    assert [s["id"] for s in body["items"]] == [store.public_id]


# --- update ------------------------------------------------------------------------------------


def test_patch_changes_only_given_fields(call, store):
    response = call("PATCH", f"/stores/{store.public_id}", {"name": "Futian renamed", "phone": "123456"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["phone"], body["city"]) == ("Futian renamed", "123456", "Shenzhen")
    assert len(body["hours"]) == 7
    store.refresh_from_db()
    assert store.name == "Futian renamed"


def test_patch_hours_replaces_the_week(call, store):
    week = [{"weekday": 5, "opens": "10:00", "closes": "02:00"}]
    response = call("PATCH", f"/stores/{store.public_id}", {"hours": week})
    assert response.json()["hours"] == week
    assert call("GET", f"/stores/{store.public_id}").json()["hours"] == week


def test_patch_empty_hours_closes_every_day(call, store):
    assert call("PATCH", f"/stores/{store.public_id}", {"hours": []}).json()["hours"] == []


def test_patch_one_coordinate(call, store):
    body = call("PATCH", f"/stores/{store.public_id}", {"latitude": "23.1"}).json()
    assert (body["latitude"], body["longitude"]) == ("23.100000", "114.057865")


def test_patch_nothing_is_a_no_op(call, store):
    response = call("PATCH", f"/stores/{store.public_id}", {})
    assert response.status_code == 200
    assert response.json()["name"] == store.name


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"latitude": 100}, "stores.invalid_coordinates"),
        ({"longitude": "east"}, "stores.invalid_coordinates"),
        ({"hours": [{"weekday": 0, "opens": "10:00", "closes": "12:00"}] * 2}, "stores.invalid_opening_hours"),
        ({"name": ""}, "stores.invalid_store"),
    ],
)
def test_patch_refused_changes_nothing(call, store, patch, code):
    before = call("GET", f"/stores/{store.public_id}").json()
    response = call("PATCH", f"/stores/{store.public_id}", patch)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert call("GET", f"/stores/{store.public_id}").json() == before


def test_patch_to_another_stores_name_is_name_taken(call, make_store, merchant, store):
    other = make_store(merchant, name="Second")
    response = call("PATCH", f"/stores/{other.public_id}", {"name": store.name})
    assert response.status_code == 400
    assert response.json()["code"] == "stores.name_taken"


# --- status ------------------------------------------------------------------------------------


def test_status_pause_and_reopen(call, store):
    paused = call("POST", f"/stores/{store.public_id}/status", {"status": "paused", "reason": "renovation"})
    assert paused.status_code == 200, paused.content
    assert paused.json()["status"] == "paused"
    assert paused.json()["is_open_now"] is False
    active = call("POST", f"/stores/{store.public_id}/status", {"status": "active"})
    assert active.json()["status"] == "active"


def test_status_forbidden_transition_is_409(call, store):
    response = call("POST", f"/stores/{store.public_id}/status", {"status": "active"})
    assert response.status_code == 409
    assert response.json()["code"] == "state.invalid_transition"
    assert response.json()["extra"] == {"machine": "store", "from": "active", "to": "active"}


def test_status_closed_store_cannot_be_paused(call, store):
    call("POST", f"/stores/{store.public_id}/status", {"status": "closed"})
    response = call("POST", f"/stores/{store.public_id}/status", {"status": "paused"})
    assert response.status_code == 409
    store.refresh_from_db()
    assert store.status == "closed"


def test_status_unknown_value_is_422(call, store):
    response = call("POST", f"/stores/{store.public_id}/status", {"status": "demolished"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("status:")


# --- dated exceptions --------------------------------------------------------------------------


def test_exceptions_put_list_and_delete(call, store):
    base = f"/stores/{store.public_id}/exceptions"
    closed = call("PUT", f"{base}/2026-02-17", {"is_closed": True, "note": "Spring Festival"})
    assert closed.status_code == 200, closed.content
    assert closed.json() == {
        "date": "2026-02-17",
        "is_closed": True,
        "opens": None,
        "closes": None,
        "note": "Spring Festival",
    }
    special = call("PUT", f"{base}/2026-02-18", {"is_closed": False, "opens": "10:00", "closes": "16:00"})
    assert special.json()["opens"] == "10:00"
    listed = call("GET", base).json()
    assert [e["date"] for e in listed] == ["2026-02-17", "2026-02-18"]
    assert [e["date"] for e in call("GET", f"{base}?since=2026-02-18").json()] == ["2026-02-18"]

    deleted = call("DELETE", f"{base}/2026-02-17")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert [e["date"] for e in call("GET", base).json()] == ["2026-02-18"]
    assert call("DELETE", f"{base}/2026-02-17").status_code == 204  # already gone: still fine


def test_exception_put_replaces_the_days_exception(call, store):
    path = f"/stores/{store.public_id}/exceptions/2026-05-01"
    call("PUT", path, {"is_closed": True})
    call("PUT", path, {"is_closed": False, "opens": "09:00", "closes": "12:00", "note": "Labour Day"})
    assert HoursException.objects.filter(store=store).count() == 1
    assert call("GET", f"/stores/{store.public_id}/exceptions").json()[0]["note"] == "Labour Day"


def test_exception_closed_today_makes_store_not_open_now(call, store):
    today = timezone.localdate(clock.now()).isoformat()
    call("PUT", f"/stores/{store.public_id}/exceptions/{today}", {"is_closed": True})
    assert call("GET", f"/stores/{store.public_id}").json()["is_open_now"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"is_closed": False},
        {"is_closed": False, "opens": "10:00"},
        {"is_closed": False, "opens": "9", "closes": "10:00"},
    ],
)
def test_exception_special_hours_need_valid_times(call, store, body):
    response = call("PUT", f"/stores/{store.public_id}/exceptions/2026-02-17", body)
    assert response.status_code == 400
    assert response.json()["code"] == "stores.invalid_opening_hours"
    assert not HoursException.objects.filter(store=store).exists()


@pytest.mark.parametrize("day", ["2026-02-30", "tomorrow", "17-02-2026"])
def test_exception_bad_date_is_422(call, store, day):
    response = call("PUT", f"/stores/{store.public_id}/exceptions/{day}", {"is_closed": True})
    assert response.status_code == 422
    assert response.json()["message"].startswith("date:")


# --- another merchant's store: a 404 on every operation, and nothing changes -------------------

_EVERY_STORE_OPERATION = [
    ("GET", "/stores/{id}", None),
    ("PATCH", "/stores/{id}", {"name": "Hijacked"}),
    ("POST", "/stores/{id}/status", {"status": "paused"}),
    ("GET", "/stores/{id}/exceptions", None),
    ("PUT", "/stores/{id}/exceptions/2026-02-17", {"is_closed": True}),
    ("DELETE", "/stores/{id}/exceptions/2026-02-17", None),
]


@pytest.mark.parametrize(("method", "template", "body"), _EVERY_STORE_OPERATION)
def test_another_merchants_store_is_404(call, make_store, other_merchant, method, template, body):
    # given a store of another merchant, with an exception on that date
    theirs = make_store(other_merchant, name="Their store")
    HoursException.objects.create(merchant=other_merchant, store=theirs, date=dt.date(2026, 2, 17), note="theirs")
    # when our key addresses it
    response = call(method, template.format(id=theirs.public_id), body)
    # then it does not exist for us, and nothing of theirs changed
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert theirs.public_id not in response.content.decode()
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status) == ("Their store", "active")
    assert HoursException.objects.get(store=theirs).note == "theirs"


def test_every_store_operation_is_covered_by_the_isolation_test(client):
    # The list above must keep up with the router: a new store operation fails this test.
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {
        (method.upper(), path.replace("/api/v1", "").replace("{store_id}", "{id}").replace("{date}", "2026-02-17"))
        for path, operations in paths.items()
        if "{store_id}" in path and path.startswith("/api/v1/stores")  # other resources test their own
        for method in operations
    }
    assert documented == {(method, template) for method, template, _ in _EVERY_STORE_OPERATION}
