"""Writes for members: created from followers, scans, H5 visits, messages and purchases; QR codes.

Every inbound from WeChat can arrive twice, late or out of order (the messaging layer already drops
exact duplicates). So a follow or unfollow changes ``is_following`` only when it is not older than
the last change, and replaying the very same follow or unfollow changes nothing at all.

Events: ``members.member_created``, ``members.member_followed``, ``members.member_unfollowed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.db import transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.core.ids import new_public_id
from weloop.members.enums import MemberSource, QrCodeKind, TouchKind
from weloop.members.errors import InvalidMemberProfile, InvalidQrCode, WechatNotConnected
from weloop.members.models import Member, MemberTouch, QrCode
from weloop.members.selectors import qr_code_for_scene
from weloop.tenants.models import Merchant, StaffMember
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat.client import WeChatApi
from weloop.wechat.limits import qrcode_action

OPENID_MAX_LENGTH = 64
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")
_SIX_PLACES = Decimal("0.000001")

# The source a member gets when a touch of this kind is the first we hear of them.
_SOURCE_OF_TOUCH: dict[str, str] = {
    TouchKind.FOLLOW: MemberSource.FOLLOW,
    TouchKind.UNFOLLOW: MemberSource.FOLLOW,
    TouchKind.SCAN: MemberSource.SCAN,
    TouchKind.OAUTH: MemberSource.OAUTH,
    TouchKind.PURCHASE: MemberSource.PURCHASE,
}


# --- attribution --------------------------------------------------------------------------------


def _require_same_merchant(merchant: Merchant, *objects: Any) -> None:
    """Another merchant's store, staff or QR code must not leak into this merchant's rows."""
    for obj in objects:
        if obj is not None and obj.merchant_id != merchant.pk:
            raise NotFound(extra={"what": type(obj).__name__.lower()})


def _attribution(
    merchant: Merchant, qr_code: QrCode | None, store: Any, staff: StaffMember | None, channel: str
) -> dict[str, Any]:
    """Store, staff and channel of a touch: given explicitly, else those of the QR code."""
    _require_same_merchant(merchant, qr_code, store, staff)
    if qr_code is not None:
        store = store or qr_code.store
        staff = staff or qr_code.staff
        channel = channel or qr_code.channel
    return {"qr_code": qr_code, "store": store, "staff": staff, "channel": (channel or "")[:64]}


# --- members ------------------------------------------------------------------------------------


def _check_openid(openid: str) -> str:
    openid = (openid or "").strip()
    if not openid or len(openid) > OPENID_MAX_LENGTH:
        raise InvalidMemberProfile("An openid is 1 to 64 characters.", extra={"field": "openid"})
    return openid


def member_openid_check(openid: str) -> str:
    """``openid`` without surrounding spaces; ``InvalidMemberProfile`` (400) when it cannot be one."""
    return _check_openid(openid)


def member_get_or_create(
    *,
    merchant: Merchant,
    openid: str,
    source: str,
    at: datetime | None = None,
    qr_code: QrCode | None = None,
    store: Any = None,
    staff: StaffMember | None = None,
    channel: str = "",
    is_following: bool = False,
) -> tuple[Member, bool]:
    """The merchant's member for ``openid``, created with this first touch if there is none yet.

    Exactly one member per (merchant, openid), also when two requests create it at the same moment:
    the unique constraint refuses the second insert and the loser reads the winner's row.
    ``is_following`` only applies to a new member. Emits ``members.member_created`` when created.
    """
    openid = _check_openid(openid)
    if source not in MemberSource.values:
        raise InvalidMemberProfile("Unknown member source.", extra={"field": "source", "value": source})
    at = at or clock.now()
    first = _attribution(merchant, qr_code, store, staff, channel)
    defaults = {
        "first_source": source,
        "first_qr_code": first["qr_code"],
        "first_store": first["store"],
        "first_staff": first["staff"],
        "first_channel": first["channel"],
        "is_following": is_following,
        "followed_at": at if is_following and source == MemberSource.FOLLOW else None,
        "created_at": at,
        "updated_at": at,
    }
    # savepoint=False: nothing here is caught and retried (get_or_create has its own savepoint),
    # and the callback's hot path should not pay two round trips per nested block.
    with transaction.atomic(savepoint=False):
        # get_or_create inserts in a savepoint and, on IntegrityError (a concurrent insert won),
        # reads the row that won; on PostgreSQL the insert waits for the winner's commit first.
        member, created = Member.objects.get_or_create(merchant=merchant, openid=openid, defaults=defaults)
        if created:
            publish(merchant=merchant, name="members.member_created", payload=_member_created_payload(member))
    return member, created


def _member_created_payload(member: Member) -> dict[str, Any]:
    return {
        "member_id": member.public_id,
        "openid": member.openid,
        "source": member.first_source,
        "qr_code_id": member.first_qr_code.public_id if member.first_qr_code else None,
        "store_id": member.first_store.public_id if member.first_store else None,
        "staff_id": member.first_staff.public_id if member.first_staff else None,
        "channel": member.first_channel,
    }


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update().get(pk=member.pk)


def _coordinate(value: Any, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number.quantize(_SIX_PLACES)


def _write_touch(
    member: Member,
    *,
    kind: str,
    at: datetime,
    attribution: dict[str, Any] | None = None,
    latitude: Any = None,
    longitude: Any = None,
    detail: dict[str, Any] | None = None,
) -> MemberTouch:
    touch = _touch_row(
        member, kind=kind, at=at, attribution=attribution, latitude=latitude, longitude=longitude, detail=detail
    )
    touch.save(force_insert=True)
    return touch


def _touch_row(
    member: Member,
    *,
    kind: str,
    at: datetime,
    attribution: dict[str, Any] | None = None,
    latitude: Any = None,
    longitude: Any = None,
    detail: dict[str, Any] | None = None,
) -> MemberTouch:
    """The unsaved touch row; coordinates the database would refuse are kept in ``detail`` only."""
    lat, lng = _coordinate(latitude, 90), _coordinate(longitude, 180)
    detail = dict(detail or {})
    if (latitude is not None and lat is None) or (longitude is not None and lng is None):
        # Keep what WeChat sent, but never a coordinate the database would refuse.
        detail["invalid_coordinates"] = [str(latitude), str(longitude)]
        lat = lng = None
    return MemberTouch(
        merchant_id=member.merchant_id,
        member=member,
        kind=kind,
        at=at,
        latitude=lat,
        longitude=lng,
        detail=detail,
        **(attribution or {"qr_code": None, "store": None, "staff": None, "channel": ""}),
    )


def member_touch(
    *,
    merchant: Merchant,
    openid: str,
    kind: str,
    at: datetime | None = None,
    source: str | None = None,
    is_following: bool = False,
    qr_code: QrCode | None = None,
    store: Any = None,
    staff: StaffMember | None = None,
    channel: str = "",
    latitude: Any = None,
    longitude: Any = None,
    detail: dict[str, Any] | None = None,
) -> MemberTouch:
    """Record one contact with the member behind ``openid`` (creating the member if needed).

    ``source`` is the first-touch source should the member be new (default: from ``kind``);
    ``is_following`` says the contact proves a follower (WeChat pushes messages only for followers).
    Invalid coordinates are kept in ``detail`` only. Follows, unfollows and scans have their own
    services, which also keep the member's state and the QR counts.
    """
    if kind not in TouchKind.values:
        raise InvalidMemberProfile("Unknown touch kind.", extra={"field": "kind", "value": kind})
    at = at or clock.now()
    with transaction.atomic(savepoint=False):
        member, _created = member_get_or_create(
            merchant=merchant,
            openid=openid,
            source=source or _SOURCE_OF_TOUCH.get(kind, MemberSource.MESSAGE),
            at=at,
            qr_code=qr_code,
            store=store,
            staff=staff,
            channel=channel,
            is_following=is_following,
        )
        attribution = _attribution(merchant, qr_code, store, staff, channel)
        return _write_touch(
            member, kind=kind, at=at, attribution=attribution, latitude=latitude, longitude=longitude, detail=detail
        )


@dataclass(frozen=True)
class TouchInput:
    """One contact for ``member_touch_many`` (no attribution: messages, locations, menu taps)."""

    openid: str
    kind: str
    at: datetime
    latitude: Any = None
    longitude: Any = None
    detail: dict[str, Any] | None = None


def member_touch_many(
    *, merchant: Merchant, touches: Sequence[TouchInput], source: str | None = None, is_following: bool = False
) -> list[Member]:
    """``member_touch`` for many contacts of ``merchant`` at once; their members, in order.

    One query finds the known members, unknown ones are created as ``member_touch`` would create
    them (``members.member_created`` each), and the touches are written with one bulk insert. The
    queue uses it for a batch of inbound messages. Raises like ``member_touch``; nothing is written
    when it raises inside the caller's transaction.
    """
    for touch in touches:
        if touch.kind not in TouchKind.values:
            raise InvalidMemberProfile("Unknown touch kind.", extra={"field": "kind", "value": touch.kind})
    openids = {_check_openid(touch.openid) for touch in touches}
    with transaction.atomic(savepoint=False):
        members = {m.openid: m for m in Member.objects.filter(merchant=merchant, openid__in=openids)}
        for touch in touches:
            openid = touch.openid.strip()
            if openid not in members:
                members[openid], _created = member_get_or_create(
                    merchant=merchant,
                    openid=openid,
                    source=source or _SOURCE_OF_TOUCH.get(touch.kind, MemberSource.MESSAGE),
                    at=touch.at,
                    is_following=is_following,
                )
        ordered = [members[touch.openid.strip()] for touch in touches]
        MemberTouch.objects.bulk_create(
            [
                _touch_row(member, kind=t.kind, at=t.at, latitude=t.latitude, longitude=t.longitude, detail=t.detail)
                for member, t in zip(ordered, touches, strict=True)
            ]
        )
    return ordered


def _last_change(member: Member) -> datetime | None:
    moments = [m for m in (member.followed_at, member.unfollowed_at) if m is not None]
    return max(moments) if moments else None


def member_follow(*, merchant: Merchant, openid: str, scene: str | None = None, at: datetime | None = None) -> Member:
    """The user behind ``openid`` followed the account, maybe by scanning the QR code of ``scene``.

    Creates the member (first touch: follow, attributed to the QR code's store/guide/channel) or
    marks a returning one as following again. Counts a scan and a follow on the QR code. Replaying
    the same follow (same ``at``) changes nothing; a follow older than the last unfollow is recorded
    in the timeline but leaves the member unfollowed. Emits ``members.member_followed``.
    """
    at = at or clock.now()
    qr = qr_code_for_scene(merchant=merchant, scene=scene)
    attribution = _attribution(merchant, qr, None, None, "")
    with transaction.atomic():
        member, created = member_get_or_create(
            merchant=merchant, openid=openid, source=MemberSource.FOLLOW, at=at, qr_code=qr, is_following=True
        )
        member = _locked(member)
        if not created and member.is_following and member.followed_at == at:
            return member  # this very follow was recorded already
        last = _last_change(member)
        if not created and (last is None or at >= last):  # a new member was created following
            member.is_following, member.followed_at, member.updated_at = True, at, clock.now()
            member.save(update_fields=["is_following", "followed_at", "updated_at"])
        _write_touch(member, kind=TouchKind.FOLLOW, at=at, attribution=attribution, detail=_scene_detail(scene, qr))
        if qr is not None:
            QrCode.objects.filter(pk=qr.pk).update(scan_count=F("scan_count") + 1, follow_count=F("follow_count") + 1)
        publish(
            merchant=merchant,
            name="members.member_followed",
            payload={
                "member_id": member.public_id,
                "openid": member.openid,
                "returning": not created,
                "qr_code_id": qr.public_id if qr else None,
                "store_id": qr.store.public_id if qr and qr.store else None,
                "staff_id": qr.staff.public_id if qr and qr.staff else None,
                "channel": qr.channel if qr else "",
                "at": at.isoformat(),
            },
        )
    return member


def _scene_detail(scene: str | None, qr: QrCode | None) -> dict[str, Any]:
    if not scene:
        return {}
    return {"scene": scene} if qr is None else {"scene": scene, "qr_code_id": qr.public_id}


def member_unfollow(*, merchant: Merchant, openid: str, at: datetime | None = None) -> Member:
    """The user behind ``openid`` unfollowed the account.

    A member we never saw is created (they were a follower: first touch "follow"). Replaying the
    same unfollow changes nothing; an unfollow older than the last follow is only recorded in the
    timeline. Emits ``members.member_unfollowed``.
    """
    at = at or clock.now()
    with transaction.atomic():
        member, created = member_get_or_create(merchant=merchant, openid=openid, source=MemberSource.FOLLOW, at=at)
        member = _locked(member)
        if not created and not member.is_following and member.unfollowed_at == at:
            return member
        last = _last_change(member)
        if created or last is None or at >= last:
            member.is_following, member.unfollowed_at, member.updated_at = False, at, clock.now()
            member.save(update_fields=["is_following", "unfollowed_at", "updated_at"])
        _write_touch(member, kind=TouchKind.UNFOLLOW, at=at)
        publish(
            merchant=merchant,
            name="members.member_unfollowed",
            payload={"member_id": member.public_id, "openid": member.openid, "at": at.isoformat()},
        )
    return member


def member_record_scan(
    *, merchant: Merchant, openid: str, scene: str, at: datetime | None = None, is_following: bool = True
) -> Member:
    """A user scanned the QR code of ``scene`` (WeChat's SCAN event: they already follow).

    Creates the member if needed (first touch: scan, attributed to the code), writes a scan touch
    and counts the scan on the code.
    """
    at = at or clock.now()
    qr = qr_code_for_scene(merchant=merchant, scene=scene)
    with transaction.atomic():
        touch = member_touch(
            merchant=merchant,
            openid=openid,
            kind=TouchKind.SCAN,
            at=at,
            is_following=is_following,
            qr_code=qr,
            detail=_scene_detail(scene, qr),
        )
        if qr is not None:
            QrCode.objects.filter(pk=qr.pk).update(scan_count=F("scan_count") + 1)
    return touch.member


def member_record_oauth(
    *,
    merchant: Merchant,
    openid: str,
    at: datetime | None = None,
    unionid: str | None = None,
    nickname: str | None = None,
    avatar_url: str | None = None,
) -> Member:
    """The user opened an H5 page through WeChat OAuth: the member exists from now on.

    Profile fields given (snsapi_userinfo) update the member.
    """
    at = at or clock.now()
    with transaction.atomic():
        touch = member_touch(merchant=merchant, openid=openid, kind=TouchKind.OAUTH, at=at)
        if any(value is not None for value in (unionid, nickname, avatar_url)):
            return member_update_profile(
                merchant=merchant, openid=openid, unionid=unionid, nickname=nickname, avatar_url=avatar_url
            )
    return touch.member


def member_update_profile(
    *,
    merchant: Merchant,
    openid: str,
    nickname: str | None = None,
    avatar_url: str | None = None,
    unionid: str | None = None,
    phone: str | None = None,
) -> Member:
    """Change the given profile fields (None keeps a field; "" clears it).

    Raises ``NotFound`` for an unknown openid and ``InvalidMemberProfile`` (400) for a bad value.
    """
    changes = _clean_profile(nickname=nickname, avatar_url=avatar_url, unionid=unionid, phone=phone)
    with transaction.atomic():
        member = Member.objects.for_merchant(merchant).select_for_update().filter(openid=openid).first()
        if member is None:
            raise NotFound(extra={"what": "member"})
        changed = [name for name, value in changes.items() if getattr(member, name) != value]
        if changed:
            for name in changed:
                setattr(member, name, changes[name])
            member.updated_at = clock.now()
            member.save(update_fields=[*changed, "updated_at"])
    return member


def _clean_profile(**fields: str | None) -> dict[str, str]:
    limits = {"nickname": 64, "avatar_url": 500, "unionid": 64, "phone": 32}
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            continue
        value = value.strip()
        if len(value) > limits[name]:
            if name != "nickname":
                raise InvalidMemberProfile(
                    f"{name} is at most {limits[name]} characters.", extra={"field": name, "limit": limits[name]}
                )
            value = value[: limits[name]]  # WeChat nicknames are the user's: shorten, never refuse
        cleaned[name] = value
    if cleaned.get("avatar_url") and not cleaned["avatar_url"].startswith(("https://", "http://")):
        raise InvalidMemberProfile("The avatar must be an http(s) URL.", extra={"field": "avatar_url"})
    if cleaned.get("phone") and not _PHONE.match(cleaned["phone"]):
        raise InvalidMemberProfile("This is not a phone number.", extra={"field": "phone"})
    return cleaned


# --- QR codes -----------------------------------------------------------------------------------


class QrCodeApi(Protocol):
    """What QR creation needs from WeChat: ``weloop.wechat.client.WeChatApi`` (or a stand-in)."""

    def qrcode_create(self, scene: int | str, *, permanent: bool, expire_seconds: int | None = None) -> Any: ...


def _qr_api_for(merchant: Merchant) -> QrCodeApi:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise WechatNotConnected()
    return WeChatApi(account.appid, account.app_secret)


def _check_qr_target(
    merchant: Merchant, kind: str, store: Any, staff: StaffMember | None, channel: str
) -> tuple[Any, StaffMember | None, str]:
    if kind not in QrCodeKind.values:
        raise InvalidQrCode("Choose store, guide or channel.", extra={"field": "kind", "value": kind})
    _require_same_merchant(merchant, store, staff)
    channel = (channel or "").strip()
    if len(channel) > 64:
        raise InvalidQrCode("A channel name is at most 64 characters.", extra={"field": "channel"})
    if kind == QrCodeKind.STORE and store is None:
        raise InvalidQrCode("A store QR code needs a store.", extra={"field": "store_id"})
    if kind == QrCodeKind.GUIDE and staff is None:
        raise InvalidQrCode("A guide QR code needs a staff member.", extra={"field": "staff_id"})
    if kind == QrCodeKind.CHANNEL and not channel:
        raise InvalidQrCode("A channel QR code needs a channel name.", extra={"field": "channel"})
    if staff is not None and not staff.is_active:
        raise InvalidQrCode("This staff member is deactivated.", extra={"field": "staff_id"})
    return store, staff, channel


def qr_code_create(
    *,
    merchant: Merchant,
    kind: str,
    store: Any = None,
    staff: StaffMember | None = None,
    channel: str = "",
    permanent: bool = True,
    expire_seconds: int | None = None,
    api: QrCodeApi | None = None,
) -> QrCode:
    """Create a parametric QR code at WeChat for a store, a guide (staff) or a channel, and keep it.

    The scene pushed on every scan is the code's public id. WeChat is called before anything is
    written, outside any transaction: a refusal raises ``WeChatApiError`` (its ``errcode`` in
    ``extra``) and nothing is stored. Also raises ``InvalidQrCode``, ``LimitExceeded`` (expiry
    beyond 30 days, or an expiry on a permanent code) and ``WechatNotConnected``.
    ``api`` replaces the merchant's ``WeChatApi`` (the demo seed and tests use it).
    """
    store, staff, channel = _check_qr_target(merchant, kind, store, staff, channel)
    public_id = new_public_id("qr_")
    qrcode_action(public_id, permanent=permanent, expire_seconds=expire_seconds)  # WeChat's limits, checked first
    created_at = clock.now()
    answer = (api or _qr_api_for(merchant)).qrcode_create(public_id, permanent=permanent, expire_seconds=expire_seconds)
    expires_in = getattr(answer, "expire_seconds", None)
    with transaction.atomic():
        return QrCode.objects.create(
            merchant=merchant,
            public_id=public_id,
            kind=kind,
            store=store,
            staff=staff,
            channel=channel,
            scene_str=public_id,
            permanent=permanent,
            ticket=answer.ticket,
            url=answer.url,
            expire_at=None if permanent or not expires_in else created_at + timedelta(seconds=int(expires_in)),
            created_at=created_at,
        )


# --- tags (weloop/members/tags.py; re-exported so callers find every member write here) ----------

from weloop.members.tags import (  # noqa: E402
    member_attributes_update,
    member_profile_update,
    member_tag_add,
    member_tag_remove,
    member_tags_add_many,
    tag_create,
    tag_delete,
    tag_get_or_create,
    tag_rename,
    tag_update,
)

__all__ = [
    "member_attributes_update",
    "member_profile_update",
    "member_tag_add",
    "member_tag_remove",
    "member_tags_add_many",
    "tag_create",
    "tag_delete",
    "tag_get_or_create",
    "tag_rename",
    "tag_update",
]
