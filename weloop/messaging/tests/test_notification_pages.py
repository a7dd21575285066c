"""Notifications in the console (log, detail, retry, template mapping, settings), the H5 preferences
and GET /api/v1/notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from weloop.core import clock
from weloop.members.services import member_follow
from weloop.messaging.enums import NotificationKind, NotificationStatus
from weloop.messaging.models import Notification, NotificationSettings, NotificationTemplate
from weloop.messaging.notifications import preference_of

pytestmark = pytest.mark.django_db


def make_notification(merchant, member, n: int, **fields) -> Notification:
    now = clock.now()
    values = {
        "kind": NotificationKind.PAYMENT_SUCCEEDED,
        "status": NotificationStatus.DELIVERED,
        "context": {"order_no": f"O{n:012d}", "total": "¥1.00"},
        "next_attempt_at": now,
        "created_at": now,
    }
    values.update(fields)
    return Notification.objects.create(
        merchant=merchant, member=member, openid=member.openid, dedup_key=f"payment_succeeded:O{n:012d}", **values
    )


@pytest.fixture
def member(merchant):
    return member_follow(merchant=merchant, openid="oPAGES000000000000000000001")


@pytest.fixture
def log(merchant, member):
    return {
        "delivered": make_notification(merchant, member, 1, channel="template", summary="keyword1: O1"),
        "quota": make_notification(
            merchant, member, 2, status=NotificationStatus.PENDING, channel="template", errcode=45009, attempts=1
        ),
        "failed": make_notification(
            merchant, member, 3, status=NotificationStatus.FAILED, reason="no channel", kind="refund_succeeded"
        ),
    }


# --- console ------------------------------------------------------------------------------------


def test_log_lists_and_filters_by_status_kind_channel_errcode_and_member(owner_client, log, member):
    url = reverse("dashboard:notification_log")
    page = owner_client.get(url)
    assert page.status_code == 200
    assert page.content.count(b'data-testid="notification-row"') == 3
    assert owner_client.get(url, {"status": "failed"}).content.count(b'data-testid="notification-row"') == 1
    assert owner_client.get(url, {"kind": "refund_succeeded"}).content.count(b'data-testid="notification-row"') == 1
    assert owner_client.get(url, {"channel": "template"}).content.count(b'data-testid="notification-row"') == 2
    by_errcode = owner_client.get(url, {"errcode": "45009"}).content.decode()
    assert by_errcode.count('data-testid="notification-row"') == 1 and log["quota"].public_id in by_errcode
    assert owner_client.get(url, {"member": "mb_nobody"}).content.count(b'data-testid="notification-row"') == 0
    assert owner_client.get(url, {"member": member.public_id}).content.count(b'data-testid="notification-row"') == 3
    # nonsense filters are ignored, not errors
    assert owner_client.get(url, {"status": "bogus", "errcode": "x"}).status_code == 200


def test_detail_shows_attempts_errcode_and_retry_puts_a_failed_one_back(owner_client, log, merchant):
    quota_url = reverse("dashboard:notification_detail", kwargs={"notification_id": log["quota"].public_id})
    quota = owner_client.get(quota_url)
    assert quota.status_code == 200 and b"45009" in quota.content
    assert b'data-testid="notification-retry"' not in quota.content  # only failed rows are retried
    failed_url = reverse("dashboard:notification_detail", kwargs={"notification_id": log["failed"].public_id})
    assert b'data-testid="notification-retry"' in owner_client.get(failed_url).content
    response = owner_client.post(
        reverse("dashboard:notification_retry", kwargs={"notification_id": log["failed"].public_id})
    )
    assert response.status_code == 302
    retried = Notification.objects.get(pk=log["failed"].pk)
    # the sender ran (immediate queue): no template, no window -> it failed again, through pending
    page = owner_client.get(failed_url).content.decode()
    assert 'data-testid="notification-history-row"' in page and "retry" in page
    assert retried.status in (NotificationStatus.PENDING, NotificationStatus.FAILED)


def test_another_merchants_notification_is_not_found(owner_client, other_merchant):
    other_member = member_follow(merchant=other_merchant, openid="oOTHER0000000000000000000001")
    theirs = make_notification(other_merchant, other_member, 9, status=NotificationStatus.FAILED)
    url = reverse("dashboard:notification_detail", kwargs={"notification_id": theirs.public_id})
    assert owner_client.get(url).status_code == 404
    retry = reverse("dashboard:notification_retry", kwargs={"notification_id": theirs.public_id})
    assert owner_client.post(retry).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).status == NotificationStatus.FAILED


def test_template_mapping_saves_and_refuses_an_unknown_value(owner_client, merchant):
    url = reverse("dashboard:notification_templates")
    assert owner_client.get(url).status_code == 200
    body = {
        "kind": "payment_succeeded",
        "channel": "template",
        "template_id": "TPL_OK",
        "is_active": "on",
        "keyword_0": "keyword1",
        "pattern_0": "{order_no}",
        "keyword_1": "keyword2",
        "pattern_1": "{total} ({store_name})",
    }
    assert owner_client.post(url, body).status_code == 302
    template = NotificationTemplate.objects.for_merchant(merchant).get(kind="payment_succeeded")
    assert template.fields == {"keyword1": "{order_no}", "keyword2": "{total} ({store_name})"}
    bad = owner_client.post(url, {**body, "template_id": "TPL_BAD", "pattern_1": "{tracking_no}"})
    assert bad.status_code == 400 and b"tracking_no" in bad.content
    assert NotificationTemplate.objects.for_merchant(merchant).get(kind="payment_succeeded").template_id == "TPL_OK"
    edit = owner_client.get(url, {"kind": "payment_succeeded"}).content.decode()
    assert 'value="TPL_OK"' in edit
    owner_client.post(reverse("dashboard:notification_template_delete"), {"kind": "payment_succeeded"})
    assert not NotificationTemplate.objects.for_merchant(merchant).exists()


def test_settings_switch_off_fallback_and_set_the_follow_prompt(owner_client, merchant):
    url = reverse("dashboard:notification_settings")
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {"is_enabled": "on", "follow_prompt": "  Follow us for delivery news  "})
    assert response.status_code == 302
    settings = NotificationSettings.objects.for_merchant(merchant).get()
    assert settings.is_enabled and not settings.customer_service_fallback
    assert settings.follow_prompt == "Follow us for delivery news"


def test_an_agent_reads_the_log_but_cannot_map_templates_or_retry(staff_client, merchant, log):
    agent = staff_client(merchant, "service_agent")
    assert agent.get(reverse("dashboard:notification_log")).status_code == 200
    assert agent.get(reverse("dashboard:notification_templates")).status_code == 403
    assert agent.get(reverse("dashboard:notification_settings")).status_code == 403
    retry = reverse("dashboard:notification_retry", kwargs={"notification_id": log["failed"].public_id})
    assert agent.post(retry).status_code == 403
    assert Notification.objects.get(pk=log["failed"].pk).status == NotificationStatus.FAILED


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_notifications_newest_first_with_filters(api_client, log, member):
    response = api_client.get("/api/v1/notifications")
    assert response.status_code == 200, response.content
    body = response.json()
    newest_first = [log["failed"].public_id, log["quota"].public_id, log["delivered"].public_id]
    assert [item["id"] for item in body["items"]] == newest_first
    first = body["items"][2]
    assert first["member_id"] == member.public_id and first["status"] == "delivered"
    assert first["channel"] == "template" and first["dedup_key"] == "payment_succeeded:O000000000001"
    quota = api_client.get("/api/v1/notifications", {"errcode": 45009}).json()["items"]
    assert [(q["id"], q["status"], q["errcode"]) for q in quota] == [(log["quota"].public_id, "pending", 45009)]
    failed = api_client.get("/api/v1/notifications", {"status": "failed", "kind": "refund_succeeded"}).json()
    assert [f["reason"] for f in failed["items"]] == ["no channel"]
    assert api_client.get("/api/v1/notifications", {"member_id": "mb_nobody"}).json()["items"] == []
    assert api_client.get("/api/v1/notifications", {"status": "bogus"}).status_code in (400, 422)


def test_api_does_not_show_another_merchants_notifications(api_client, other_merchant):
    other_member = member_follow(merchant=other_merchant, openid="oOTHER0000000000000000000002")
    make_notification(other_merchant, other_member, 7)
    assert api_client.get("/api/v1/notifications").json()["items"] == []


def test_preference_default_is_not_muted(merchant, member):
    preference = preference_of(merchant=merchant, member=member)
    assert not preference.muted and preference.opted_out == []


# --- H5 -----------------------------------------------------------------------------------------


def test_a_member_mutes_or_opts_out_on_the_h5_and_the_sender_skips(client, merchant, member):
    from weloop.messaging.notifications import notification_enqueue
    from weloop.storefront.tests.test_shop import sign_in

    sign_in(client, merchant, member)
    session = client.session
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_userinfo"  # the Me page asks for the profile
    session.save()
    url = f"/m/{merchant.slug}/me/notifications/"
    page = client.get(url)
    assert page.status_code == 200 and page.content.count(b'data-testid="my-notifications-kind"') == len(
        NotificationKind.values
    )
    assert b'data-testid="me-notifications"' in client.get(f"/m/{merchant.slug}/me/").content
    # keep everything but refunds
    wanted = {f"kind_{kind}": "on" for kind in NotificationKind.values if kind != "refund_succeeded"}
    assert client.post(url, wanted).status_code == 302
    assert preference_of(merchant=merchant, member=member).opted_out == ["refund_succeeded"]
    refund = notification_enqueue(
        merchant=merchant,
        kind="refund_succeeded",
        payload={"order_no": "O1", "out_refund_no": "R1", "member_id": member.public_id, "amount_fen": 100},
    )
    assert refund is not None and refund.status == NotificationStatus.SKIPPED
    assert client.post(url, {**wanted, "muted": "on"}).status_code == 302
    assert preference_of(merchant=merchant, member=member).muted
    assert b'data-muted="yes"' in client.get(url).content


def test_the_h5_preferences_need_a_signed_in_member(client, merchant):
    response = client.get(f"/m/{merchant.slug}/me/notifications/")
    assert response.status_code in (302, 401, 403)
