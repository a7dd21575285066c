"""/stores/nearby: a merchant's visitable stores around a point, nearest first."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router

from weloop.api.auth import merchant_of
from weloop.api.schemas.discovery import NearbyOut
from weloop.discovery import selectors
from weloop.discovery.selectors import DEFAULT_LIMIT, DEFAULT_RADIUS_M, MAX_LIMIT, MAX_RADIUS_M, NearbyStore

router = Router(tags=["Stores"])


@router.get("", response=NearbyOut, summary="Find stores near a point")
def nearby_stores(
    request: HttpRequest,
    lat: Annotated[str, Query(description="Latitude, GCJ-02 degrees (-90 to 90).", example="22.543096")],
    lng: Annotated[str, Query(description="Longitude, GCJ-02 degrees (-180 to 180).", example="114.057865")],
    radius_m: Annotated[str, Query(description=f"Search radius in metres, 1 to {MAX_RADIUS_M}.", example="5000")] = str(
        DEFAULT_RADIUS_M
    ),
    limit: Annotated[str, Query(description=f"At most this many stores, 1 to {MAX_LIMIT}.", example="10")] = str(
        DEFAULT_LIMIT
    ),
) -> dict[str, Any]:
    """Stores not closed for good within `radius_m` of (`lat`, `lng`), nearest first (ties by age),
    each with its distance, whether it is open now, its rating and its active deals.

    Refused with 400 `stores.invalid_coordinates`, `discovery.invalid_radius` or `discovery.invalid_limit`.
    """
    found = selectors.stores_near(
        merchant=merchant_of(request), latitude=lat, longitude=lng, radius_m=radius_m, limit=limit
    )
    return {"items": [_item(n) for n in found]}


def _item(n: NearbyStore) -> dict[str, Any]:
    rating = None
    if n.rating is not None:
        rating = {"average": n.rating.display, "review_count": n.rating.review_count, "rating_sum": n.rating.rating_sum}
    deals = [
        {"id": d.public_id, "title": d.title, "price_fen": d.price_fen, "list_price_fen": d.list_price_fen}
        for d in n.deals
    ]
    return {"distance_m": round(n.distance_m), "store": n.store, "rating": rating, "deals": deals}
