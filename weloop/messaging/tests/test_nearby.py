"""A location message gets the nearest open stores; ``stores_nearest`` underneath."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import xmltodict
from django.conf import settings
from django.utils import translation

from weloop.core import clock
from weloop.core.events import deliver_due
from weloop.members.models import MemberTouch
from weloop.messaging.replies import distance_label
from weloop.messaging.services import inbound_handle
from weloop.messaging.tests.builders import location_xml, parsed
from weloop.stores.selectors import distance_m, stores_nearest
from weloop.stores.services import store_set_status

pytestmark = pytest.mark.django_db


FAKE_ANSWER: list = []
CALLS: list = []


def fake_provider(**kwargs):
    """A nearby provider a test names in WELOOP_NEARBY_PROVIDER."""
    CALLS.append(kwargs)
    return list(FAKE_ANSWER)


SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_NOON = dt.datetime(2026, 3, 4, 12, 0, tzinfo=SHANGHAI)
WEDNESDAY_3AM = dt.datetime(2026, 3, 4, 3, 0, tzinfo=SHANGHAI)
HERE = (22.540000, 114.050000)
METRES_PER_HUNDREDTH_DEGREE = 1111.95  # along a meridian, mean Earth radius


@pytest.fixture
def stores(merchant, make_store):
    """Near (556 m north), farther (2.2 km north), a paused one nearest of all, a closed one, Beijing."""
    near = make_store(merchant, name="Near", latitude="22.545000", longitude="114.050000", address="1 Near Rd")
    farther = make_store(merchant, name="Farther", latitude="22.560000", longitude="114.050000")
    paused = make_store(merchant, name="Paused", latitude="22.540500", longitude="114.050000")
    store_set_status(merchant=merchant, public_id=paused.public_id, status="paused", actor="test")
    gone = make_store(merchant, name="Gone", latitude="22.540100", longitude="114.050000")
    store_set_status(merchant=merchant, public_id=gone.public_id, status="closed", actor="test")
    beijing = make_store(merchant, name="Beijing", latitude="39.908722", longitude="116.397499")
    deliver_due()  # the worker's part: the nearby index (discovery) follows the store events
    return {"near": near, "farther": farther, "paused": paused, "gone": gone, "beijing": beijing}


def _reply(merchant, account, latitude, longitude) -> str:
    with translation.override("en"):  # replies go out in Chinese by default; these tests read the English source
        xml = inbound_handle(merchant=merchant, message=parsed(location_xml(account, "o-1", latitude, longitude)))
    return xmltodict.parse(xml)["xml"]["Content"]


def test_distance_m_matches_a_meridian_arc():
    assert distance_m(22.54, 114.05, 22.55, 114.05) == pytest.approx(METRES_PER_HUNDREDTH_DEGREE, abs=0.5)
    assert distance_m(22.54, 114.05, 22.54, 114.05) == 0


def test_stores_nearest_sorts_filters_and_limits(merchant, stores):
    nearest = stores_nearest(merchant=merchant, latitude=HERE[0], longitude=HERE[1], limit=None)
    # closed-for-good stores are never listed; paused ones are (they may reopen)
    assert [s.name for s, _ in nearest] == ["Paused", "Near", "Farther", "Beijing"]
    assert nearest[1][1] == pytest.approx(METRES_PER_HUNDREDTH_DEGREE / 2, abs=0.5)
    within = stores_nearest(merchant=merchant, latitude=HERE[0], longitude=HERE[1], limit=None, radius_km=50)
    assert [s.name for s, _ in within] == ["Paused", "Near", "Farther"]
    assert len(stores_nearest(merchant=merchant, latitude=HERE[0], longitude=HERE[1])) == 3
    assert len(stores_nearest(merchant=merchant, latitude=HERE[0], longitude=HERE[1], limit=1)) == 1


def test_stores_nearest_sees_only_the_merchants_stores(merchant, other_merchant, make_store):
    make_store(other_merchant, name="Rival", latitude="22.540000", longitude="114.050000")
    assert stores_nearest(merchant=merchant, latitude=HERE[0], longitude=HERE[1]) == []


def test_location_lists_the_nearest_open_stores_first(merchant, new_merchant, stores):
    with clock.frozen_at(WEDNESDAY_NOON):
        text = _reply(merchant, new_merchant.wechat.original_id, *HERE)
    near, farther = stores["near"], stores["farther"]
    # the paused store is nearer but not open; the closed and the far ones are not listed
    assert "Paused" not in text and "Gone" not in text and "Beijing" not in text
    assert text.index("1. Near · 556 m") < text.index("2. Farther · 2.2 km")
    assert "1 Near Rd" in text
    assert f"{settings.PUBLIC_URL}/m/{merchant.slug}/stores/{near.public_id}/" in text
    assert f"{settings.PUBLIC_URL}/m/{merchant.slug}/stores/{farther.public_id}/" in text
    assert re.search(r"https://uri\.amap\.com/navigation\?to=114\.050000,22\.545000,Near&", text)
    assert len(text.encode()) <= 2048


def test_location_with_only_closed_stores_nearby_lists_them_as_closed(merchant, new_merchant, stores):
    with clock.frozen_at(WEDNESDAY_3AM):
        text = _reply(merchant, new_merchant.wechat.original_id, *HERE)
    assert "1. Paused · 56 m" in text and "closed now" in text
    assert "Beijing" not in text


def test_location_far_from_every_store_gets_a_friendly_answer(merchant, new_merchant, stores):
    with clock.frozen_at(WEDNESDAY_NOON):
        text = _reply(merchant, new_merchant.wechat.original_id, 31.2304, 121.4737)  # Shanghai
    assert "50 km" in text and f"/m/{merchant.slug}/stores/" in text


def test_the_reply_reads_the_provider_the_setting_names(merchant, new_merchant, stores, settings):
    settings.WELOOP_NEARBY_PROVIDER = f"{__name__}.fake_provider"
    FAKE_ANSWER[:] = [(stores["farther"], 2224.0, True)]
    CALLS.clear()
    with clock.frozen_at(WEDNESDAY_NOON):
        text = _reply(merchant, new_merchant.wechat.original_id, *HERE)
    assert "1. Farther · 2.2 km" in text and "Near Rd" not in text
    assert CALLS[0]["radius_m"] == 50_000 and CALLS[0]["limit"] == 3 and CALLS[0]["merchant"] == merchant


@pytest.mark.parametrize("setting", ["", "weloop.no_such_module.nearby"])
def test_without_a_provider_the_reply_falls_back_to_the_brute_force(merchant, new_merchant, stores, settings, setting):
    settings.WELOOP_NEARBY_PROVIDER = setting
    with clock.frozen_at(WEDNESDAY_NOON):
        text = _reply(merchant, new_merchant.wechat.original_id, *HERE)
    assert text.index("1. Near · 556 m") < text.index("2. Farther · 2.2 km")


def test_location_is_a_member_touch(merchant, new_merchant, stores):
    with clock.frozen_at(WEDNESDAY_NOON):
        _reply(merchant, new_merchant.wechat.original_id, *HERE)
    touch = MemberTouch.objects.get()
    assert touch.kind == "location" and float(touch.latitude) == pytest.approx(HERE[0])


@pytest.mark.parametrize(("metres", "label"), [(0, "0 m"), (556.4, "556 m"), (999.4, "999 m"), (2224, "2.2 km")])
def test_distance_label(metres, label):
    assert distance_label(metres) == label
