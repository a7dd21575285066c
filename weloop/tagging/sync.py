"""Mirror the tags the merchant chose onto WeChat user tags.

WeChat's limits (weloop/wechat/limits.py) shape everything here:
- at most 100 tags per account: turning sync on for a 101st tag is refused (``tagging.wechat_tag_limit``);
- at most 20 tags per user: a member carrying more than 20 synced tags gets the 20 they received most
  recently; the others are reported as skipped (count + a sample), as are users WeChat refuses (45059
  when tags made outside WeLoop fill their 20);
- 50 openids per batch call.

A run reconciles: it reads who carries the tag on WeChat (user/tag/get), tags the members who should
and untags those who should not. Every call is idempotent on WeChat's side, openids are handled in
order and the last one done is saved as ``cursor`` after every batch, so a killed run resumes where
it stopped and a repeated run changes nothing. Errors are stored on the ``TagSync`` row and shown in
the console; "sync now" queues the run again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.members import services as member_services
from weloop.members.models import MemberTag, Tag
from weloop.members.selectors import tag_get
from weloop.tagging.enums import SyncStatus
from weloop.tagging.errors import WechatNotConnected, WechatTagLimit
from weloop.tagging.models import TagSync
from weloop.tagging.state import TAG_SYNC
from weloop.tenants.models import Merchant
from weloop.tenants.selectors import wechat_account_of
from weloop.wechat import limits
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError, WeChatUnavailable

SKIPPED_SAMPLE = 20
TOO_MANY_TAGS = 45056
USER_HAS_TOO_MANY_TAGS = 45059
TAG_NAME_TAKEN = 45157
INVALID_TAG_ID = 45159
INVALID_OPENID = 40003


def wechat_tag_limit() -> int:
    return limits.TAGS_PER_ACCOUNT_MAX


# --- choosing what to sync -------------------------------------------------------------------------


def _check_account_limit(merchant: Merchant, tag: Tag) -> None:
    synced = Tag.objects.for_merchant(merchant).filter(sync_to_wechat=True).exclude(pk=tag.pk).count()
    if synced >= limits.TAGS_PER_ACCOUNT_MAX:
        raise WechatTagLimit(extra={"limit": limits.TAGS_PER_ACCOUNT_MAX, "synced": synced})


def synced_tag_create(*, merchant: Merchant, sync_to_wechat: bool = False, **fields: Any) -> Tag:
    """``members.tag_create`` plus the WeChat account limit; queues the first sync when asked."""
    with transaction.atomic():
        tag = member_services.tag_create(merchant=merchant, **fields)
        if sync_to_wechat:
            tag_sync_set(merchant=merchant, tag_id=tag.public_id, enabled=True)
            tag.refresh_from_db()
    return tag


def synced_tag_update(*, merchant: Merchant, tag_id: str, **changes: Any) -> Tag:
    """``members.tag_update`` plus the WeChat limit; a rename or a sync switch queues a sync."""
    with transaction.atomic():
        sync = changes.pop("sync_to_wechat", None)
        before = tag_get(merchant=merchant, public_id=tag_id)
        tag = member_services.tag_update(merchant=merchant, tag_id=tag_id, **changes) if changes else before
        if sync is not None and bool(sync) != before.sync_to_wechat:
            tag_sync_set(merchant=merchant, tag_id=tag_id, enabled=bool(sync))
        elif tag.sync_to_wechat and tag.name != before.name:
            tag_sync_request(merchant=merchant, tag=tag)
        tag.refresh_from_db()
    return tag


def tag_sync_set(*, merchant: Merchant, tag_id: str, enabled: bool) -> Tag:
    """Turn WeChat sync of a tag on or off; either way a run is queued (off deletes the WeChat tag)."""
    with transaction.atomic():
        tag = tag_get(merchant=merchant, public_id=tag_id)
        if enabled and not tag.sync_to_wechat:
            _check_account_limit(merchant, tag)
        tag = member_services.tag_update(merchant=merchant, tag_id=tag_id, sync_to_wechat=enabled)
        if enabled or tag.wechat_tag_id is not None:
            tag_sync_request(merchant=merchant, tag=tag)
    return tag


# --- queueing --------------------------------------------------------------------------------------


def _sync_of(merchant: Merchant, tag: Tag) -> TagSync:
    sync, _ = TagSync.objects.get_or_create(
        tag=tag, defaults={"merchant": merchant, "wechat_tag_id": tag.wechat_tag_id}
    )
    return sync


def tag_sync_request(*, merchant: Merchant, tag: Tag) -> TagSync:
    """Queue a run of ``tag``'s sync (a run already queued or running is reused)."""
    with transaction.atomic():
        sync = _sync_of(merchant, tag)
        sync = TagSync.objects.select_for_update().get(pk=sync.pk)
        if sync.status == SyncStatus.PENDING:
            return sync
        if (
            sync.status == SyncStatus.RUNNING
            and sync.started_at
            and (clock.now() - sync.started_at).total_seconds() < 600
        ):
            TagSync.objects.filter(pk=sync.pk).update(dirty=True)  # the running pass queues itself again
            return sync
        TAG_SYNC.transition(sync, SyncStatus.PENDING, actor="tagging", reason="sync requested")
        transaction.on_commit(lambda: _enqueue(merchant.pk, sync.pk))
    return sync


