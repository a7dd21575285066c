"""Shapes every resource shares: the error body, input strictness and pages of results."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class ErrorOut(Schema):
    """The body of every error response."""

    code: str = Field(
        description="Stable, dotted machine code to branch on; never changes once published.",
        examples=["stores.invalid_coordinates"],
    )
    message: str = Field(
        description="Explanation for people; its wording may change, so do not parse it.",
        examples=["Latitude must be between -90 and 90 and longitude between -180 and 180."],
    )
    extra: dict[str, Any] = Field(
        description="Machine-readable details of this error (e.g. the offending field); may be empty.",
        examples=[{"latitude": "91", "longitude": "114.057865"}],
    )


class InputSchema(Schema):
    """Base of request bodies: an unknown field is refused (422) instead of silently ignored, so a
    typo such as ``lat`` for ``latitude`` cannot pass unnoticed."""

    model_config = ConfigDict(extra="forbid")


class PageIn(Schema):
    """Query parameters of every list operation."""

    limit: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"How many items to return (1-{MAX_PAGE_SIZE}).",
    )
    offset: int = Field(0, ge=0, description="How many items to skip from the start of the full list.")


class Page(Schema):
    """A page of a list; subclasses add ``items`` with their own item type."""

    count: int = Field(description="How many items match the filters in total, over all pages.", examples=[3])
