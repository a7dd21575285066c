"""Segments over the API: saved member selections written in the segment expression language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.segments.models import Segment

EXPRESSION_HELP = (
    'The expression as text (`tag:"size-38" AND following AND NOT gender:male`) or in its JSON form '
    '(`{"op": "and", "args": [{"term": "tag", "value": "size-38"}, {"term": "following"}]}`). Terms: '
    "`tag:NAME`, `following`, `source:follow|oauth|scan|purchase|message|store|guide|channel`, "
    "`first_store:STORE_ID`, `gender:male|female|unknown`, `city:NAME`, `birthday_month:1-12`, "
    "`joined_within:Nd`; operators `AND`, `OR`, `NOT`, parentheses. Only following members are counted "
    "unless the expression names `following` itself."
)


class SegmentOut(Schema):
    id: str = Field(description="The segment's public id.", examples=["seg_4K9QX2M7PA"])
    name: str = Field(description="Its name, unique in the merchant.", examples=["Size 38, following"])
    expression: str = Field(
        description="The canonical text of its expression.", examples=['tag:"size-38" AND following']
    )
    description: str = Field(description="A note for staff; may be empty.", examples=[""])
    last_count: int | None = Field(description="Members it selected when last counted.", examples=[1280])
    last_counted_at: dt.datetime | None = Field(description="When it was last counted.")
    created_at: dt.datetime = Field(description="When it was created.")
    updated_at: dt.datetime = Field(description="When it was last changed.")

    @staticmethod
    def resolve_id(obj: Segment) -> str:
        return obj.public_id


class SegmentPage(Page):
    items: list[SegmentOut] = Field(description="The segments on this page, by name.")


class SegmentIn(InputSchema):
    name: str = Field(description="1 to 60 characters, unique in the merchant.", examples=["Size 38, following"])
    expression: str | dict[str, Any] = Field(description=EXPRESSION_HELP, examples=['tag:"size-38" AND following'])
    description: str = Field("", description="A note for staff, up to 200 characters.")


class SegmentPatch(InputSchema):
    name: str | None = Field(None, description="A new name.")
    expression: str | dict[str, Any] | None = Field(None, description=EXPRESSION_HELP)
    description: str | None = Field(None, description="A new note.")


class SegmentPreviewIn(InputSchema):
    expression: str | dict[str, Any] = Field(description=EXPRESSION_HELP, examples=['tag:"size-38" AND following'])
    sample_size: int = Field(10, ge=0, le=100, description="How many matching members to return (0-100).")


class SegmentSampleMemberOut(Schema):
    id: str = Field(description="The member's public id.", examples=["mb_2M7PA4K9QX"])
    nickname: str = Field(description="WeChat nickname; may be empty.", examples=["小林"])

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return obj.public_id


class SegmentPreviewOut(Schema):
    expression: str = Field(description="The canonical text of the expression.")
    count: int = Field(description="Members it selects now; 0 is a valid answer (it matches nobody).")
    matches_nobody: bool = Field(description="True when the count is 0.")
    sample: list[SegmentSampleMemberOut] = Field(description="A few of them, most recent first.")


class SegmentCountOut(Schema):
    id: str = Field(description="The segment's public id.")
    count: int = Field(description="Members in the segment now (also stored as `last_count`).")
    counted_at: dt.datetime | None = Field(description="When it was counted.")
