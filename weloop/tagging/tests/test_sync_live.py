"""WeChat tag sync over real HTTP to the simulator: creation, idempotency, untagging, WeChat's
limits (100 tags per account, 20 per user, 50 per batch), resuming after a crash, errors kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.members import services as member_services
from weloop.members.models import Member, Tag
from weloop.simulator.models import SimTag, SimUser, SimUserTag
from weloop.tagging import services
from weloop.tagging.enums import SyncStatus
from weloop.tagging.errors import WechatTagLimit
from weloop.tagging.models import TagSync
from weloop.tagging.sync import tag_sync_run
from weloop.tenants.models import WechatAccount

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fans(simulated_wechat, new_merchant):
    """60 followers, known to the simulator and to the merchant."""
    merchant, appid = new_merchant.merchant, new_merchant.wechat.appid
    members = []
    for n in range(60):
        openid = f"oSYNC{n:04d}{appid[-6:]}"
        SimUser.objects.create(appid=appid, openid=openid, nickname=f"fan{n}", subscribed=True)
        member = member_services.member_get_or_create(merchant=merchant, openid=openid, source="follow")[0]
        Member.objects.filter(pk=member.pk).update(is_following=True)
        members.append(member)
    return members


def on_wechat(tag: Tag) -> set[str]:
    tag.refresh_from_db()
    if tag.wechat_tag_id is None:
        return set()
    links = SimUserTag.objects.filter(tag__tag_id=tag.wechat_tag_id, tag__name=tag.name)
    return set(links.values_list("user__openid", flat=True))


def run(merchant, tag) -> TagSync:
    sync = services.tag_sync_request(merchant=merchant, tag=tag)  # immediate queue in tests: runs now
    sync.refresh_from_db()
    return sync


def test_a_synced_tag_reaches_wechat_in_batches_and_a_rerun_changes_nothing(merchant, fans):
    vip = services.synced_tag_create(merchant=merchant, name="VIP")
    member_services.member_tags_add_many(merchant=merchant, tag=vip, member_ids=[m.pk for m in fans], source="manual")
    tag = services.tag_sync_set(merchant=merchant, tag_id=vip.public_id, enabled=True)
    sync = TagSync.objects.get(tag=tag)
    assert sync.status == SyncStatus.DONE, sync.error_message
    assert sync.tagged_count == 60 and sync.skipped_count == 0
    assert on_wechat(tag) == {m.openid for m in fans}
    assert SimTag.objects.filter(name="VIP").count() == 1
    # Again: nothing to do.
    sync = run(merchant, tag)
    assert sync.status == SyncStatus.DONE and sync.tagged_count == 0 and sync.untagged_count == 0
    # Taking the tag off members untags them there.
    for member in fans[:5]:
        member_services.member_tag_remove(merchant=merchant, member=member, tag=tag)
    sync = run(merchant, tag)
    assert sync.untagged_count == 5 and on_wechat(tag) == {m.openid for m in fans[5:]}


def test_renaming_and_turning_sync_off_follow_on_wechat(merchant, fans):
    tag = services.synced_tag_create(merchant=merchant, name="Old", sync_to_wechat=True)
    wechat_id = Tag.objects.get(pk=tag.pk).wechat_tag_id
    assert wechat_id
    services.synced_tag_update(merchant=merchant, tag_id=tag.public_id, name="New")
    assert SimTag.objects.get(tag_id=wechat_id).name == "New"
    services.tag_sync_set(merchant=merchant, tag_id=tag.public_id, enabled=False)
    assert not SimTag.objects.filter(name="New").exists()
    tag.refresh_from_db()
    assert tag.wechat_tag_id is None and not tag.sync_to_wechat


def test_a_member_with_more_than_20_synced_tags_gets_the_20_newest(merchant, fans):
    member = fans[0]
    tags = []
    start = clock.now() - timedelta(days=1)
    for n in range(21):
        tag = member_services.tag_create(merchant=merchant, name=f"t{n:02d}")
        with clock.frozen_at(start + timedelta(minutes=n)):
            member_services.member_tag_add(merchant=merchant, member=member, tag=tag, source="manual")
        tags.append(tag)
    Tag.objects.filter(pk__in=[t.pk for t in tags]).update(sync_to_wechat=True)
    for tag in tags:
        run(merchant, tag)
    oldest = TagSync.objects.get(tag=tags[0])
    assert oldest.status == SyncStatus.DONE and oldest.skipped_count == 1
    assert oldest.skipped_sample == [member.public_id] and on_wechat(tags[0]) == set()
    assert on_wechat(tags[20]) == {member.openid}
    assert SimUserTag.objects.filter(user__openid=member.openid).count() == 20


def test_a_wechat_refusal_is_skipped_and_resolved_by_the_next_passes(merchant, fans):
    member = fans[0]
    start = clock.now() - timedelta(days=1)
    tags = []
    for n in range(21):
        tag = member_services.tag_create(merchant=merchant, name=f"t{n:02d}")
        with clock.frozen_at(start + timedelta(minutes=n)):
            member_services.member_tag_add(merchant=merchant, member=member, tag=tag, source="manual")
        tags.append(tag)
    # Turned on one by one: the oldest went to WeChat first, so the newest is refused (45059).
    for tag in tags:
        services.tag_sync_set(merchant=merchant, tag_id=tag.public_id, enabled=True)
    newest = TagSync.objects.get(tag=tags[20])
    assert newest.skipped_count == 1 and on_wechat(tags[20]) == set()
    services.tag_syncs_flush()
    services.tag_syncs_flush()
    assert on_wechat(tags[20]) == {member.openid} and on_wechat(tags[0]) == set()
    assert SimUserTag.objects.filter(user__openid=member.openid).count() == 20


def test_the_101st_synced_tag_is_refused(merchant):
    for n in range(100):
        Tag.objects.create(merchant=merchant, name=f"s{n}", sync_to_wechat=True)
    with pytest.raises(WechatTagLimit) as error:
        services.synced_tag_create(merchant=merchant, name="one too many", sync_to_wechat=True)
    assert error.value.code == "tagging.wechat_tag_limit"
    assert not Tag.objects.filter(name="one too many").exists()


def test_a_crashed_run_resumes_after_its_cursor(merchant, fans):
    tag = services.synced_tag_create(merchant=merchant, name="VIP", sync_to_wechat=True)
    member_services.member_tags_add_many(merchant=merchant, tag=tag, member_ids=[m.pk for m in fans], source="manual")
    sync = TagSync.objects.get(tag=tag)
    # A worker tagged the first 50 and died before finishing.
    from weloop.tagging.sync import _api

    tag.refresh_from_db()
    ordered = sorted(m.openid for m in fans)
    _api(merchant).tag_members_batch(tag.wechat_tag_id, ordered[:50])
    TagSync.objects.filter(pk=sync.pk).update(status=SyncStatus.RUNNING, cursor=ordered[49], tagged_count=50)
    sync = tag_sync_run(merchant=merchant, sync_pk=sync.pk)
    assert sync.status == SyncStatus.DONE and sync.tagged_count == 60 and sync.cursor == ""
    assert on_wechat(tag) == set(ordered)


def test_a_disconnected_account_fails_visibly(merchant, fans):
    tag = services.synced_tag_create(merchant=merchant, name="VIP")
    WechatAccount.objects.filter(merchant=merchant).update(app_secret="")
    services.tag_sync_set(merchant=merchant, tag_id=tag.public_id, enabled=True)
    sync = TagSync.objects.get(tag=tag)
    assert sync.status == SyncStatus.FAILED and sync.error_code == "tagging.wechat_not_connected"