def _enqueue(merchant_pk: int, sync_pk: int) -> None:
    from weloop.tagging import tasks

    tasks.tag_sync_task(merchant_pk, sync_pk)


def tag_sync_mark_dirty(*, merchant: Merchant, tag_public_id: str) -> None:
    """A member of a synced tag changed: the periodic pass will sync it (changes come in bursts)."""
    tag = Tag.objects.for_merchant(merchant).filter(public_id=tag_public_id, sync_to_wechat=True).first()
    if tag is not None:
        _sync_of(merchant, tag)
        TagSync.objects.filter(tag=tag).update(dirty=True)


def tag_syncs_flush() -> int:
    """Queue every dirty tag sync that is not already queued; returns how many."""
    queued = 0
    for sync in TagSync.objects.filter(dirty=True).select_related("tag", "merchant"):
        if sync.status not in (SyncStatus.PENDING, SyncStatus.RUNNING):
            tag_sync_request(merchant=sync.merchant, tag=sync.tag)
            queued += 1
    return queued


# --- running ---------------------------------------------------------------------------------------


def _api(merchant: Merchant) -> WeChatApi:
    account = wechat_account_of(merchant=merchant)
    if account is None or not account.appid or not account.app_secret:
        raise WechatNotConnected()
    return WeChatApi(account.appid, account.app_secret)


