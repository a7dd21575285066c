"""The console's presales pages: create, detail with progress, edit, settle now, cancel, bad input, permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from weloop.core import clock
from weloop.presales.enums import PresaleStatus
from weloop.presales.models import Presale

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _form(sku, **fields):
    deadline = timezone.localtime(clock.now() + timedelta(days=3))
    return {
        "title": "Winter coat",
        "sku_id": sku.public_id,
        "mode": "deposit",
        "price": "299.00",
        "deposit": "50.00",
        "target_quantity": "2",
        "max_quantity": "",
        "per_member_limit": "2",
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "balance_window_hours": "48",
        "lead_time_text": "Made in 20 days",
        "description": "",
        "fulfilment": "delivery",
        "open_now": "on",
        **fields,
    }


def test_a_manager_creates_watches_settles_and_cancels(owner_client, merchant, sku, store, make_member, pay, join):
    response = owner_client.post(reverse("dashboard:presale_create"), _form(sku, fulfilment=store.public_id))
    assert response.status_code == 302, response.content.decode()[:3000]
    presale = Presale.objects.get(merchant=merchant)
    assert (presale.price_fen, presale.deposit_fen, presale.status, presale.store_id) == (29900, 5000, "open", store.pk)

    pay(join(presale, make_member(), 2).order)
    page = owner_client.get(reverse("dashboard:presale_detail", kwargs={"presale_id": presale.public_id}))
    assert page.status_code == 200 and b'data-testid="presale-paid">2<' in page.content
    assert owner_client.get(reverse("dashboard:presale_list")).status_code == 200
    progress = owner_client.get(reverse("dashboard:presale_progress", kwargs={"presale_id": presale.public_id}))
    assert progress.status_code == 200 and b"presale-participant" in progress.content

    edit = owner_client.post(
        reverse("dashboard:presale_edit", kwargs={"presale_id": presale.public_id}),
        _form(sku, title="Winter coat, navy", fulfilment=store.public_id),
    )
    assert edit.status_code == 302
    presale.refresh_from_db()
    assert presale.title == "Winter coat, navy"

    owner_client.post(reverse("dashboard:presale_settle", kwargs={"presale_id": presale.public_id}))
    presale.refresh_from_db()
    assert presale.status == PresaleStatus.SUCCEEDED
    cancel = owner_client.post(
        reverse("dashboard:presale_cancel", kwargs={"presale_id": presale.public_id}), follow=True
    )
    assert cancel.status_code == 200 and Presale.objects.get(pk=presale.pk).status == PresaleStatus.SUCCEEDED


def test_cancel_from_the_console_refunds(owner_client, merchant, make_presale, make_member, pay, join):
    presale = make_presale(target=5)
    pay(join(presale, make_member()).order)
    owner_client.post(reverse("dashboard:presale_cancel", kwargs={"presale_id": presale.public_id}))
    presale.refresh_from_db()
    assert presale.outcome == "cancelled" and presale.status in (PresaleStatus.REFUNDING, PresaleStatus.REFUNDED)


def test_bad_input_shows_the_message_and_writes_nothing(owner_client, sku):
    past = timezone.localtime(clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = owner_client.post(reverse("dashboard:presale_create"), _form(sku, deadline=past))
    assert response.status_code == 400 and b"The deadline must be in the future." in response.content
    response = owner_client.post(reverse("dashboard:presale_create"), _form(sku, deposit="299.00"))
    assert response.status_code == 400 and b"less than the price" in response.content
    assert not Presale.objects.exists()


def test_a_clerk_cannot_open_the_presales(make_staff, merchant, client):
    clerk = make_staff(merchant, "clerk", password="Weloop-test-123")
    client.login(username=clerk.user.username, password="Weloop-test-123")
    assert client.get(reverse("dashboard:presale_list")).status_code in (302, 403, 404)
