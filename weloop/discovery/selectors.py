"""Reads for nearby stores: the index search (exact, nearest first) and the page/API composition.

``nearby_hits`` finds (store pk, metres) pairs through the index: on PostgreSQL by ``<->`` ordering
on the ``location point`` column, elsewhere by the grid searched ring by ring. Both are exact against
``stores.selectors.stores_nearest`` (same haversine, same tie-break by store id); see docs/nearby.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from weloop.core import clock
from weloop.discovery.calculations import (
    BOUND_SLACK_M,
    N_COLS,
    cell_col,
    cell_row,
    col_west_edge,
    lat_bound_m,
    lng_bound_m,
    planar_bound_m,
    quick_planar_bound_m,
    radius_box,
    row_south_edge,
)
from weloop.discovery.errors import InvalidLimit, InvalidRadius
from weloop.discovery.models import StoreLocation
from weloop.reviews.selectors import StoreRating, store_ratings
from weloop.stores.calculations import parse_coordinates
from weloop.stores.models import Store
from weloop.stores.selectors import distance_m, store_list, stores_with_open_state
from weloop.tenants.models import Merchant

MAX_RADIUS_M = 50_000
DEFAULT_RADIUS_M = 5_000
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
# Above this many index ranges per query the grid search scans the latitude band instead.
_MAX_RANGES = 120

Hit = tuple[float, int]  # (metres, store pk): sorts nearest first, ties by store id


def nearby_hits(
    *, merchant_id: int, latitude: float, longitude: float, radius_m: float, limit: int, method: str = "auto"
) -> list[Hit]:
    """The ``limit`` nearest indexed stores within ``radius_m`` metres, as (metres, store pk).

    ``method``: "auto" (the point index on PostgreSQL, else the grid), "grid" or "point".
    Arguments are trusted here (validated by ``stores_near``).
    """
    if method == "auto":
        method = "point" if connection.vendor == "postgresql" else "grid"
    search = _point_search if method == "point" else _grid_search
    return search(merchant_id, float(latitude), float(longitude), float(radius_m), int(limit))


def _kth(found: list[Hit], limit: int) -> float:
    if len(found) < limit:
        return math.inf
    found.sort()
    del found[limit:]
    return found[-1][0]


# Index-only: latitude and longitude are read back from the indexed point (the same float8 values).
_POINT_SQL = (
    "SELECT store_id, location[1], location[0], location <-> point(%s, %s) FROM discovery_storelocation"
    " WHERE merchant_id = %s AND location <@ box(point(%s, %s), point(%s, %s))"
    " ORDER BY location <-> point(%s, %s) LIMIT %s"
)


def _point_search(merchant_id: int, lat: float, lng: float, radius_m: float, limit: int) -> list[Hit]:
    # ``<->`` on points is planar distance in degrees, which ranks east-west neighbours too far away
    # (a degree of longitude shrinks with cos(latitude)). So candidates come in planar order and are
    # measured with haversine; reading stops once the planar distance reached guarantees that no
    # unread store can be nearer than the k-th found (calculations.planar_bound_m, tried first in
    # its cheap closed form, quick_planar_bound_m).
    box = radius_box(lat, lng, radius_m)
    fetch = 2 * limit + 8
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                _POINT_SQL, [lng, lat, merchant_id, box.west, box.south, box.east, box.north, lng, lat, fetch]
            )
            rows = cursor.fetchall()
            found: list[Hit] = [
                (metres, pk)
                for pk, s_lat, s_lng, _planar in rows
                if (metres := distance_m(lat, lng, s_lat, s_lng)) <= radius_m
            ]
            kth = _kth(found, limit)
            if len(rows) < fetch:
                break  # every store in the box was read
            reach = min(radius_m, kth) + BOUND_SLACK_M
            if quick_planar_bound_m(lat, rows[-1][3]) > reach or planar_bound_m(lat, rows[-1][3]) > reach:
                break
            fetch *= 4
    found.sort()
    return found[:limit]


def _grid_search(merchant_id: int, lat: float, lng: float, radius_m: float, limit: int) -> list[Hit]:
    box = radius_box(lat, lng, radius_m)
    row_min, row_max = cell_row(box.south), cell_row(box.north)
    col_min, col_max = cell_col(box.west), cell_col(box.east)
    row0, col0 = cell_row(lat), cell_col(lng)
    table = StoreLocation._meta.db_table
    found: list[Hit] = []
    seen: set[int] = set()
    prev: tuple[int, int, int, int] | None = None
    ring = 0
    with connection.cursor() as cursor:
        while True:
            r_lo, r_hi = max(row0 - ring, row_min), min(row0 + ring, row_max)
            c_lo, c_hi = max(col0 - ring, col_min), min(col0 + ring, col_max)
            ranges = _new_ranges((r_lo, r_hi, c_lo, c_hi), prev)
            if len(ranges) > _MAX_RANGES:
                # A wide search (sparse stores, or near a pole): one range over the latitude band.
                sql = (
                    f"SELECT store_id, latitude, longitude FROM {table} WHERE merchant_id = %s"
                    " AND cell BETWEEN %s AND %s AND longitude >= %s AND longitude < %s"
                )
                params: list[Any] = [merchant_id, r_lo * N_COLS + c_lo, r_hi * N_COLS + c_hi]
                params += [col_west_edge(c_lo), col_west_edge(c_hi + 1) if c_hi < N_COLS - 1 else 181.0]
            else:
                where = " OR ".join(["cell BETWEEN %s AND %s"] * len(ranges))
                sql = f"SELECT store_id, latitude, longitude FROM {table} WHERE merchant_id = %s AND ({where})"
                params = [merchant_id, *(bound for pair in ranges for bound in pair)]
            if ranges:
                cursor.execute(sql, params)
                for pk, s_lat, s_lng in cursor.fetchall():
                    if pk in seen:
                        continue
                    seen.add(pk)
                    metres = distance_m(lat, lng, s_lat, s_lng)
                    if metres <= radius_m:
                        found.append((metres, pk))
            kth = _kth(found, limit)
            # The nearest any unread store can be: beyond one of the square's sides. A side held
            # at the radius's box has nothing within the radius beyond it.
            bound = min(
                lat_bound_m(lat - row_south_edge(r_lo)) if r_lo > row_min else math.inf,
                lat_bound_m(row_south_edge(r_hi + 1) - lat) if r_hi < row_max else math.inf,
                lng_bound_m(lat, lng - col_west_edge(c_lo)) if c_lo > col_min else math.inf,
                lng_bound_m(lat, col_west_edge(c_hi + 1) - lng) if c_hi < col_max else math.inf,
            )
            if bound - BOUND_SLACK_M > min(radius_m, kth):
                break
            prev = (r_lo, r_hi, c_lo, c_hi)
            ring = 2 * ring + 1
    found.sort()
    return found[:limit]


def _new_ranges(square: tuple[int, int, int, int], prev: tuple[int, int, int, int] | None) -> list[tuple[int, int]]:
    """Cell id ranges of ``square`` not in ``prev`` (rows of the grid are contiguous ids)."""
    r_lo, r_hi, c_lo, c_hi = square
    ranges = []
    for row in range(r_lo, r_hi + 1):
        base = row * N_COLS
        if prev is not None and prev[0] <= row <= prev[1]:
            if c_lo < prev[2]:
                ranges.append((base + c_lo, base + prev[2] - 1))
            if c_hi > prev[3]:
                ranges.append((base + prev[3] + 1, base + c_hi))
        else:
            ranges.append((base + c_lo, base + c_hi))
        if len(ranges) > _MAX_RANGES:
            break
    return ranges


# --- the composed answer: stores with open state, rating and deals ---------------------------


@dataclass(frozen=True)
class DealBadge:
    """An active deal of a store as the nearby list shows it (from the deals provider)."""

    public_id: str
    title: str
    price_fen: int
    list_price_fen: int | None = None


@dataclass
class NearbyStore:
    store: Store  # with ``open_now`` set
    distance_m: float
    rating: StoreRating | None = None
    deals: list[DealBadge] = field(default_factory=list)

    @property
    def open_now(self) -> bool:
        return bool(self.store.open_now)  # type: ignore[attr-defined]


def validate_query(
    latitude: object, longitude: object, radius_m: object, limit: object
) -> tuple[float, float, int, int]:
    """Parse a nearby query; raises stores.invalid_coordinates, discovery.invalid_radius or invalid_limit."""
    lat, lng = parse_coordinates(latitude, longitude)
    try:
        radius = int(str(radius_m))
    except ValueError as exc:
        raise InvalidRadius(extra={"radius_m": str(radius_m)[:40]}) from exc
    if not 1 <= radius <= MAX_RADIUS_M:
        raise InvalidRadius(extra={"radius_m": radius})
    try:
        count = int(str(limit))
    except ValueError as exc:
        raise InvalidLimit(extra={"limit": str(limit)[:40]}) from exc
    if not 1 <= count <= MAX_LIMIT:
        raise InvalidLimit(extra={"limit": count})
    return float(lat), float(lng), radius, count


def stores_near(
    *,
    merchant: Merchant,
    latitude: object,
    longitude: object,
    radius_m: object = DEFAULT_RADIUS_M,
    limit: object = DEFAULT_LIMIT,
    at: datetime | None = None,
    extras: bool = True,
) -> list[NearbyStore]:
    """The merchant's visitable stores within ``radius_m``, nearest first, with open state.

    ``extras`` adds each store's rating (reviews) and active deals (the deals provider, when one is
    installed). Raises stores.invalid_coordinates, discovery.invalid_radius, discovery.invalid_limit.
    Queries: the index search, the stores with their hours, today's exceptions (+ ratings, deals).
    """
    lat, lng, radius, count = validate_query(latitude, longitude, radius_m, limit)
    hits = nearby_hits(merchant_id=merchant.pk, latitude=lat, longitude=lng, radius_m=radius, limit=count)
    if not hits:
        return []
    by_pk = {s.pk: s for s in store_list(merchant=merchant).filter(pk__in=[pk for _, pk in hits])}
    ordered = [(by_pk[pk], metres) for metres, pk in hits if pk in by_pk]
    stores_with_open_state([s for s, _ in ordered], at=at)
    result = [NearbyStore(store=s, distance_m=metres) for s, metres in ordered]
    if extras and result:
        pks = [n.store.pk for n in result]
        ratings = store_ratings(merchant=merchant, store_refs=[n.store.public_id for n in result])
        deals = active_deals(merchant=merchant, store_ids=pks, at=at or clock.now())
        for item in result:
            item.rating = ratings.get(item.store.public_id)
            item.deals = deals.get(item.store.pk, [])
    return result


def stores_near_open_first(
    *, merchant: Merchant, latitude: float, longitude: float, radius_m: int, limit: int, candidates: int = 20
) -> list[tuple[Store, float, bool]]:
    """The location-message answer: up to ``limit`` open stores among the ``candidates`` nearest,
    or, when none is open, the nearest ones marked closed; as (store, metres, open now)."""
    near = stores_near(
        merchant=merchant, latitude=latitude, longitude=longitude, radius_m=radius_m, limit=candidates, extras=False
    )
    open_ones = [(n.store, n.distance_m, True) for n in near if n.open_now][:limit]
    return open_ones or [(n.store, n.distance_m, False) for n in near[:limit]]


# --- deals: pluggable, so discovery works before (and without) a deals app ---------------------


def _deals_provider() -> Callable[..., dict[int, list[Any]]] | None:
    path = getattr(settings, "WELOOP_NEARBY_DEALS_PROVIDER", "weloop.vouchers.selectors.deals_active_by_store")
    if not path:
        return None
    try:
        return import_string(path)
    except ImportError:
        return None


def active_deals(*, merchant: Merchant, store_ids: list[int], at: datetime) -> dict[int, list[DealBadge]]:
    """Active deals per store pk from the provider ``WELOOP_NEARBY_DEALS_PROVIDER`` names, if it exists.

    The provider is called as ``provider(merchant=, store_ids=, at=)`` and returns
    ``{store pk: [deal, ...]}`` where a deal has ``public_id``, ``title`` (or ``name``),
    ``deal_price_fen`` (or ``price_fen``) and optionally ``list_price_fen`` (attributes or keys).
    """
    provider = _deals_provider()
    if provider is None:
        return {}
    raw = provider(merchant=merchant, store_ids=store_ids, at=at)
    return {pk: [_badge(d) for d in deals] for pk, deals in raw.items()}


def _badge(deal: Any) -> DealBadge:
    def get(*names: str) -> Any:
        for name in names:
            value = deal.get(name) if isinstance(deal, dict) else getattr(deal, name, None)
            if value is not None:
                return value
        return None

    return DealBadge(
        public_id=str(get("public_id") or ""),
        title=str(get("title", "name") or ""),
        price_fen=int(get("deal_price_fen", "price_fen") or 0),
        list_price_fen=get("list_price_fen"),
    )