def desired_openids(*, merchant: Merchant, tag: Tag) -> tuple[dict[str, str], list[str]]:
    """Who should carry ``tag`` on WeChat ({openid: member public id}) and who is skipped (public ids).

    Following members carrying the tag, unless 20 synced tags they received more recently come first.
    """
    newer = (
        MemberTag.objects.filter(member_id=OuterRef("member_id"), tag__sync_to_wechat=True)
        .filter(Q(added_at__gt=OuterRef("added_at")) | Q(added_at=OuterRef("added_at"), id__gt=OuterRef("id")))
        .order_by()
        .values("member_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        MemberTag.objects.for_merchant(merchant)
        .filter(tag=tag, member__is_following=True)
        .annotate(newer=Subquery(newer))
        .values_list("member__openid", "member__public_id", "newer")
    )
    wanted: dict[str, str] = {}
    skipped: list[str] = []
    for openid, public_id, newer_count in rows.iterator():
        if (newer_count or 0) >= limits.TAGS_PER_USER_MAX:
            skipped.append(public_id)
        else:
            wanted[openid] = public_id
    return wanted, skipped


def _wechat_members(api: WeChatApi, wechat_tag_id: int) -> set[str]:
    openids: set[str] = set()
    next_openid = ""
    while True:
        page, next_openid = api.tag_users(wechat_tag_id, next_openid)
        openids.update(page)
        if not page or not next_openid:
            return openids


def _ensure_wechat_tag(api: WeChatApi, sync: TagSync, tag: Tag) -> int:
    """The tag's WeChat id: created once, adopted if a crashed run created it, renamed when renamed."""
    if sync.wechat_tag_id is None:
        try:
            wechat_id = api.tag_create(tag.name)
        except WeChatApiError as error:
            if error.errcode == TOO_MANY_TAGS:
                raise WechatTagLimit(
                    "The WeChat account already has 100 tags (some may have been made outside WeLoop).",
                    extra={"limit": limits.TAGS_PER_ACCOUNT_MAX},
                ) from None
            if error.errcode != TAG_NAME_TAKEN:
                raise
            same = [t for t in api.tag_list() if t.get("name") == tag.name]
            if not same:
                raise
            wechat_id = int(same[0]["id"])
        _save(sync, wechat_tag_id=wechat_id, wechat_name=tag.name)
        Tag.objects.filter(pk=tag.pk).update(wechat_tag_id=wechat_id)
    elif sync.wechat_name != tag.name:
        api.tag_update(sync.wechat_tag_id, tag.name)
        _save(sync, wechat_name=tag.name)
    assert sync.wechat_tag_id is not None
    return sync.wechat_tag_id


def _save(sync: TagSync, **fields: Any) -> None:
    TagSync.objects.filter(pk=sync.pk).update(**fields)
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(sync, name, value)


def _tag_batch(api: WeChatApi, wechat_id: int, openids: list[str]) -> list[str]:
    """Tag a batch (all or nothing on WeChat); after a per-user refusal, one by one. Returns the refused."""
    try:
        api.tag_members_batch(wechat_id, openids)
        return []
    except WeChatApiError as error:
        if error.errcode not in (USER_HAS_TOO_MANY_TAGS, INVALID_OPENID):
            raise
        if len(openids) == 1:
            return openids
    return [refused for openid in openids for refused in _tag_batch(api, wechat_id, [openid])]


def _start(merchant: Merchant, sync_pk: int) -> TagSync | None:
    with transaction.atomic():
        sync = (
            TagSync.objects.for_merchant(merchant).select_for_update().select_related("tag").filter(pk=sync_pk).first()
        )
        if sync is None or sync.status not in (SyncStatus.PENDING, SyncStatus.RUNNING):
            return None
        resuming = sync.status == SyncStatus.RUNNING or bool(sync.cursor)
        updates: dict[str, Any] = {"started_at": clock.now(), "dirty": False, "error_code": "", "error_message": ""}
        if not resuming:
            updates |= {"tagged_count": 0, "untagged_count": 0, "skipped_count": 0, "skipped_sample": []}
        if sync.status == SyncStatus.PENDING:
            TAG_SYNC.transition(sync, SyncStatus.RUNNING, actor="tagging", reason="sync started", extra_updates=updates)
        else:
            TagSync.objects.filter(pk=sync.pk).update(**updates)
        sync.refresh_from_db()
        return sync


def _finish(sync: TagSync, status: str, *, error: WeloopError | Exception | None = None) -> None:
    updates: dict[str, Any] = {"finished_at": clock.now()}
    if status == SyncStatus.DONE:
        updates["cursor"] = ""
    if error is not None:
        code = getattr(error, "code", "") or "wechat.unavailable"
        if isinstance(error, WeChatApiError):
            code = f"wechat.{error.errcode}"
        updates |= {"error_code": str(code)[:64], "error_message": str(error)[:500]}
    sync.refresh_from_db(fields=["status"])
    TAG_SYNC.transition(sync, status, actor="tagging", reason=str(updates.get("error_code", "")), extra_updates=updates)


def tag_sync_run(*, merchant: Merchant, sync_pk: int) -> TagSync | None:
    """One run of a tag's sync (what the queue task calls). Returns the sync row, or None if not due."""
    sync = _start(merchant, sync_pk)
    if sync is None:
        return None
    tag = sync.tag
    refused: list[str] = []
    try:
        api = _api(merchant)
        if not tag.sync_to_wechat:
            _unsync(api, sync, tag)
        else:
            refused = _reconcile(api, sync, tag)
    except (WeloopError, WeChatUnavailable) as error:
        _finish(sync, SyncStatus.FAILED, error=error)
    else:
        _finish(sync, SyncStatus.DONE)
    sync.refresh_from_db()
    if sync.dirty:
        tag_sync_request(merchant=merchant, tag=tag)
    if refused:
        # WeChat refused users already at 20 tags: when their older synced tags are taken off by
        # those tags' next runs, the 10-minute pass retries this one (not at once: no loop).
        TagSync.objects.filter(
            merchant=merchant, tag__sync_to_wechat=True, tag__member_tags__member__openid__in=refused
        ).update(dirty=True)
    return sync


def _unsync(api: WeChatApi, sync: TagSync, tag: Tag) -> None:
    if sync.wechat_tag_id is not None:
        try:
            api.tag_delete(sync.wechat_tag_id)
        except WeChatApiError as error:
            if error.errcode != INVALID_TAG_ID:  # already gone
                raise
    _save(sync, wechat_tag_id=None, wechat_name="", cursor="")
    Tag.objects.filter(pk=tag.pk).update(wechat_tag_id=None)


def _reconcile(api: WeChatApi, sync: TagSync, tag: Tag) -> list[str]:
    wechat_id = _ensure_wechat_tag(api, sync, tag)
    wanted, skipped = desired_openids(merchant=sync.merchant, tag=tag)
    present = _wechat_members(api, wechat_id)
    all_refused: list[str] = []
    to_add = sorted(openid for openid in set(wanted) - present if openid > sync.cursor)
    for start in range(0, len(to_add), limits.TAG_BATCH_MAX_OPENIDS):
        batch = to_add[start : start + limits.TAG_BATCH_MAX_OPENIDS]
        refused = _tag_batch(api, wechat_id, batch)
        skipped += [wanted[openid] for openid in refused]
        all_refused += refused
        _save(sync, cursor=batch[-1], tagged_count=F("tagged_count") + len(batch) - len(refused))
    to_remove = sorted(present - set(wanted))
    for start in range(0, len(to_remove), limits.TAG_BATCH_MAX_OPENIDS):
        batch = to_remove[start : start + limits.TAG_BATCH_MAX_OPENIDS]
        try:
            api.tag_members_batch_untag(wechat_id, batch)
        except WeChatApiError as error:
            if error.errcode != INVALID_OPENID:
                raise
            for openid in batch:  # someone unfollowed meanwhile: untag the others
                try:
                    api.tag_members_batch_untag(wechat_id, [openid])
                except WeChatApiError as one:
                    if one.errcode != INVALID_OPENID:
                        raise
        _save(sync, untagged_count=F("untagged_count") + len(batch))
    _save(sync, skipped_count=len(skipped), skipped_sample=sorted(skipped)[:SKIPPED_SAMPLE])
    return all_refused


def wechat_tag_delete(*, merchant: Merchant, wechat_tag_id: int) -> None:
    """The WeChat copy of a deleted tag goes too (already gone is fine)."""
    try:
        _api(merchant).tag_delete(int(wechat_tag_id))
    except WeChatApiError as error:
        if error.errcode != INVALID_TAG_ID:
            raise


def members_over_limit(*, merchant: Merchant) -> int:
    """How many members carry more synced tags than WeChat's 20 (shown on the tag page)."""
    rows = (
        MemberTag.objects.for_merchant(merchant)
        .filter(tag__sync_to_wechat=True)
        .values("member_id")
        .annotate(n=Count("id"))
        .filter(n__gt=limits.TAGS_PER_USER_MAX)
    )
    return rows.count()
