"""Nearby stores over the API."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.stores import StoreOut


class RatingOut(Schema):
    average: str = Field(description="Mean of the visible ratings, 1 decimal, rounded half up.", examples=["4.5"])
    review_count: int = Field(description="How many visible reviews the mean is over.", examples=[12])
    rating_sum: int = Field(description="Sum of those ratings (exact mean = rating_sum / review_count).", examples=[54])


class DealBadgeOut(Schema):
    id: str = Field(description="The deal's public id.", examples=["dl_7Q2M4K9XPA"])
    title: str = Field(description="The deal's title.", examples=["双人下午茶套餐"])
    price_fen: int = Field(description="The deal price in fen.", examples=[8800])
    list_price_fen: int | None = Field(description="The list price in fen, when the deal has one.", examples=[12800])


class NearbyStoreOut(Schema):
    distance_m: int = Field(
        description="Great-circle distance from the given point, whole metres (rounded).", examples=[742]
    )
    store: StoreOut = Field(description="The store, with `is_open_now`.")
    rating: RatingOut | None = Field(description="The store's rating, or null without visible reviews.")
    deals: list[DealBadgeOut] = Field(description="Active deals usable at this store (empty without a deals app).")


class NearbyOut(Schema):
    items: list[NearbyStoreOut] = Field(description="At most `limit` stores within `radius_m`, nearest first.")
