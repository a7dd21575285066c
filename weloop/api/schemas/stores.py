"""Stores over the API: what a client sends and what it gets back.

The schemas check only JSON types. Domain rules (coordinate ranges, HH:MM times, weekdays,
overlapping hours, text lengths) are checked by ``weloop.stores.services``, so the API, the
console and the demo seed refuse the same input with the same code. The limits are still written
into the JSON schema below so that the OpenAPI document tells clients about them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, WithJsonSchema

from weloop.api.schemas.common import InputSchema, Page
from weloop.stores.enums import StoreStatus
from weloop.stores.models import HoursException, OpeningHours, Store
from weloop.stores.selectors import store_is_open
from weloop.stores.services import HoursInput, StoreInput, StorePatch

_HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"
_HH_MM_HELP = "Local time as HH:MM (24-hour clock)"


def _coordinate_schema(low: int, high: int) -> WithJsonSchema:
    # Numbers and strings are both accepted and handed to the service unchanged: it refuses
    # NaN, infinities, out-of-range values and non-numbers with 400 stores.invalid_coordinates.
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": low, "maximum": high},
                {"type": "string", "pattern": r"^-?\d{1,3}(\.\d+)?$"},
            ]
        }
    )


LatitudeIn = Annotated[Any, _coordinate_schema(-90, 90)]
LongitudeIn = Annotated[Any, _coordinate_schema(-180, 180)]

_LATITUDE_HELP = "Latitude in degrees, GCJ-02 (the datum WeChat reports in mainland China), -90 to 90"
_LONGITUDE_HELP = "Longitude in degrees, GCJ-02, -180 to 180"


class HoursIn(InputSchema):
    weekday: int = Field(
        description="Day of the week: 0 = Monday … 6 = Sunday.",
        examples=[0],
        json_schema_extra={"minimum": 0, "maximum": 6},
    )
    opens: str = Field(
        description=f"{_HH_MM_HELP} when the store opens.",
        examples=["08:00"],
        json_schema_extra={"pattern": _HH_MM},
    )
    closes: str = Field(
        description=f"{_HH_MM_HELP} when the store closes; at or before `opens` means after midnight.",
        examples=["22:00"],
        json_schema_extra={"pattern": _HH_MM},
    )

    def to_service(self) -> HoursInput:
        return HoursInput(self.weekday, self.opens, self.closes)


_HOURS_HELP = (
    "The regular week: any number of periods per weekday; periods must not overlap "
    "(overnight periods included). A day without a period is closed."
)


class StoreIn(InputSchema):
    name: str = Field(
        description="Name customers see; unique among your stores.",
        examples=["Futian flagship"],
        json_schema_extra={"maxLength": 80},
    )
    address: str = Field(
        description="Street address.", examples=["1 Shennan Avenue"], json_schema_extra={"maxLength": 200}
    )
    city: str = Field(description="City.", examples=["Shenzhen"], json_schema_extra={"maxLength": 40})
    district: str = Field("", description="District within the city.", json_schema_extra={"maxLength": 40})
    latitude: LatitudeIn = Field(description=f"{_LATITUDE_HELP}; a number or a decimal string.", examples=[22.543096])
    longitude: LongitudeIn = Field(
        description=f"{_LONGITUDE_HELP}; a number or a decimal string.", examples=[114.057865]
    )
    phone: str = Field(
        "",
        description="Phone number: digits, spaces, +, - and brackets.",
        examples=["0755-8888 0000"],
        json_schema_extra={"maxLength": 32},
    )
    hours: list[HoursIn] = Field(default_factory=list, description=_HOURS_HELP)

    def to_service(self) -> StoreInput:
        return StoreInput(
            name=self.name,
            address=self.address,
            city=self.city,
            district=self.district,
            latitude=self.latitude,
            longitude=self.longitude,
            phone=self.phone,
            hours=[h.to_service() for h in self.hours],
        )


_KEEP = "Omit (or send null) to keep the current value."


class StorePatchIn(InputSchema):
    name: str | None = Field(None, description=f"New name, unique among your stores. {_KEEP}")
    address: str | None = Field(None, description=f"New street address. {_KEEP}")
    city: str | None = Field(None, description=f"New city. {_KEEP}")
    district: str | None = Field(None, description=f"New district; an empty string clears it. {_KEEP}")
    latitude: LatitudeIn = Field(None, description=f"{_LATITUDE_HELP}. {_KEEP}")
    longitude: LongitudeIn = Field(None, description=f"{_LONGITUDE_HELP}. {_KEEP}")
    phone: str | None = Field(None, description=f"New phone number; an empty string clears it. {_KEEP}")
    hours: list[HoursIn] | None = Field(
        None, description=f"The whole new week, replacing every current period. {_KEEP}"
    )

    def to_service(self) -> StorePatch:
        return StorePatch(
            name=self.name,
            address=self.address,
            city=self.city,
            district=self.district,
            phone=self.phone,
            latitude=self.latitude,
            longitude=self.longitude,
            hours=None if self.hours is None else [h.to_service() for h in self.hours],
        )


class StoreStatusIn(InputSchema):
    status: StoreStatus = Field(
        description="New status: `active` (open for business), `paused` (temporarily closed) or "
        "`closed` (closed for good). Allowed moves: active → paused|closed, paused → active|closed, "
        "closed → active.",
        examples=["paused"],
    )
    reason: str = Field(
        "", description="Why, kept in the store's status history.", json_schema_extra={"maxLength": 500}
    )


class StoreFilters(Schema):
    status: StoreStatus | None = Field(None, description="Only stores with this status.")
    city: str | None = Field(None, description="Only stores in this city (exact match).")
    q: str | None = Field(None, description="Only stores whose name or address contains this text.")


class HoursExceptionIn(InputSchema):
    is_closed: bool = Field(
        True, description="True: closed all day. False: open that day from `opens` to `closes` only."
    )
    opens: str | None = Field(
        None,
        description=f"{_HH_MM_HELP}; required when `is_closed` is false.",
        examples=["10:00"],
        json_schema_extra={"pattern": _HH_MM},
    )
    closes: str | None = Field(
        None,
        description=f"{_HH_MM_HELP}; required when `is_closed` is false.",
        examples=["16:00"],
        json_schema_extra={"pattern": _HH_MM},
    )
    note: str = Field(
        "", description="Shown to customers, e.g. the holiday's name.", json_schema_extra={"maxLength": 100}
    )


def _hh_mm(value: dt.time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _degrees(value: Decimal) -> str:
    return f"{value:.6f}"


class HoursOut(Schema):
    weekday: int = Field(description="Day of the week: 0 = Monday … 6 = Sunday.", examples=[0])
    opens: str = Field(description=f"{_HH_MM_HELP} when the store opens.", examples=["08:00"])
    closes: str = Field(
        description=f"{_HH_MM_HELP} when it closes; at or before `opens` means after midnight.", examples=["22:00"]
    )

    @staticmethod
    def resolve_opens(obj: OpeningHours) -> str | None:
        return _hh_mm(obj.opens)

    @staticmethod
    def resolve_closes(obj: OpeningHours) -> str | None:
        return _hh_mm(obj.closes)


class StoreOut(Schema):
    id: str = Field(description="The store's public id; use it in URLs.", examples=["st_4K9QX2M7PA"])
    name: str = Field(description="Name customers see.", examples=["Futian flagship"])
    address: str = Field(description="Street address.", examples=["1 Shennan Avenue"])
    city: str = Field(description="City.", examples=["Shenzhen"])
    district: str = Field(description="District within the city; may be empty.", examples=["Futian"])
    latitude: str = Field(
        description=f"{_LATITUDE_HELP}, as a decimal string with 6 decimals (exact, never a float).",
        examples=["22.543096"],
    )
    longitude: str = Field(
        description=f"{_LONGITUDE_HELP}, as a decimal string with 6 decimals.", examples=["114.057865"]
    )
    phone: str = Field(description="Phone number; may be empty.", examples=["0755-8888 0000"])
    status: StoreStatus = Field(description="`active`, `paused` or `closed`.", examples=["active"])
    is_open_now: bool = Field(
        description="Whether the store is open right now: status active, and inside today's hours "
        "(regular week or the day's exception) in the platform's time zone."
    )
    hours: list[HoursOut] = Field(description="The regular week, sorted by weekday then opening time.")
    created_at: dt.datetime = Field(description="When the store was created (ISO 8601).")
    updated_at: dt.datetime = Field(description="When the store was last changed (ISO 8601).")

    @staticmethod
    def resolve_id(obj: Store) -> str:
        return obj.public_id

    @staticmethod
    def resolve_latitude(obj: Store) -> str:
        return _degrees(obj.latitude)

    @staticmethod
    def resolve_longitude(obj: Store) -> str:
        return _degrees(obj.longitude)

    @staticmethod
    def resolve_is_open_now(obj: Store) -> bool:
        return store_is_open(obj)

    @staticmethod
    def resolve_hours(obj: Store) -> list[OpeningHours]:
        return list(obj.opening_hours.all())


class StorePage(Page):
    items: list[StoreOut] = Field(description="This page of stores, oldest first.")


class HoursExceptionOut(Schema):
    date: dt.date = Field(description="The day this exception applies to (YYYY-MM-DD).", examples=["2026-02-17"])
    is_closed: bool = Field(description="True: closed all day. False: open from `opens` to `closes` only.")
    opens: str | None = Field(description=f"{_HH_MM_HELP}; null when closed all day.", examples=["10:00"])
    closes: str | None = Field(description=f"{_HH_MM_HELP}; null when closed all day.", examples=["16:00"])
    note: str = Field(description="Shown to customers, e.g. the holiday's name.", examples=["Spring Festival"])

    @staticmethod
    def resolve_opens(obj: HoursException) -> str | None:
        return _hh_mm(obj.opens)

    @staticmethod
    def resolve_closes(obj: HoursException) -> str | None:
        return _hh_mm(obj.closes)
