"""Members, their timelines and parametric QR codes over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from weloop.api.schemas.common import InputSchema, Page
from weloop.members.enums import MemberSource, QrCodeKind, TouchKind
from weloop.members.models import Member, MemberTouch, QrCode
from weloop.wechat.client import qrcode_image_url
from weloop.wechat.limits import QR_MAX_EXPIRE_SECONDS


def _public_id(obj: Any) -> str | None:
    return obj.public_id if obj is not None else None


def _degrees(value: Any) -> str | None:
    return None if value is None else f"{value:.6f}"


# --- members ------------------------------------------------------------------------------------


class MemberFilters(Schema):
    following: bool | None = Field(
        None, description="true: only current followers; false: only people who unfollowed or never followed."
    )
    store_id: str | None = Field(
        None, description="Only members whose first touch is attributed to this store (its public id, `st_…`)."
    )
    q: str | None = Field(
        None, description="Text search: part of the nickname or phone, or an exact openid or member id."
    )


class MemberOut(Schema):
    id: str = Field(description="The member's public id; use it in URLs.", examples=["mb_7Q2M4K9XPA"])
    openid: str = Field(
        description="The member's openid for your service account (unique per account).",
        examples=["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"],
    )
    unionid: str = Field(
        description="The WeChat unionid, shared by your accounts under one open platform; empty when unknown."
    )
    nickname: str = Field(description="WeChat nickname; empty until known (snsapi_userinfo or set by you).")
    avatar_url: str = Field(description="URL of the WeChat avatar; may be empty.")
    phone: str = Field(description="Phone number the member gave; may be empty.")
    is_following: bool = Field(description="Whether the member follows your service account now.")
    followed_at: dt.datetime | None = Field(description="When the member last followed (ISO 8601); null if never seen.")
    unfollowed_at: dt.datetime | None = Field(description="When the member last unfollowed (ISO 8601); null if never.")
    first_source: MemberSource = Field(
        description="How you first met the member: `follow`, `oauth` (opened an H5 page), `scan`, `purchase` "
        "or `message`. Set once, never changes.",
        examples=["follow"],
    )
    first_qr_code_id: str | None = Field(
        description="The QR code (`qr_…`) of the first touch, if the member first came through one."
    )
    first_store_id: str | None = Field(description="The store (`st_…`) the first touch is attributed to, if any.")
    first_staff_id: str | None = Field(
        description="The staff member (`stf_…`, a shopping guide) the first touch is attributed to, if any."
    )
    first_channel: str = Field(description="The channel name of the first touch's QR code; may be empty.")
    created_at: dt.datetime = Field(description="When the member was created: the first touch (ISO 8601).")

    @staticmethod
    def resolve_id(obj: Member) -> str:
        return obj.public_id

    @staticmethod
    def resolve_first_qr_code_id(obj: Member) -> str | None:
        return _public_id(obj.first_qr_code)

    @staticmethod
    def resolve_first_store_id(obj: Member) -> str | None:
        return _public_id(obj.first_store)

    @staticmethod
    def resolve_first_staff_id(obj: Member) -> str | None:
        return _public_id(obj.first_staff)


class MemberPage(Page):
    items: list[MemberOut] = Field(description="This page of members, newest first.")


class TouchOut(Schema):
    kind: TouchKind = Field(
        description="What happened: `follow`, `unfollow`, `scan`, `oauth`, `location`, `menu_click`, "
        "`menu_view`, `message` or `purchase`.",
        examples=["scan"],
    )
    at: dt.datetime = Field(description="When it happened (ISO 8601): WeChat's CreateTime for pushed events.")
    qr_code_id: str | None = Field(description="The QR code (`qr_…`) scanned, if any.")
    store_id: str | None = Field(description="The store (`st_…`) this touch is attributed to, if any.")
    staff_id: str | None = Field(description="The staff member (`stf_…`) this touch is attributed to, if any.")
    channel: str = Field(description="The channel name this touch is attributed to; may be empty.")
    latitude: str | None = Field(
        description="Latitude (GCJ-02) of a location touch, 6 decimals; null otherwise.", examples=["22.543096"]
    )
    longitude: str | None = Field(
        description="Longitude (GCJ-02) of a location touch, 6 decimals; null otherwise.", examples=["114.057865"]
    )
    detail: dict[str, Any] = Field(
        description="Details by kind, e.g. `scene` of a scan, `key` of a menu click, `url` of a menu link, "
        "`msg_type` and `msg_id` of a message, `label` of a shared location."
    )

    @staticmethod
    def resolve_qr_code_id(obj: MemberTouch) -> str | None:
        return _public_id(obj.qr_code)

    @staticmethod
    def resolve_store_id(obj: MemberTouch) -> str | None:
        return _public_id(obj.store)

    @staticmethod
    def resolve_staff_id(obj: MemberTouch) -> str | None:
        return _public_id(obj.staff)

    @staticmethod
    def resolve_latitude(obj: MemberTouch) -> str | None:
        return _degrees(obj.latitude)

    @staticmethod
    def resolve_longitude(obj: MemberTouch) -> str | None:
        return _degrees(obj.longitude)


class TouchPage(Page):
    items: list[TouchOut] = Field(description="This page of the member's touches, newest first.")


# --- QR codes -----------------------------------------------------------------------------------


class QrCodeFilters(Schema):
    kind: QrCodeKind | None = Field(None, description="Only codes of this kind: `store`, `guide` or `channel`.")
    store_id: str | None = Field(None, description="Only codes attributed to this store (`st_…`).")


class QrCodeIn(InputSchema):
    kind: QrCodeKind = Field(
        description="What scans are attributed to: `store` (needs `store_id`), `guide` (a shopping guide: "
        "needs `staff_id`, may add `store_id`) or `channel` (needs `channel`).",
        examples=["store"],
    )
    store_id: str | None = Field(None, description="The store (`st_…`) scans are attributed to.")
    staff_id: str | None = Field(None, description="The staff member (`stf_…`) scans are attributed to.")
    channel: str = Field(
        "",
        description="A channel or campaign name (e.g. `flyer-2026-spring`); required for `channel` codes, "
        "an optional label otherwise.",
        json_schema_extra={"maxLength": 64},
    )
    permanent: bool = Field(
        True, description="true: a permanent code that never expires; false: a temporary code that expires."
    )
    expire_seconds: int | None = Field(
        None,
        description=f"Temporary codes only: seconds until the code expires, 1 to {QR_MAX_EXPIRE_SECONDS} "
        "(30 days, also the default). Must be null for a permanent code (else 400 `wechat.limit_exceeded`).",
        json_schema_extra={"minimum": 1, "maximum": QR_MAX_EXPIRE_SECONDS},
    )


class QrCodeOut(Schema):
    id: str = Field(description="The QR code's public id; use it in URLs.", examples=["qr_3M9KX2A7QD"])
    kind: QrCodeKind = Field(description="`store`, `guide` or `channel`.", examples=["store"])
    store_id: str | None = Field(description="The store (`st_…`) scans are attributed to, if any.")
    staff_id: str | None = Field(description="The staff member (`stf_…`) scans are attributed to, if any.")
    channel: str = Field(description="The channel name; may be empty.")
    scene: str = Field(description="The scene string WeChat pushes back on every scan (the code's public id).")
    permanent: bool = Field(description="Whether the code is permanent (else it expires at `expire_at`).")
    ticket: str = Field(description="WeChat's ticket for the code.")
    url: str = Field(description="The content of the QR code: encode it into an image yourself, or use `image_url`.")
    image_url: str = Field(description="WeChat's image of the code (showqrcode), as a JPEG.")
    expire_at: dt.datetime | None = Field(
        description="When a temporary code stops working (ISO 8601); null if permanent."
    )
    is_expired: bool = Field(description="Whether the code has expired.")
    scan_count: int = Field(description="How many times the code was scanned, follows through it included.")
    follow_count: int = Field(description="How many follows the code brought.")
    created_at: dt.datetime = Field(description="When the code was created (ISO 8601).")

    @staticmethod
    def resolve_id(obj: QrCode) -> str:
        return obj.public_id

    @staticmethod
    def resolve_store_id(obj: QrCode) -> str | None:
        return _public_id(obj.store)

    @staticmethod
    def resolve_staff_id(obj: QrCode) -> str | None:
        return _public_id(obj.staff)

    @staticmethod
    def resolve_scene(obj: QrCode) -> str:
        return obj.scene_str

    @staticmethod
    def resolve_image_url(obj: QrCode) -> str:
        return qrcode_image_url(obj.ticket) if obj.ticket else ""

    @staticmethod
    def resolve_is_expired(obj: QrCode) -> bool:
        return obj.is_expired


class QrCodePage(Page):
    items: list[QrCodeOut] = Field(description="This page of QR codes, newest first.")
