"""The index search is exact: the same stores, in the same order, as the brute-force scan."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core.events import deliver_due
from weloop.discovery.calculations import lng_bound_m, planar_bound_m, quick_planar_bound_m, radius_box
from weloop.discovery.models import StoreLocation
from weloop.discovery.selectors import nearby_hits
from weloop.discovery.services import location_reindex
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.stores.selectors import distance_m, stores_nearest

pytestmark = pytest.mark.django_db

METHODS = ["grid", "point"] if connection.vendor == "postgresql" else ["grid"]
CENTER = (22.54, 114.05)


def _plant(merchant, points, *, status=StoreStatus.ACTIVE):
    start = Store.objects.count()
    Store.objects.bulk_create(
        [
            Store(
                merchant=merchant,
                name=f"S{start + i}",
                address="x",
                city="c",
                latitude=Decimal(f"{lat:.6f}"),
                longitude=Decimal(f"{lng:.6f}"),
                status=status,
            )
            for i, (lat, lng) in enumerate(points)
        ]
    )


def _brute(merchant, lat, lng, radius_m, limit):
    found = stores_nearest(merchant=merchant, latitude=lat, longitude=lng, limit=limit, radius_km=radius_m / 1000)
    return [(round(m, 6), s.pk) for s, m in found]


def _search(merchant, lat, lng, radius_m, limit, method):
    hits = nearby_hits(
        merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=radius_m, limit=limit, method=method
    )
    return [(round(m, 6), pk) for m, pk in hits]


@pytest.fixture
def city(merchant, other_merchant):
    rng = random.Random(5)
    points = [(CENTER[0] + rng.uniform(-0.15, 0.15), CENTER[1] + rng.uniform(-0.15, 0.15)) for _ in range(400)]
    points += [points[0]] * 3  # stores at the very same spot: ties are broken by id
    _plant(merchant, points)
    _plant(merchant, [(CENTER[0], CENTER[1] + 0.0001)], status=StoreStatus.CLOSED)  # never found
    _plant(other_merchant, [(CENTER[0], CENTER[1])] * 5)  # another tenant's, at the centre
    location_reindex(merchant=merchant)
    location_reindex(merchant=other_merchant)
    return merchant


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dlat=st.floats(-0.25, 0.25),
    dlng=st.floats(-0.25, 0.25),
    radius_m=st.integers(1, 50_000),
    limit=st.integers(1, 50),
)
def test_search_matches_brute_force(city, method, dlat, dlng, radius_m, limit):
    lat, lng = CENTER[0] + dlat, CENTER[1] + dlng
    assert _search(city, lat, lng, radius_m, limit, method) == _brute(city, lat, lng, radius_m, limit)


@pytest.mark.parametrize("method", METHODS)
def test_results_are_nearest_first_within_the_radius(city, method):
    hits = nearby_hits(
        merchant_id=city.pk, latitude=CENTER[0], longitude=CENTER[1], radius_m=3000, limit=50, method=method
    )
    assert hits, "the fixture has stores within 3 km of the centre"
    assert hits == sorted(hits)
    assert all(metres <= 3000 for metres, _ in hits)
    assert not Store.objects.filter(pk__in=[pk for _, pk in hits]).exclude(merchant=city).exists()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "where",
    [(89.999, 10.0), (90.0, 0.0), (-90.0, 179.9), (-89.95, -179.99), (85.0, 179.999), (0.0, -180.0), (60.0, 25.0)],
)
def test_poles_edges_and_high_latitudes(merchant, method, where):
    # given stores scattered near the poles, the edges of the map and at high latitude
    rng = random.Random(7)
    points = []
    for lat, lng in [(89.99, 0), (-89.99, 0), (85, 179.99), (0, -179.99), (60, 25)]:
        points += [
            (max(-90, min(90, lat + rng.uniform(-0.3, 0.3))), max(-180, min(180, lng + rng.uniform(-0.5, 0.5))))
            for _ in range(40)
        ]
    _plant(merchant, points)
    location_reindex(merchant=merchant)
    lat, lng = where
    for radius_m in (500, 20_000, 50_000):
        assert _search(merchant, lat, lng, radius_m, 20, method) == _brute(merchant, lat, lng, radius_m, 20)


@pytest.mark.parametrize("method", METHODS)
def test_sparse_stores_far_apart(merchant, method):
    # a few stores tens of kilometres apart: the grid widens ring after ring, then scans the band
    _plant(merchant, [(CENTER[0] + 0.4 * i, CENTER[1] - 0.3 * i) for i in range(-3, 4)])
    location_reindex(merchant=merchant)
    for radius_m in (1000, 49_000, 50_000):
        expected = _brute(merchant, CENTER[0] + 0.1, CENTER[1], radius_m, 5)
        assert _search(merchant, CENTER[0] + 0.1, CENTER[1], radius_m, 5, method) == expected


def test_a_store_exactly_on_the_radius_is_in(merchant):
    _plant(merchant, [(CENTER[0], CENTER[1] + 0.01)])
    location_reindex(merchant=merchant)
    metres = distance_m(CENTER[0], CENTER[1], CENTER[0], CENTER[1] + 0.01)
    assert (
        len(nearby_hits(merchant_id=merchant.pk, latitude=CENTER[0], longitude=CENTER[1], radius_m=metres, limit=5))
        == 1
    )
    assert not nearby_hits(
        merchant_id=merchant.pk, latitude=CENTER[0], longitude=CENTER[1], radius_m=metres - 0.01, limit=5
    )


def test_the_index_follows_the_stores(merchant, make_store):
    # given a store created through the service, its event delivered
    store = make_store(merchant, latitude="22.500000", longitude="114.000000")
    deliver_due()
    assert StoreLocation.objects.get(store=store).cell
    # when it moves
    from weloop.stores.services import StorePatch, store_set_status, store_update

    store_update(merchant=merchant, public_id=store.public_id, patch=StorePatch(latitude="23.000000"), actor="t")
    deliver_due()
    assert StoreLocation.objects.get(store=store).latitude == 23.0
    # and closes for good
    store_set_status(merchant=merchant, public_id=store.public_id, status=StoreStatus.CLOSED, actor="t")
    deliver_due()
    assert not StoreLocation.objects.filter(store=store).exists()


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-89.9, 89.9),
    lng=st.floats(-179, 179),
    dlat=st.floats(-0.5, 0.5),
    dlng=st.floats(-0.5, 0.5),
)
def test_the_lower_bounds_never_exceed_the_distance(lat, lng, dlat, dlng):
    lat2, lng2 = max(-90, min(90, lat + dlat)), lng + dlng
    metres = distance_m(lat, lng, lat2, lng2)
    planar = ((lat2 - lat) ** 2 + (lng2 - lng) ** 2) ** 0.5
    assert planar_bound_m(lat, planar) <= metres + 1e-6
    assert quick_planar_bound_m(lat, planar) <= planar_bound_m(lat, planar) + 1e-6
    assert lng_bound_m(lat, abs(lng2 - lng)) <= metres + 1e-6


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-90, 90), lng=st.floats(-180, 180), radius=st.floats(1, 50_000), bearing=st.floats(0, 6.283))
def test_the_radius_box_holds_the_circle(lat, lng, radius, bearing):
    import math

    from weloop.stores.selectors import EARTH_RADIUS_M

    # the point at ``radius`` in direction ``bearing`` (spherical destination formula)
    d, phi, lam = radius / EARTH_RADIUS_M, math.radians(lat), math.radians(lng)
    phi2 = math.asin(math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(bearing))
    lam2 = lam + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(phi), math.cos(d) - math.sin(phi) * math.sin(phi2)
    )
    lat2, lng2 = math.degrees(phi2), math.degrees(lam2)
    box = radius_box(lat, lng, radius)
    tolerance = 1e-7  # degrees (1 cm): the destination formula itself loses precision at a pole
    assert box.south - tolerance <= lat2 <= box.north + tolerance
    if -180 <= lng2 <= 180 and box.west > -180 and box.east < 180:
        assert box.west - tolerance <= lng2 <= box.east + tolerance


def test_api_nearby(api_client, merchant, make_store):
    near = make_store(merchant, name="Near", latitude="22.543100", longitude="114.057900")
    make_store(merchant, name="Far", latitude="23.543100", longitude="114.057900")
    location_reindex(merchant=merchant)
    body = api_client.get("/api/v1/stores/nearby?lat=22.5431&lng=114.0579&radius_m=2000&limit=5").json()
    assert [item["store"]["id"] for item in body["items"]] == [near.public_id]
    assert body["items"][0]["distance_m"] == 0 and body["items"][0]["store"]["is_open_now"] in (True, False)
    bad = api_client.get("/api/v1/stores/nearby?lat=91&lng=114&radius_m=2000")
    assert bad.status_code == 400 and bad.json()["code"] == "stores.invalid_coordinates"
    bad = api_client.get("/api/v1/stores/nearby?lat=22&lng=114&radius_m=0")
    assert bad.status_code == 400 and bad.json()["code"] == "discovery.invalid_radius"
