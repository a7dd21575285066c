from __future__ import annotations

import datetime as dt
import re

from weloop.core import clock
from weloop.stores.models import Store
from weloop.stores.services import store_assign_staff, store_set_exception


def _login(client, make_staff, merchant, role, stores=()):
    staff = make_staff(merchant, role)
    if stores:
        store_assign_staff(merchant=merchant, staff=staff, store_public_ids=[s.public_id for s in stores])
    client.force_login(staff.user)
    return staff


def _store_ids(response) -> list[str]:
    return re.findall(r'data-testid="clerk-store" data-store-id="([^"]+)"', response.content.decode())


NOON = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Wednesday


def test_clerk_sees_assigned_stores_with_todays_hours_and_no_pause_button(client, merchant, make_staff, make_store):
    mine = make_store(merchant, name="Mine")
    make_store(merchant, name="Not mine")
    _login(client, make_staff, merchant, "clerk", stores=[mine])
    with clock.frozen_at(NOON):
        response = client.get("/clerk/")
    assert response.status_code == 200
    assert _store_ids(response) == [mine.public_id]
    body = response.content.decode()
    assert "08:00–22:00" in body and 'data-testid="clerk-open-now"' in body
    assert 'data-testid="clerk-pause"' not in body
    assert 'data-testid="clerk-nav"' in body


def test_unassigned_clerk_sees_every_store_but_not_closed_ones(client, merchant, make_staff, make_store):
    a, b, gone = make_store(merchant, name="A"), make_store(merchant, name="B"), make_store(merchant, name="Gone")
    Store.objects.filter(pk=gone.pk).update(status="closed")
    _login(client, make_staff, merchant, "clerk")
    assert _store_ids(client.get("/clerk/")) == [a.public_id, b.public_id]


def test_todays_exception_replaces_the_weekly_hours(client, merchant, make_staff, store):
    store_set_exception(merchant=merchant, public_id=store.public_id, day=NOON.date(), is_closed=True)
    _login(client, make_staff, merchant, "clerk")
    with clock.frozen_at(NOON):
        body = client.get("/clerk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'data-testid="clerk-today-hours">[^<]*closed', body)
    assert 'data-testid="clerk-closed-now"' in body


def test_store_manager_pauses_and_resumes_by_htmx_and_plain_post(client, merchant, make_staff, store):
    _login(client, make_staff, merchant, "store_manager", stores=[store])
    assert 'data-testid="clerk-pause"' in client.get("/clerk/").content.decode()

    response = client.post(f"/clerk/stores/{store.public_id}/status/", {"status": "paused"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-status="paused"' in response.content.decode()
    assert 'data-testid="clerk-resume"' in response.content.decode()
    store.refresh_from_db()
    assert store.status == "paused"

    response = client.post(f"/clerk/stores/{store.public_id}/status/", {"status": "active"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.status == "active"


def test_clerk_page_cannot_close_a_store(client, merchant, make_staff, store):
    _login(client, make_staff, merchant, "admin")
    response = client.post(f"/clerk/stores/{store.public_id}/status/", {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    store.refresh_from_db()
    assert store.status == "active"


def test_clerk_cannot_pause_and_manager_only_in_own_store(client, merchant, make_staff, make_store):
    mine, theirs = make_store(merchant, name="Mine"), make_store(merchant, name="Theirs")
    _login(client, make_staff, merchant, "clerk", stores=[mine])
    assert client.post(f"/clerk/stores/{mine.public_id}/status/", {"status": "paused"}).status_code == 403
    _login(client, make_staff, merchant, "store_manager", stores=[mine])
    assert client.post(f"/clerk/stores/{theirs.public_id}/status/", {"status": "paused"}).status_code == 403
    assert set(Store.objects.for_merchant(merchant).values_list("status", flat=True)) == {"active"}


def test_service_agents_do_not_use_the_clerk_page(client, merchant, make_staff):
    _login(client, make_staff, merchant, "service_agent")
    response = client.get("/clerk/")
    assert response.status_code == 403
    assert 'data-error-code="tenants.role_forbidden"' in response.content.decode()


def test_another_merchants_store_is_404(client, merchant, other_merchant, make_staff, make_store):
    theirs = make_store(other_merchant, name="Theirs")
    _login(client, make_staff, merchant, "owner")
    assert client.post(f"/clerk/stores/{theirs.public_id}/status/", {"status": "paused"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"
