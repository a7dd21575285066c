"""The console's flash-sales page: list with live counters (the htmx rows), create, cancel, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from weloop.core import clock
from weloop.flashsales import services
from weloop.flashsales.models import FlashSale

pytestmark = pytest.mark.django_db(transaction=True)


def _form(sku, **fields):
    start = timezone.localtime(clock.now() - timedelta(minutes=5))
    return {
        "title": "Noon tea",
        "sku_id": sku.public_id,
        "price": "9.90",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "quota": "5",
        "per_member_limit": "2",
        "fulfilment": "delivery",
        **fields,
    }


def test_a_manager_creates_a_sale_and_watches_it_sell(owner_client, merchant, sku, store, make_member, pay):
    response = owner_client.post(reverse("dashboard:flash_sale_create"), _form(sku, fulfilment=store.public_id))
    assert response.status_code == 302, response.content.decode()[:2000]
    sale = FlashSale.objects.get(merchant=merchant)
    assert (sale.price_fen, sale.quota, sale.per_member_limit, sale.store_id, sale.status) == (
        990,
        5,
        2,
        store.pk,
        "live",
    )

    won = services.flash_sale_claim(merchant=merchant, sale=sale, member=make_member(), quantity=2, actor="t")
    pay(won.order)
    services.flash_sale_claim(merchant=merchant, sale=sale, member=make_member(), quantity=1, actor="t")

    page = owner_client.get(reverse("dashboard:flash_sale_list")).content.decode()
    assert 'data-testid="flash-sale-row"' in page and sale.public_id in page
    assert 'hx-trigger="every 3s"' in page  # an open sale: the rows poll
    rows = owner_client.get(reverse("dashboard:flash_sale_rows"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="flash-sale-sold">3<' in rows
    assert 'data-testid="flash-sale-waiting">1<' in rows
    assert 'data-testid="flash-sale-paid">2<' in rows
    assert 'data-testid="flash-sale-quota">5<' in rows


def test_bad_input_is_shown_and_creates_nothing(owner_client, merchant, sku):
    for bad in (
        {"price": "-1"},
        {"price": "1.001"},
        {"quota": "0"},
        {"sku_id": "sku_nope"},
        {"ends_at": "2001-01-01T00:00"},
        {"fulfilment": "st_elsewhere"},
    ):
        response = owner_client.post(reverse("dashboard:flash_sale_create"), _form(sku, **bad))
        assert response.status_code == 400, bad
    assert not FlashSale.objects.exists()


def test_cancel_stops_the_sale_and_a_second_cancel_is_refused(owner_client, merchant, sku):
    owner_client.post(reverse("dashboard:flash_sale_create"), _form(sku))
    sale = FlashSale.objects.get()
    url = reverse("dashboard:flash_sale_cancel", kwargs={"sale_id": sale.public_id})
    assert owner_client.get(url).status_code == 405
    assert owner_client.post(url).status_code == 302
    sale.refresh_from_db()
    assert sale.status == "cancelled"
    again = owner_client.post(url, follow=True)
    assert sale.public_id in again.content.decode() and 'data-testid="flash-sale-cancel"' not in again.content.decode()
    rows = owner_client.get(reverse("dashboard:flash_sale_rows")).content.decode()
    assert "hx-trigger" not in rows  # nothing open: no more polling


def test_only_managers_see_flash_sales(staff_client, merchant, other_merchant, sku):
    clerk = staff_client(merchant, "clerk")
    assert clerk.get(reverse("dashboard:flash_sale_list")).status_code == 403
    sale = services.flash_sale_create(
        merchant=merchant,
        sku=sku,
        price_fen=100,
        starts_at=clock.now(),
        ends_at=clock.now() + timedelta(hours=1),
        quota=1,
        actor="t",
    )
    intruder = staff_client(other_merchant, "owner")
    url = reverse("dashboard:flash_sale_cancel", kwargs={"sale_id": sale.public_id})
    assert intruder.post(url).status_code == 404
    sale.refresh_from_db()
    assert sale.status == "live"
