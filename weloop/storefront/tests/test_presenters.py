"""Formatting helpers of the store pages: hours, phone links, Amap links."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace

import pytest

from weloop.storefront.presenters import amap_marker_url, hours_of, tel_url


@pytest.mark.parametrize(
    ("opens", "closes", "shown"),
    [
        (time(8, 0), time(22, 0), "08:00–22:00"),
        (time(18, 0), time(2, 0), "18:00–02:00 (+1)"),
        (time(22, 30), time(22, 0), "22:30–22:00 (+1)"),
        (time(10, 0), time(0, 0), "10:00–24:00"),
        (time(0, 0), time(6, 0), "00:00–06:00"),
    ],
)
def test_hours_of_marks_periods_that_end_the_next_day(opens, closes, shown):
    assert str(hours_of(opens, closes)) == shown


@pytest.mark.parametrize(
    ("phone", "href"),
    [("0755-8299 0101", "tel:075582990101"), ("+86 (755) 123", "tel:+86755123"), ("", ""), ("--", "")],
)
def test_tel_url_keeps_digits_and_plus(phone, href):
    assert tel_url(phone) == href


def test_amap_marker_url_puts_longitude_first_and_encodes_the_name():
    store = SimpleNamespace(latitude="22.533166", longitude="114.055779", name="福田 COCO Park 店")

    url = amap_marker_url(store)

    assert url == (
        "https://uri.amap.com/marker?position=114.055779,22.533166"
        "&name=%E7%A6%8F%E7%94%B0%20COCO%20Park%20%E5%BA%97&coordinate=gaode&callnative=1"
    )
