"""Pure geometry for the nearby search: grid cells, the radius's bounding box, and lower bounds.

Distances are great-circle (haversine, ``stores.selectors.distance_m``) on a sphere of the mean
Earth radius; the search is exact against that function. Two lower bounds make it exact:

- every point whose latitude differs from the query's by at least ``dphi`` is at least ``dphi``
  (radians) away (the shortest path covers the latitude difference);
- every point whose longitude differs by at least ``dlam`` (at most 90°) is at least
  ``asin(cos(phi0) * sin(dlam))`` away: that is the distance from the query point to the great
  circle through the meridian at ``lambda0 ± dlam``, and any path to such a point crosses that meridian.

The search area does not wrap around the ±180° meridian (no store chain straddles it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from weloop.stores.selectors import EARTH_RADIUS_M

# Grid cells of 0.002° x 0.002° (about 220 m north-south), row-major so that a row of cells is one
# contiguous range of ids: a square of cells is one index range scan per row.
CELL_MICRODEG = 2_000
N_ROWS = 180_000_000 // CELL_MICRODEG  # latitude -90..90
N_COLS = 360_000_000 // CELL_MICRODEG  # longitude -180..180
CELL_DEG = CELL_MICRODEG / 1_000_000
# A safety margin (metres) under every lower bound: it absorbs floating-point rounding.
BOUND_SLACK_M = 0.001


def cell_row(latitude: float) -> int:
    return min(max(math.floor((latitude + 90) / CELL_DEG), 0), N_ROWS - 1)


def cell_col(longitude: float) -> int:
    return min(max(math.floor((longitude + 180) / CELL_DEG), 0), N_COLS - 1)


def cell_of(latitude: float, longitude: float) -> int:
    """The grid cell id of a point (a store's coordinates have 6 decimals: exact in microdegrees)."""
    row = min(max((round(latitude * 1_000_000) + 90_000_000) // CELL_MICRODEG, 0), N_ROWS - 1)
    col = min(max((round(longitude * 1_000_000) + 180_000_000) // CELL_MICRODEG, 0), N_COLS - 1)
    return row * N_COLS + col


def row_south_edge(row: int) -> float:
    return row * CELL_DEG - 90


def col_west_edge(col: int) -> float:
    return col * CELL_DEG - 180


@dataclass(frozen=True)
class Box:
    """Latitude and longitude limits (degrees) that contain every point within the radius."""

    south: float
    north: float
    west: float
    east: float


def radius_box(latitude: float, longitude: float, radius_m: float) -> Box:
    """The smallest latitude/longitude box holding the circle (the whole band near a pole)."""
    delta = radius_m / EARTH_RADIUS_M  # angular radius, radians
    # A hair wider: rounding must never leave a point on the circle outside the box.
    pad = 1e-9
    south = max(latitude - math.degrees(delta) - pad, -90.0)
    north = min(latitude + math.degrees(delta) + pad, 90.0)
    if south <= -90 or north >= 90:
        return Box(south, north, -180.0, 180.0)
    ratio = math.sin(delta) / math.cos(math.radians(latitude))
    if ratio >= 1:
        return Box(south, north, -180.0, 180.0)
    dlam = math.degrees(math.asin(ratio))
    return Box(south, north, max(longitude - dlam - pad, -180.0), min(longitude + dlam + pad, 180.0))


def lat_bound_m(dlat_deg: float) -> float:
    """Lower bound of the distance to any point at least ``dlat_deg`` away in latitude."""
    return math.radians(max(dlat_deg, 0.0)) * EARTH_RADIUS_M


def lng_bound_m(latitude: float, dlng_deg: float) -> float:
    """Lower bound of the distance to any point at least ``dlng_deg`` away in longitude."""
    dlam = math.radians(min(max(dlng_deg, 0.0), 90.0))
    return math.asin(min(1.0, math.cos(math.radians(latitude)) * math.sin(dlam))) * EARTH_RADIUS_M


def planar_bound_m(latitude: float, planar_deg: float) -> float:
    """Lower bound of the distance to any point at planar distance >= ``planar_deg`` in (lng, lat) degrees.

    Such a point has dlat^2 + dlng^2 >= planar_deg^2, so it is at least
    max(lat_bound(dlat), lng_bound(dlng)) away; the minimum over that set lies where the two
    bounds meet, found by bisection on dlng.
    """
    if planar_deg <= 0:
        return 0.0
    low, high = 0.0, planar_deg
    for _ in range(40):
        mid = (low + high) / 2
        if lng_bound_m(latitude, mid) < lat_bound_m(math.sqrt(max(planar_deg**2 - mid**2, 0.0))):
            low = mid
        else:
            high = mid
    # The crossing lies in [low, high]: both terms below are at most the minimum there.
    return max(lng_bound_m(latitude, low), lat_bound_m(math.sqrt(max(planar_deg**2 - high**2, 0.0))))


def quick_planar_bound_m(latitude: float, planar_deg: float) -> float:
    """A weaker lower bound than ``planar_bound_m`` in closed form (no bisection).

    For 0 <= dlng <= d (radians), sin(dlng) >= dlng·sin(d)/d, so the longitude bound
    asin(cos(lat0)·sin(dlng)) >= c·dlng with c = cos(lat0)·sin(d)/d <= 1. The minimum over
    dlat^2 + dlng^2 = d^2 of max(dlat, c·dlng) is where dlat = c·dlng: c·d / sqrt(1 + c^2).
    """
    d = math.radians(min(planar_deg, 90.0))
    if d <= 0:
        return 0.0
    c = max(math.cos(math.radians(latitude)), 0.0) * math.sin(d) / d
    return c * d / math.sqrt(1 + c * c) * EARTH_RADIUS_M
