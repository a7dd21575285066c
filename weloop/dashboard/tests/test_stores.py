from __future__ import annotations

import datetime as dt
import re

import pytest

from weloop.core import clock
from weloop.dashboard.tests.conftest import error_code
from weloop.stores.models import HoursException, OpeningHours, Store
from weloop.stores.selectors import store_periods

VALID = {
    "name": "Nanshan corner",
    "city": "Shenzhen",
    "district": "Nanshan",
    "address": "33 Wenxin 5th Road",
    "phone": "0755-1234 5678",
    "latitude": "22.517045",
    "longitude": "113.935922",
    "hours_0": "08:00-22:00",
    "hours_4": ["08:00-12:00", "18:00-02:00"],  # Friday: split, and overnight
}


def _periods(store) -> list[tuple[int, str, str]]:
    return [(p.weekday, f"{p.opens:%H:%M}", f"{p.closes:%H:%M}") for p in store_periods(store)]


# --- list -------------------------------------------------------------------------------------


def test_store_list_rows_search_and_status_filter(client, merchant, login_as, make_store):
    a = make_store(merchant, name="Futian flagship", address="1 Shennan Avenue")
    b = make_store(merchant, name="Luohu mall", address="1881 Baoan South Road")
    login_as(merchant, "clerk")

    body = client.get("/dashboard/stores/").content.decode()
    assert body.count('data-testid="store-row"') == 2
    assert f'data-store-id="{a.public_id}"' in body

    body = client.get("/dashboard/stores/?q=baoan").content.decode()
    assert f'data-store-id="{b.public_id}"' in body
    assert f'data-store-id="{a.public_id}"' not in body

    Store.objects.filter(pk=a.pk).update(status="paused")
    body = client.get("/dashboard/stores/?status=paused").content.decode()
    assert f'data-store-id="{a.public_id}"' in body
    assert f'data-store-id="{b.public_id}"' not in body


def test_clerk_sees_stores_without_create_or_edit(client, merchant, login_as, store):
    login_as(merchant, "clerk")
    body = client.get("/dashboard/stores/").content.decode()
    assert 'data-testid="store-new"' not in body
    assert 'data-testid="store-row-edit"' not in body
    assert 'data-testid="store-status-paused"' not in body
    response = client.get("/dashboard/stores/new/")
    assert response.status_code == 403
    assert error_code(response) == "tenants.role_forbidden"


# --- create -----------------------------------------------------------------------------------


def test_store_form_has_stable_test_ids(client, merchant, login_as):
    login_as(merchant, "owner")
    body = client.get("/dashboard/stores/new/").content.decode()
    for testid in ("store-form", "store-name", "store-city", "store-address", "store-latitude", "store-longitude"):
        assert f'data-testid="{testid}"' in body
    for weekday in range(7):
        assert f'data-testid="store-hours-{weekday}"' in body
    assert 'data-testid="store-save"' in body


def test_create_store_saves_fields_and_weekly_hours(client, merchant, login_as):
    login_as(merchant, "admin")
    response = client.post("/dashboard/stores/new/", VALID)
    store = Store.objects.for_merchant(merchant).get()
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/stores/{store.public_id}/"
    assert (store.name, store.district, store.phone) == ("Nanshan corner", "Nanshan", "0755-1234 5678")
    assert str(store.latitude) == "22.517045"
    assert _periods(store) == [(0, "08:00", "22:00"), (4, "08:00", "12:00"), (4, "18:00", "02:00")]
    detail = client.get(response["Location"]).content.decode()
    assert "Nanshan corner" in detail and 'data-testid="store-today-hours"' in detail


