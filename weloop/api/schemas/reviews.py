"""Reviews over the API: the merchant reads, replies, hides, shows and reports."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.reviews.enums import ReviewStatus
from weloop.reviews.models import Review


class ReviewOut(Schema):
    id: str = Field(description="The review's public id.", examples=["rv_4K9QX2M7PA"])
    kind: str = Field(description="What was consumed: `order`, `voucher` or `booking`.", examples=["order"])
    source: str = Field(
        description="The order number, redemption id or booking id reviewed.", examples=["O2026112200123"]
    )
    member_id: str = Field(description="The author's member public id.", examples=["mb_2M7PA4K9QX"])
    author_name: str = Field(description="The author's nickname when they wrote it; may be empty.", examples=["小林"])
    store_id: str | None = Field(
        description="The store reviewed; null for a delivered order.", examples=["st_4K9QX2M7PA"]
    )
    rating: int = Field(description="Rating of the store / purchase, 1 to 5.", examples=[5])
    product_id: str | None = Field(description="The product (or deal) also rated, if any.", examples=["pr_9XPA2M7Q4K"])
    product_name: str = Field(description="That product's name then; may be empty.", examples=["法式可颂"])
    product_rating: int | None = Field(description="Rating of that product, 1 to 5, or null.", examples=[4])
    text: str = Field(description="The review text; may be empty.", examples=["可颂很酥，店员很热情。"])
    photos: list[str] = Field(description="URLs of the attached photos, in order.")
    status: ReviewStatus = Field(description="`visible`, or `hidden` by the merchant (its author still sees it).")
    hidden_reason: str = Field(description="Why it was hidden; empty when visible.", examples=[""])
    reply: str = Field(description="The merchant's public reply; may be empty.", examples=["谢谢光临！"])
    replied_at: dt.datetime | None = Field(description="When the reply was last written.")
    reported_at: dt.datetime | None = Field(description="When the merchant reported it to the platform, if ever.")
    created_at: dt.datetime = Field(description="When it was written.")

    @staticmethod
    def resolve_id(obj: Review) -> str:
        return obj.public_id

    @staticmethod
    def resolve_kind(obj: Review) -> str:
        return obj.eligibility.kind

    @staticmethod
    def resolve_source(obj: Review) -> str:
        return obj.eligibility.source_ref

    @staticmethod
    def resolve_member_id(obj: Review) -> str:
        return obj.member_ref

    @staticmethod
    def resolve_store_id(obj: Review) -> str | None:
        return obj.store_ref or None

    @staticmethod
    def resolve_product_id(obj: Review) -> str | None:
        return obj.product_ref or None

    @staticmethod
    def resolve_photos(obj: Review) -> list[str]:
        return [photo.file.url for photo in obj.photos.all()]


class ReviewPage(Page):
    items: list[ReviewOut] = Field(description="The reviews on this page, newest first.")


class ReviewFilters(Schema):
    status: ReviewStatus | None = Field(None, description="Only reviews with this status.")
    store_id: str | None = Field(None, description="Only reviews of this store (public id).")
    product_id: str | None = Field(None, description="Only reviews rating this product (public id).")


class ReplyIn(InputSchema):
    text: str = Field(
        description="The public reply, 1 to 1000 characters; replaces an earlier one.", examples=["谢谢光临！"]
    )


class ReasonIn(InputSchema):
    reason: str = Field(
        description="Why, 1 to 200 characters; kept in the review's audit trail.", examples=["含广告链接"]
    )


class ShowIn(InputSchema):
    reason: str = Field("", description="Optional note for the audit trail, at most 200 characters.")
