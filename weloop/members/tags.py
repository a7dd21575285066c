"""Tags on members: create, rename, delete; add and remove them one by one or in bulk.

Every addition and removal writes a ``TagChange`` row in the same transaction, which is what keeps
segment bitmaps exact (they replay the log after their snapshot), and publishes
``members.member_tagged`` / ``members.member_untagged`` for rules and webhooks (single changes
only: a bulk add of 100,000 members publishes one ``members.tag_bulk_added`` instead).
``Tag.member_count`` is kept by the same writes with an F() update, so lists never count rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.events import publish
from weloop.members.enums import Gender, TagKind, TagSource
from weloop.members.errors import InvalidMemberProfile, InvalidTag, TagInUse, TagNameTaken
from weloop.members.models import Member, MemberTag, Tag, TagChange
from weloop.tenants.models import Merchant

TAG_NAME_MAX = 30  # WeChat's own limit on a user tag's name, so any tag can be synced
BULK_CHUNK = 5000


def _clean_name(name: object) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise InvalidTag("A tag needs a name.", extra={"field": "name"})
    if len(text) > TAG_NAME_MAX:
        raise InvalidTag(
            f"A tag name is at most {TAG_NAME_MAX} characters.", extra={"field": "name", "limit": TAG_NAME_MAX}
        )
    return text


def _clean_kind(kind: str) -> str:
    if kind not in TagKind.values:
        raise InvalidTag("Unknown tag kind.", extra={"field": "kind", "allowed": list(TagKind.values)})
    return kind


def _clean_source(source: str) -> str:
    if source not in TagSource.values:
        raise InvalidTag("Unknown tag source.", extra={"field": "source", "allowed": list(TagSource.values)})
    return source


def tag_create(
    *,
    merchant: Merchant,
    name: str,
    kind: str = TagKind.MANUAL,
    description: str = "",
    is_care_flag: bool = False,
    care_note: str = "",
    sync_to_wechat: bool = False,
) -> Tag:
    """Create a tag. Raises InvalidTag for a bad name or kind, TagNameTaken when the name exists."""
    clean = _clean_name(name)
    kind = _clean_kind(kind)
    if is_care_flag:
        kind = TagKind.CARE
    try:
        with transaction.atomic():
            return Tag.objects.create(
                merchant=merchant,
                name=clean,
                kind=kind,
                description=str(description or "")[:200],
                is_care_flag=bool(is_care_flag or kind == TagKind.CARE),
                care_note=str(care_note or "")[:200],
                sync_to_wechat=bool(sync_to_wechat),
            )
    except IntegrityError:
        raise TagNameTaken(extra={"name": clean}) from None


def tag_get_or_create(*, merchant: Merchant, name: str, kind: str = TagKind.AUTO) -> Tag:
    """The tag called ``name``, created with ``kind`` if it does not exist (safe under races)."""
    clean = _clean_name(name)
    tag = Tag.objects.for_merchant(merchant).filter(name=clean).first()
    if tag is not None:
        return tag
    try:
        return tag_create(merchant=merchant, name=clean, kind=kind)
    except TagNameTaken:
        return Tag.objects.for_merchant(merchant).get(name=clean)


def tag_update(*, merchant: Merchant, tag_id: str, **changes: Any) -> Tag:
    """Change a tag's name, description, care flag, care note or WeChat sync choice."""
    allowed = {"name", "description", "is_care_flag", "care_note", "sync_to_wechat"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidTag("These fields cannot be changed.", extra={"fields": sorted(unknown)})
    with transaction.atomic():
        tag = get_or_not_found(Tag.objects.for_merchant(merchant).select_for_update(), what="tag", public_id=tag_id)
        if "name" in changes:
            tag.name = _clean_name(changes["name"])
        for field in ("description", "care_note"):
            if field in changes:
                setattr(tag, field, str(changes[field] or "")[:200])
        for field in ("is_care_flag", "sync_to_wechat"):
            if field in changes:
                setattr(tag, field, bool(changes[field]))
        if "is_care_flag" in changes:
            if tag.is_care_flag:
                tag.kind = TagKind.CARE
            elif tag.kind == TagKind.CARE:
                tag.kind = TagKind.MANUAL
        try:
            with transaction.atomic():
                tag.save()
        except IntegrityError:
            raise TagNameTaken(extra={"name": tag.name}) from None
    return tag


def tag_delete(*, merchant: Merchant, tag_id: str, force: bool = False) -> None:
    """Delete a tag and take it off every member (TagChange rows record the removals).

    Raises TagInUse when members still carry it and ``force`` is not set.
    """
    with transaction.atomic():
        tag = get_or_not_found(Tag.objects.for_merchant(merchant).select_for_update(), what="tag", public_id=tag_id)
        member_ids = list(MemberTag.objects.filter(tag=tag).values_list("member_id", flat=True))
        if member_ids and not force:
            raise TagInUse(extra={"tag": tag.public_id, "members": len(member_ids)})
        # The log keeps the removals even though the tag row goes: segments drop the tag's bitmap.
        publish(
            merchant=merchant,
            name="members.tag_deleted",
            payload={"tag_id": tag.public_id, "tag_name": tag.name, "wechat_tag_id": tag.wechat_tag_id},
        )
        tag.delete()


def _require_member(merchant: Merchant, member: Member) -> None:
    if member.merchant_id != merchant.pk:
        raise InvalidTag("This member belongs to another merchant.", extra={"field": "member"})


def _require_tag(merchant: Merchant, tag: Tag) -> None:
    if tag.merchant_id != merchant.pk:
        raise InvalidTag("This tag belongs to another merchant.", extra={"field": "tag"})


def _tag_payload(member: Member, tag: Tag, source: str) -> dict[str, Any]:
    return {"member_id": member.public_id, "tag_id": tag.public_id, "tag_name": tag.name, "source": source}


@transaction.atomic
def member_tag_add(
    *,
    merchant: Merchant,
    member: Member,
    tag: Tag,
    source: str = TagSource.MANUAL,
    source_ref: str = "",
    actor: str = "",
) -> bool:
    """Put ``tag`` on ``member``; False (and nothing written) when the member already carries it."""
    _require_member(merchant, member)
    _require_tag(merchant, tag)
    source = _clean_source(source)
    try:
        with transaction.atomic():
            MemberTag.objects.create(
                merchant=merchant, member=member, tag=tag, source=source, source_ref=str(source_ref or "")[:64]
            )
    except IntegrityError:
        return False
    TagChange.objects.create(merchant=merchant, tag=tag, member_id=member.pk, added=True)
    Tag.objects.filter(pk=tag.pk).update(member_count=F("member_count") + 1)
    payload = _tag_payload(member, tag, source) | {"actor": str(actor or "")[:64]}
    publish(merchant=merchant, name="members.member_tagged", payload=payload)
    return True


@transaction.atomic
def member_tag_remove(*, merchant: Merchant, member: Member, tag: Tag, actor: str = "") -> bool:
    """Take ``tag`` off ``member``; False when the member did not carry it."""
    _require_member(merchant, member)
    _require_tag(merchant, tag)
    deleted, _ = MemberTag.objects.filter(merchant=merchant, member=member, tag=tag).delete()
    if not deleted:
        return False
    TagChange.objects.create(merchant=merchant, tag=tag, member_id=member.pk, added=False)
    Tag.objects.filter(pk=tag.pk).update(member_count=F("member_count") - 1)
    payload = _tag_payload(member, tag, "") | {"actor": str(actor or "")[:64]}
    publish(merchant=merchant, name="members.member_untagged", payload=payload)
    return True


def member_tags_add_many(
    *, merchant: Merchant, tag: Tag, member_ids: Iterable[int], source: str, source_ref: str = ""
) -> int:
    """Put ``tag`` on many members (by pk) at once; return how many did not carry it before.

    Members of another merchant are ignored. Runs in chunks of BULK_CHUNK, each its own transaction,
    so a crash leaves whole chunks done and a rerun adds only the rest.
    """
    _require_tag(merchant, tag)
    source = _clean_source(source)
    wanted = sorted({int(pk) for pk in member_ids})
    added = 0
    for start in range(0, len(wanted), BULK_CHUNK):
        added += _add_chunk(merchant, tag, wanted[start : start + BULK_CHUNK], source, str(source_ref or "")[:64])
    if added:
        payload = {"tag_id": tag.public_id, "tag_name": tag.name, "source": source, "count": added}
        with transaction.atomic():
            publish(merchant=merchant, name="members.tag_bulk_added", payload=payload)
    return added


@transaction.atomic
def _add_chunk(merchant: Merchant, tag: Tag, member_ids: list[int], source: str, source_ref: str) -> int:
    owned = set(Member.objects.for_merchant(merchant).filter(pk__in=member_ids).values_list("pk", flat=True))
    # Lock the tag row: two bulk adds of one tag queue, so "already had it" is read after the other commits.
    Tag.objects.select_for_update().filter(pk=tag.pk).first()
    had = set(MemberTag.objects.filter(tag=tag, member_id__in=owned).values_list("member_id", flat=True))
    new = sorted(owned - had)
    if not new:
        return 0
    now = clock.now()
    MemberTag.objects.bulk_create(
        [
            MemberTag(merchant=merchant, member_id=pk, tag=tag, source=source, source_ref=source_ref, added_at=now)
            for pk in new
        ],
        ignore_conflicts=True,
    )
    TagChange.objects.bulk_create(
        [TagChange(merchant=merchant, tag=tag, member_id=pk, added=True, at=now) for pk in new]
    )
    Tag.objects.filter(pk=tag.pk).update(member_count=F("member_count") + len(new))
    return len(new)


def member_attributes_update(
    *,
    merchant: Merchant,
    member: Member,
    birthday: date | str | None = "",
    gender: str | None = None,
    city: str | None = None,
) -> Member:
    """Set the attributes segments and rules read. ``""`` leaves the birthday; None clears it."""
    _require_member(merchant, member)
    changes: dict[str, Any] = {}
    if birthday != "":
        if birthday is not None and (not isinstance(birthday, date) or birthday > clock.now().date()):
            raise InvalidMemberProfile("The birthday must be a date in the past.", extra={"field": "birthday"})
        changes["birthday"] = birthday
    if gender is not None:
        if gender not in Gender.values:
            raise InvalidMemberProfile("Unknown gender.", extra={"field": "gender", "allowed": list(Gender.values)})
        changes["gender"] = gender
    if city is not None:
        text = " ".join(str(city).split())
        if len(text) > 64:
            raise InvalidMemberProfile("A city is at most 64 characters.", extra={"field": "city", "limit": 64})
        changes["city"] = text
    if changes:
        with transaction.atomic():
            Member.objects.filter(pk=member.pk).update(**changes, updated_at=clock.now())
            for name, value in changes.items():
                setattr(member, name, value)
            # Attribute rules (weloop/tagging) re-check the member on this event.
            publish(
                merchant=merchant,
                name="members.member_attributes_updated",
                payload={"member_id": member.public_id, "fields": sorted(changes)},
            )
    return member


# The names the interface uses.
member_profile_update = member_attributes_update


def tag_rename(*, merchant: Merchant, tag_id: str, name: str) -> Tag:
    """Rename a tag (a synced tag is renamed on WeChat by the next sync)."""
    return tag_update(merchant=merchant, tag_id=tag_id, name=name)
