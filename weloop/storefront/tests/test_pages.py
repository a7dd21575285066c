"""The consumer H5 store pages: /m/<slug>/, /m/<slug>/stores/ and /m/<slug>/stores/<store_id>/.

Assertions read data-testid/data-state attributes and times, never English words, so they keep
passing once the Chinese translations arrive.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from weloop.core.clock import frozen_at
from weloop.stores.services import HoursInput, store_set_exception, store_set_status
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.services import merchant_set_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 6, 1)  # a Monday; the week runs to Sunday 2026-06-07


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def home_url(merchant) -> str:
    return reverse("storefront:home", kwargs={"merchant_slug": merchant.slug})


def detail_url(merchant, store) -> str:
    return reverse("storefront:store_detail", kwargs={"merchant_slug": merchant.slug, "store_id": store.public_id})


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def card_ids(html: str) -> list[str]:
    return re.findall(r'data-testid="store-card" data-store-id="([^"]+)"', html)


def open_states(html: str) -> list[str]:
    return re.findall(r'data-testid="store-open-state" data-state="(\w+)"', html)


def weekday_row(html: str, weekday: int) -> str:
    match = re.search(rf'<tr[^>]*data-weekday="{weekday}"[^>]*>(.*?)</tr>', html, re.DOTALL)
    assert match, f"no row for weekday {weekday}"
    return match.group(1)


def periods(fragment: str) -> list[str]:
    return re.findall(r'data-testid="period"[^>]*>([^<]*)</span>', fragment)


@pytest.mark.django_db
def test_home_lists_only_this_merchants_stores_that_are_not_closed_for_good(
    client, merchant, other_merchant, make_store
):
    # given an open, a paused and a closed store, and a store of another merchant
    open_store = make_store(merchant, name="Futian")
    paused = make_store(merchant, name="Nanshan")
    closed = make_store(merchant, name="Luohu")
    store_set_status(merchant=merchant, public_id=paused.public_id, status="paused", actor="test")
    store_set_status(merchant=merchant, public_id=closed.public_id, status="closed", actor="test")
    rival = make_store(other_merchant, name="Rival corner")

    # when a consumer opens the merchant's H5 home
    html = page(client, home_url(merchant))

    # then the open and the paused store are listed, the others are not even mentioned
    assert card_ids(html) == [open_store.public_id, paused.public_id]
    assert re.findall(r'data-testid="store-name">([^<]+)<', html) == ["Futian", "Nanshan"]
    assert 'data-testid="merchant-name">Bakery<' in html
    for hidden in (closed, rival):
        assert hidden.public_id not in html
        assert hidden.name not in html


@pytest.mark.django_db
def test_store_list_tab_groups_stores_by_city(client, merchant, make_store):
    make_store(merchant, name="Futian", city="Shenzhen")
    make_store(merchant, name="Tianhe", city="Guangzhou")
    make_store(merchant, name="Nanshan", city="Shenzhen")

    html = page(client, reverse("storefront:store_list", kwargs={"merchant_slug": merchant.slug}))

    assert re.findall(r'data-testid="store-name">([^<]+)<', html) == ["Tianhe", "Futian", "Nanshan"]
    assert html.count('data-testid="city"') == 2


@pytest.mark.django_db
def test_card_shows_address_area_call_and_amap_navigation(client, merchant, make_store):
    store = make_store(
        merchant,
        name="Futian & Co",
        district="Futian",
        phone="0755-8299 0101",
        latitude="22.533166",
        longitude="114.055779",
    )

    html = page(client, home_url(merchant))

    assert 'data-testid="store-address">1 Shennan Avenue<' in html
    assert 'data-testid="store-area">Shenzhen · Futian<' in html
    assert 'href="tel:075582990101"' in html
    amap = (
        "https://uri.amap.com/marker?position=114.055779,22.533166&amp;name=Futian%20%26%20Co"
        "&amp;coordinate=gaode&amp;callnative=1"
    )
    assert f'href="{amap}"' in html
    assert f'href="{detail_url(merchant, store)}"' in html


@pytest.mark.django_db
def test_store_without_phone_has_no_call_link(client, merchant, make_store):
    make_store(merchant, phone="")

    html = page(client, home_url(merchant))

    assert 'data-testid="store-phone"' not in html
    assert 'data-testid="store-navigate"' in html


@pytest.mark.django_db
def test_unknown_slug_is_a_friendly_404_with_the_error_code(client):
    response = client.get("/m/no-such-shop/")

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]
    assert "tenants.unknown_merchant" in response.content.decode()


@pytest.mark.django_db
def test_suspended_merchant_is_403(client, merchant, store):
    merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor="test")

    for url in (home_url(merchant), detail_url(merchant, store)):
        response = client.get(url)
        assert response.status_code == 403
        assert "tenants.merchant_suspended" in response.content.decode()
        assert store.name not in response.content.decode()


@pytest.mark.django_db
def test_merchant_waiting_for_approval_is_403(client, make_merchant):
    pending = make_merchant(status=MerchantStatus.PENDING).merchant

    response = client.get(home_url(pending))

    assert response.status_code == 403
    assert "tenants.merchant_not_active" in response.content.decode()


@pytest.mark.django_db
def test_another_merchants_store_is_404_under_this_merchant(client, merchant, other_merchant, make_store):
    rival_store = make_store(other_merchant, name="Rival corner")

    response = client.get(detail_url(merchant, rival_store))

    assert response.status_code == 404
    assert "Rival corner" not in response.content.decode()
    # the same store under its own merchant is there: the 404 comes from the merchant scope
    assert client.get(detail_url(other_merchant, rival_store)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("store_id", ["st_DOESNOTEXIST", "1", "%20"])
def test_unknown_store_id_is_404(client, merchant, store, store_id):
    response = client.get(f"{home_url(merchant)}stores/{store_id}/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_store_closed_for_good_has_no_page(client, merchant, store):
    store_set_status(merchant=merchant, public_id=store.public_id, status="closed", actor="test")

    assert client.get(detail_url(merchant, store)).status_code == 404


@pytest.mark.django_db
def test_pages_refuse_writes(client, merchant, store):
    assert client.post(home_url(merchant)).status_code == 405
    assert client.post(detail_url(merchant, store)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(MONDAY, 7, 59), "closed"),
        (at(MONDAY, 8, 0), "open"),
        (at(MONDAY, 21, 59), "open"),
        (at(MONDAY, 22, 0), "closed"),
    ],
)
def test_open_now_badge_follows_the_clock(client, merchant, make_store, moment, expected):
    store = make_store(merchant, hours=[HoursInput(w, "08:00", "22:00") for w in range(7)])

    with frozen_at(moment):
        home = page(client, home_url(merchant))
        detail = page(client, detail_url(merchant, store))

    assert open_states(home) == [expected]
    assert open_states(detail) == [expected]


@pytest.mark.django_db
def test_paused_store_shows_temporarily_closed_even_within_its_hours(client, merchant, make_store):
    store = make_store(merchant)
    store_set_status(merchant=merchant, public_id=store.public_id, status="paused", actor="test")

    with frozen_at(at(MONDAY, 12)):
        assert open_states(page(client, home_url(merchant))) == ["paused"]
        assert open_states(page(client, detail_url(merchant, store))) == ["paused"]


@pytest.mark.django_db
def test_overnight_hours_are_shown_with_plus_one_and_keep_the_store_open_after_midnight(client, merchant, make_store):
    # given a bar open Friday 18:00 until 02:00 on Saturday
    store = make_store(merchant, hours=[HoursInput(4, "18:00", "02:00")])
    friday, saturday = date(2026, 6, 5), date(2026, 6, 6)

    # when a consumer looks at it late on Friday night, after midnight
    with frozen_at(at(saturday, 1, 30)):
        html = page(client, detail_url(merchant, store))

    # then Friday reads 18:00–02:00 (+1), every other day is closed, and the store is open now
    assert periods(weekday_row(html, friday.weekday())) == ["18:00–02:00 (+1)"]
    for weekday in (0, 1, 2, 3, 5, 6):
        assert periods(weekday_row(html, weekday)) == []
    assert open_states(html) == ["open"]

    with frozen_at(at(saturday, 2, 0)):
        assert open_states(page(client, detail_url(merchant, store))) == ["closed"]


@pytest.mark.django_db
def test_week_lists_several_periods_a_day_in_order_and_midnight_as_24(client, merchant, make_store):
    store = make_store(
        merchant,
        hours=[
            HoursInput(0, "14:00", "22:00"),
            HoursInput(0, "08:00", "11:30"),
            HoursInput(6, "10:00", "00:00"),
        ],
    )

    with frozen_at(at(MONDAY, 9)):
        html = page(client, detail_url(merchant, store))
        home = page(client, home_url(merchant))

    assert periods(weekday_row(html, 0)) == ["08:00–11:30", "14:00–22:00"]
    assert periods(weekday_row(html, 6)) == ["10:00–24:00"]
    assert 'class="is-today" data-testid="hours-day" data-weekday="0"' in html
    # the card on the home page shows today's periods only
    assert periods(home) == ["08:00–11:30", "14:00–22:00"]


@pytest.mark.django_db
def test_upcoming_exceptions_are_listed_and_replace_todays_hours(client, merchant, make_store):
    store = make_store(merchant, hours=[HoursInput(w, "08:00", "22:00") for w in range(7)])
    for day, closed, opens, closes, note in [
        (date(2026, 5, 31), True, None, None, "past"),
        (MONDAY, False, "10:00", "16:00", "Dragon Boat Festival"),
        (date(2026, 6, 3), True, None, None, "Staff training"),
    ]:
        store_set_exception(
            merchant=merchant,
            public_id=store.public_id,
            day=day,
            is_closed=closed,
            opens=opens,
            closes=closes,
            note=note,
        )

    with frozen_at(at(MONDAY, 9)):
        html = page(client, detail_url(merchant, store))
        home = page(client, home_url(merchant))

    assert re.findall(r'data-testid="hours-exception" data-date="([\d-]+)"', html) == ["2026-06-01", "2026-06-03"]
    assert "Dragon Boat Festival" in html and "Staff training" in html and ">past<" not in html
    # today's special hours: 10:00–16:00, so at 09:00 the store is closed despite its weekly 08:00
    assert periods(home) == ["10:00–16:00"]
    assert open_states(home) == ["closed"]


@pytest.mark.django_db
def test_store_closed_today_by_an_exception(client, merchant, make_store):
    store = make_store(merchant)
    store_set_exception(merchant=merchant, public_id=store.public_id, day=MONDAY, is_closed=True, note="Holiday")

    with frozen_at(at(MONDAY, 12)):
        home = page(client, home_url(merchant))

    assert periods(home) == []
    assert "Holiday" in home
    assert open_states(home) == ["closed"]


@pytest.mark.django_db
def test_tab_bar_links_only_pages_that_exist(client, merchant, store):
    html = page(client, home_url(merchant))

    assert re.search(rf'href="{home_url(merchant)}" data-testid="tab-home" aria-current="page"', html)
    assert f'href="{home_url(merchant)}stores/" data-testid="tab-stores"' in html
    # "Me" has a page since the WeChat identity (it signs the visitor in first)
    assert f'href="{home_url(merchant)}me/" data-testid="tab-me"' in html


@pytest.mark.django_db
def test_home_costs_at_most_one_extra_query_per_store(client, merchant, make_store):
    make_store(merchant)
    with CaptureQueriesContext(connection) as one:
        page(client, home_url(merchant))
    make_store(merchant)
    make_store(merchant)
    with CaptureQueriesContext(connection) as three:
        page(client, home_url(merchant))

    # hours and dated exceptions are prefetched; only store_is_open reads per store
    assert len(three) - len(one) <= 2
