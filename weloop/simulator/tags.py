"""User tags: 100 per account, 20 per user, 50 openids per batch (WECHAT.md §3.6)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from weloop.simulator import errors
from weloop.simulator.accounts import SimAccount
from weloop.simulator.errors import WechatApiError
from weloop.simulator.models import SimTag, SimUser, SimUserTag
from weloop.simulator.users import user_of

SYSTEM_TAG_IDS = (0, 1, 2)  # reserved by WeChat; 2 is "星标组" (starred), present on every account
STAR_TAG = (2, "星标组")
FIRST_TAG_ID = 100
MAX_TAGS_PER_ACCOUNT = 100
MAX_TAGS_PER_USER = 20
MAX_OPENIDS_PER_BATCH = 50
MAX_FANS_TO_DELETE = 100_000
NAME_MAX_BYTES = 30


def _ensure_system_tags(account: SimAccount) -> None:
    SimTag.objects.get_or_create(appid=account.appid, tag_id=STAR_TAG[0], defaults={"name": STAR_TAG[1]})


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise WechatApiError(errors.INVALID_TAG_NAME)
    if len(name.encode("utf-8")) > NAME_MAX_BYTES:
        raise WechatApiError(errors.TAG_NAME_TOO_LONG)
    return name


def _tag(account: SimAccount, tag_id: Any) -> SimTag:
    if isinstance(tag_id, str) and tag_id.isdigit():
        tag_id = int(tag_id)
    tag = SimTag.objects.filter(appid=account.appid, tag_id=tag_id).first() if isinstance(tag_id, int) else None
    if tag is None:
        raise WechatApiError(errors.INVALID_TAG_ID)
    return tag


def _tag_payload(payload: dict[str, Any]) -> dict[str, Any]:
    tag = payload.get("tag")
    if not isinstance(tag, dict):
        raise WechatApiError(errors.DATA_FORMAT_ERROR)
    return tag


def tag_create(*, account: SimAccount, payload: dict[str, Any]) -> SimTag:
    name = _check_name(_tag_payload(payload).get("name"))
    _ensure_system_tags(account)
    with transaction.atomic():
        own = SimTag.objects.filter(appid=account.appid, tag_id__gte=FIRST_TAG_ID)
        if own.count() >= MAX_TAGS_PER_ACCOUNT:
            raise WechatApiError(errors.TOO_MANY_TAGS)
        if SimTag.objects.filter(appid=account.appid, name=name).exists():
            raise WechatApiError(errors.INVALID_TAG_NAME)
        # Ids are never reused after a delete, as on WeChat.
        highest = SimTag.objects.filter(appid=account.appid).aggregate(m=Max("tag_id"))["m"] or 0
        try:
            with transaction.atomic():
                return SimTag.objects.create(appid=account.appid, tag_id=max(highest + 1, FIRST_TAG_ID), name=name)
        except IntegrityError:  # a concurrent create took the name or the id
            raise WechatApiError(errors.INVALID_TAG_NAME) from None


def tag_list(*, account: SimAccount) -> list[dict[str, Any]]:
    _ensure_system_tags(account)
    tags = SimTag.objects.filter(appid=account.appid).annotate(count=Count("user_links")).order_by("tag_id")
    return [{"id": tag.tag_id, "name": tag.name, "count": tag.count} for tag in tags]


def tag_update(*, account: SimAccount, payload: dict[str, Any]) -> None:
    data = _tag_payload(payload)
    if data.get("id") in SYSTEM_TAG_IDS:
        raise WechatApiError(errors.SYSTEM_TAG)
    tag = _tag(account, data.get("id"))
    name = _check_name(data.get("name"))
    if SimTag.objects.filter(appid=account.appid, name=name).exclude(pk=tag.pk).exists():
        raise WechatApiError(errors.INVALID_TAG_NAME)
    tag.name = name
    tag.save(update_fields=["name"])


def tag_delete(*, account: SimAccount, payload: dict[str, Any]) -> None:
    data = _tag_payload(payload)
    if data.get("id") in SYSTEM_TAG_IDS:
        raise WechatApiError(errors.SYSTEM_TAG)
    tag = _tag(account, data.get("id"))
    if tag.user_links.count() > MAX_FANS_TO_DELETE:
        raise WechatApiError(errors.TAG_HAS_TOO_MANY_FANS)
    tag.delete()


def _batch(account: SimAccount, payload: dict[str, Any]) -> tuple[SimTag, list[SimUser]]:
    openids = payload.get("openid_list")
    if not isinstance(openids, list) or not 1 <= len(openids) <= MAX_OPENIDS_PER_BATCH:
        raise WechatApiError(errors.INVALID_OPENID_LIST_SIZE)
    tag = _tag(account, payload.get("tagid"))
    users = [user_of(account=account, openid=openid) for openid in dict.fromkeys(openids)]
    return tag, users


def tag_users(*, account: SimAccount, payload: dict[str, Any]) -> None:
    """batchtagging: all or nothing; 45059 when a user would carry more than 20 tags."""
    tag, users = _batch(account, payload)
    with transaction.atomic():
        already = set(SimUserTag.objects.filter(tag=tag, user__in=users).values_list("user_id", flat=True))
        new = [user for user in users if user.id not in already]
        rows = SimUserTag.objects.filter(user__in=new).values("user_id").annotate(n=Count("id"))
        counts = {row["user_id"]: row["n"] for row in rows}
        if any(counts.get(user.id, 0) >= MAX_TAGS_PER_USER for user in new):
            raise WechatApiError(errors.USER_HAS_TOO_MANY_TAGS)
        SimUserTag.objects.bulk_create([SimUserTag(user=user, tag=tag) for user in new], ignore_conflicts=True)


def untag_users(*, account: SimAccount, payload: dict[str, Any]) -> None:
    tag, users = _batch(account, payload)
    SimUserTag.objects.filter(tag=tag, user__in=users).delete()


def tags_of_user(*, account: SimAccount, payload: dict[str, Any]) -> list[int]:
    user = user_of(account=account, openid=payload.get("openid"))
    return sorted(user.tag_links.values_list("tag__tag_id", flat=True))


def users_of_tag(*, account: SimAccount, payload: dict[str, Any]) -> dict[str, Any]:
    """user/tag/get: openids with the tag in pages of 10000, continued with ``next_openid``."""
    tag = _tag(account, payload.get("tagid"))
    links = SimUserTag.objects.filter(tag=tag).order_by("user_id")
    next_openid = payload.get("next_openid") or ""
    if next_openid:
        after = SimUser.objects.filter(openid=next_openid, appid=account.appid).first()
        links = links.filter(user_id__gt=after.id) if after else links.none()
    page = list(links.values_list("user__openid", flat=True)[:10000])
    return {"count": len(page), "data": {"openid": page}, "next_openid": page[-1] if page else ""}