def test_create_store_with_bad_coordinates_shows_the_error_and_writes_nothing(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post("/dashboard/stores/new/", {**VALID, "latitude": "200"})
    assert response.status_code == 400
    assert error_code(response) == "stores.invalid_coordinates"
    body = response.content.decode()
    assert 'data-testid="field-error-latitude"' in body
    assert 'value="Nanshan corner"' in body  # what was typed is kept
    assert not Store.objects.for_merchant(merchant).exists()
    assert not OpeningHours.objects.for_merchant(merchant).exists()


@pytest.mark.parametrize(
    ("hours", "message"),
    [({"hours_2": "8am-5pm"}, "HH:MM-HH:MM"), ({"hours_2": ["08:00-12:00", "11:00-14:00"]}, "overlap")],
)
def test_create_store_with_bad_hours_shows_the_error_and_writes_nothing(client, merchant, login_as, hours, message):
    login_as(merchant, "owner")
    response = client.post("/dashboard/stores/new/", {**VALID, **hours}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert error_code(response) == "stores.invalid_opening_hours"
    assert message in response.content.decode()
    assert 'data-testid="hours-error"' in response.content.decode()
    assert not Store.objects.for_merchant(merchant).exists()


def test_create_store_with_a_missing_name_is_refused(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post("/dashboard/stores/new/", {**VALID, "name": ""})
    assert response.status_code == 400
    assert 'data-testid="field-error-name"' in response.content.decode()
    assert not Store.objects.for_merchant(merchant).exists()


def test_create_store_with_a_taken_name_marks_the_name(client, merchant, login_as, make_store):
    make_store(merchant, name="Nanshan corner")
    login_as(merchant, "owner")
    response = client.post("/dashboard/stores/new/", VALID)
    assert response.status_code == 400
    assert error_code(response) == "stores.name_taken"
    assert 'data-testid="field-error-name"' in response.content.decode()
    assert Store.objects.for_merchant(merchant).count() == 1


def test_add_period_button_without_javascript_adds_a_box_and_saves_nothing(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.post("/dashboard/stores/new/", {**VALID, "add_hours_row": "4"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('name="hours_4"') == 3  # the two typed periods and a new empty box
    assert 'value="18:00-02:00"' in body and 'value="Nanshan corner"' in body
    assert 'data-testid="form-error"' not in body
    assert not Store.objects.for_merchant(merchant).exists()


def test_hours_row_partial_for_htmx(client, merchant, login_as):
    login_as(merchant, "owner")
    response = client.get("/dashboard/stores/hours-row/?weekday=3", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'name="hours_3"' in response.content.decode()
    assert client.get("/dashboard/stores/hours-row/?weekday=9").status_code == 400


# --- edit -------------------------------------------------------------------------------------


def test_edit_store_changes_fields_and_replaces_hours(client, merchant, login_as, store):
    login_as(merchant, "owner")
    form = client.get(f"/dashboard/stores/{store.public_id}/edit/").content.decode()
    assert 'value="Futian flagship"' in form and 'value="08:00-22:00"' in form
    data = {**VALID, "name": "Futian renamed", "hours_4": "", "hours_0": "09:00-18:00, 19:00-23:00"}
    response = client.post(f"/dashboard/stores/{store.public_id}/edit/", data)
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.name == "Futian renamed"
    assert _periods(store) == [(0, "09:00", "18:00"), (0, "19:00", "23:00")]


def test_edit_store_with_bad_coordinates_changes_nothing(client, merchant, login_as, store):
    login_as(merchant, "owner")
    before = _periods(store)
    response = client.post(
        f"/dashboard/stores/{store.public_id}/edit/", {**VALID, "name": "Renamed", "longitude": "east"}
    )
    assert response.status_code == 400
    assert error_code(response) == "stores.invalid_coordinates"
    store.refresh_from_db()
    assert store.name == "Futian flagship"
    assert _periods(store) == before


def test_store_manager_edits_only_the_assigned_store(client, merchant, login_as, make_store):
    mine = make_store(merchant, name="Mine")
    theirs = make_store(merchant, name="Theirs")
    login_as(merchant, "store_manager", stores=[mine])

    assert client.get(f"/dashboard/stores/{mine.public_id}/edit/").status_code == 200
    response = client.post(f"/dashboard/stores/{theirs.public_id}/edit/", {**VALID, "name": "Hijacked"})
    assert response.status_code == 403
    assert error_code(response) == "tenants.role_forbidden"
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"

    body = client.get("/dashboard/stores/").content.decode()
    row_mine = body.split(f'data-store-id="{mine.public_id}"')[1].split("</tr>")[0]
    row_theirs = body.split(f'data-store-id="{theirs.public_id}"')[1].split("</tr>")[0]
    assert 'data-testid="store-row-edit"' in row_mine
    assert 'data-testid="store-row-edit"' not in row_theirs


# --- status -----------------------------------------------------------------------------------


def test_pause_and_resume_with_a_plain_form(client, merchant, login_as, store):
    login_as(merchant, "owner")
    response = client.post(
        f"/dashboard/stores/{store.public_id}/status/", {"status": "paused", "next": "/dashboard/stores/?q=x"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/stores/?q=x"
    store.refresh_from_db()
    assert store.status == "paused"


def test_status_change_by_htmx_returns_the_status_widget(client, merchant, login_as, store):
    login_as(merchant, "owner")
    response = client.post(f"/dashboard/stores/{store.public_id}/status/", {"status": "paused"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="store-status')
    assert 'data-status="paused"' in body and 'data-testid="store-status-active"' in body


def test_invalid_status_change_shows_the_error(client, merchant, login_as, store):
    login_as(merchant, "owner")
    response = client.post(f"/dashboard/stores/{store.public_id}/status/", {"status": "active"})
    assert response.status_code == 409
    assert error_code(response) == "state.invalid_transition"
    response = client.post(f"/dashboard/stores/{store.public_id}/status/", {"status": "active"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert 'data-error-code="state.invalid_transition"' in response.content.decode()


def test_store_manager_may_pause_but_not_close(client, merchant, login_as, store):
    login_as(merchant, "store_manager", stores=[store])
    body = client.get(f"/dashboard/stores/{store.public_id}/").content.decode()
    assert 'data-testid="store-status-paused"' in body
    assert 'data-testid="store-status-closed"' not in body
    response = client.post(f"/dashboard/stores/{store.public_id}/status/", {"status": "closed"})
    assert response.status_code == 403
    store.refresh_from_db()
    assert store.status == "active"
    assert client.post(f"/dashboard/stores/{store.public_id}/status/", {"status": "paused"}).status_code == 302


def test_status_change_is_post_only(client, merchant, login_as, store):
    login_as(merchant, "owner")
    assert client.get(f"/dashboard/stores/{store.public_id}/status/").status_code == 405


# --- detail and exceptions --------------------------------------------------------------------


def test_detail_shows_open_now_and_todays_hours(client, merchant, login_as, store):
    login_as(merchant, "clerk")
    noon = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with clock.frozen_at(noon):
        body = client.get(f"/dashboard/stores/{store.public_id}/").content.decode()
    assert 'data-testid="store-open-now"' in body
    assert re.search(r'data-testid="store-today-hours">08:00–22:00<', body)
    midnight = noon.replace(hour=23, minute=30)
    with clock.frozen_at(midnight):
        body = client.get(f"/dashboard/stores/{store.public_id}/").content.decode()
    assert 'data-testid="store-closed-now"' in body


def test_add_and_remove_a_closed_day(client, merchant, login_as, store):
    login_as(merchant, "owner")
    day = (clock.today_local() + dt.timedelta(days=3)).date().isoformat()
    response = client.post(
        f"/dashboard/stores/{store.public_id}/exceptions/", {"date": day, "kind": "closed", "note": "Stocktake"}
    )
    assert response.status_code == 302
    exception = HoursException.objects.for_merchant(merchant).get(store=store)
    assert exception.is_closed and exception.note == "Stocktake"
    assert f'data-date="{day}"' in client.get(f"/dashboard/stores/{store.public_id}/").content.decode()

    response = client.post(f"/dashboard/stores/{store.public_id}/exceptions/remove/", {"date": day})
    assert response.status_code == 302
    assert not HoursException.objects.for_merchant(merchant).exists()


def test_special_hours_need_both_times(client, merchant, login_as, store):
    login_as(merchant, "owner")
    day = (clock.today_local() + dt.timedelta(days=3)).date().isoformat()
    response = client.post(
        f"/dashboard/stores/{store.public_id}/exceptions/", {"date": day, "kind": "special", "opens": "10:00"}
    )
    assert response.status_code == 400
    assert error_code(response) == "stores.invalid_opening_hours"
    assert not HoursException.objects.for_merchant(merchant).exists()
    response = client.post(
        f"/dashboard/stores/{store.public_id}/exceptions/",
        {"date": day, "kind": "special", "opens": "10:00", "closes": "16:00"},
    )
    assert response.status_code == 302
    assert HoursException.objects.for_merchant(merchant).get().opens == dt.time(10, 0)


# --- tenancy ----------------------------------------------------------------------------------


def test_another_merchants_store_is_404_everywhere(client, merchant, other_merchant, login_as, make_store):
    theirs = make_store(other_merchant, name="Theirs")
    login_as(merchant, "owner")
    base = f"/dashboard/stores/{theirs.public_id}/"
    for url in (base, base + "edit/"):
        assert client.get(url).status_code == 404, url
    for url in (base + "edit/", base + "status/", base + "exceptions/", base + "exceptions/remove/"):
        response = client.post(url, {**VALID, "status": "paused", "date": "2030-01-01", "kind": "closed"})
        assert response.status_code == 404, url
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status) == ("Theirs", "active")
    assert not HoursException.objects.for_merchant(other_merchant).exists()
    assert theirs.public_id not in client.get("/dashboard/stores/").content.decode()
