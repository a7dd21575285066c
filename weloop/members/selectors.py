"""Reads for members, their timelines and QR codes."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.members.models import Member, MemberTag, MemberTouch, QrCode, Tag
from weloop.tenants.models import Merchant


def member_list(
    *,
    merchant: Merchant,
    following: bool | None = None,
    source_store_id: str | None = None,
    q: str | None = None,
) -> QuerySet[Member]:
    """Members, newest first; filtered by following or not, first-touch store (public id) and text.

    ``q`` matches part of the nickname or phone, or the whole openid.
    """
    members = Member.objects.for_merchant(merchant).select_related("first_store", "first_staff", "first_qr_code")
    if following is not None:
        members = members.filter(is_following=following)
    if source_store_id:
        members = members.filter(first_store__public_id=source_store_id)
    if q and q.strip():
        text = q.strip()
        members = members.filter(
            Q(nickname__icontains=text) | Q(phone__icontains=text) | Q(openid=text) | Q(public_id=text)
        )
    return members.order_by("-id")


def member_get(*, merchant: Merchant, public_id: str) -> Member:
    return get_or_not_found(member_list(merchant=merchant), what="member", public_id=public_id)


def member_by_openid(*, merchant: Merchant, openid: str) -> Member:
    return get_or_not_found(member_list(merchant=merchant), what="member", openid=openid)


def member_find_by_openid(*, merchant: Merchant, openid: str) -> Member | None:
    """The member with ``openid``, or None (for callers to whom a stranger is not an error)."""
    return Member.objects.for_merchant(merchant).filter(openid=openid).first()


def member_timeline(*, merchant: Merchant, member: Member) -> QuerySet[MemberTouch]:
    """Every touch of ``member``, newest first, with what it is attributed to."""
    return (
        MemberTouch.objects.for_merchant(merchant)
        .filter(member=member)
        .select_related("qr_code", "store", "staff")
        .order_by("-at", "-id")
    )


def qr_code_list(*, merchant: Merchant, kind: str | None = None, store_id: str | None = None) -> QuerySet[QrCode]:
    """QR codes with their scan and follow counts, newest first."""
    codes = QrCode.objects.for_merchant(merchant).select_related("store", "staff")
    if kind:
        codes = codes.filter(kind=kind)
    if store_id:
        codes = codes.filter(store__public_id=store_id)
    return codes.order_by("-id")


def qr_code_get(*, merchant: Merchant, public_id: str) -> QrCode:
    return get_or_not_found(qr_code_list(merchant=merchant), what="QR code", public_id=public_id)


def qr_code_for_scene(*, merchant: Merchant, scene: str | None) -> QrCode | None:
    """The merchant's QR code behind a scanned scene, or None (no scene, or a code made elsewhere)."""
    if not scene:
        return None
    return QrCode.objects.for_merchant(merchant).select_related("store", "staff").filter(scene_str=scene).first()


def member_find(*, merchant: Merchant, text: str) -> Member:
    """A member named the way staff type it: public id (``mb_…``), openid or phone; else NotFound."""
    text = str(text or "").strip()
    if text.startswith("mb_"):
        return member_get(merchant=merchant, public_id=text)
    found = member_find_by_openid(merchant=merchant, openid=text) if text else None
    if found is None and text:
        found = Member.objects.for_merchant(merchant).filter(phone=text).order_by("id").first()
    if found is None:
        raise NotFound("No such member.", extra={"what": "member", "field": "member"})
    return found


def tag_list(*, merchant: Merchant, kind: str | None = None, q: str | None = None) -> QuerySet[Tag]:
    """Tags by name; ``member_count`` is kept by every tag write, so the counts cost no query."""
    tags = Tag.objects.for_merchant(merchant)
    if kind:
        tags = tags.filter(kind=kind)
    if q and q.strip():
        tags = tags.filter(name__icontains=q.strip())
    return tags.order_by("name")


def tag_get(*, merchant: Merchant, public_id: str) -> Tag:
    return get_or_not_found(Tag.objects.for_merchant(merchant), what="tag", public_id=public_id)


def member_tags(*, merchant: Merchant, member: Member) -> QuerySet[MemberTag]:
    return MemberTag.objects.for_merchant(merchant).filter(member=member).select_related("tag").order_by("tag__name")


def member_care_flags(*, merchant: Merchant, member: Member) -> list[Tag]:
    """The care flags (接待注意) a member carries, for whoever serves them."""
    flags = Tag.objects.for_merchant(merchant).filter(is_care_flag=True, member_tags__member=member)
    return list(flags.order_by("name"))
