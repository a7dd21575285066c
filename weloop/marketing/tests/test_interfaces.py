"""The console pages, the API and the H5 opt-out and tracked link (no WeChat calls here)."""

from __future__ import annotations

import pytest

from weloop.marketing import services
from weloop.marketing.enums import CampaignStatus
from weloop.marketing.models import Campaign, CampaignClick, MarketingOptOut
from weloop.members.services import member_follow
from weloop.storefront.identity import member_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def fans(merchant):
    return [member_follow(merchant=merchant, openid=f"o-fan-{i}-00000000000000000000") for i in range(3)]


def draft(merchant, **content):
    return services.campaign_create(
        merchant=merchant,
        data=services.CampaignInput(
            name="Weekend", kind="article", content=content or {"title": "New bread", "url": "https://example.com/x"}
        ),
    )


def test_console_create_previews_reach_then_saves_a_draft(owner_client, merchant, fans):
    services.marketing_opt_out_set(merchant=merchant, member=fans[0], opted_out=True)
    form = {"name": "Weekend", "kind": "text", "segment": "", "text": "20% off"}
    page = owner_client.post("/dashboard/campaigns/new/", {**form, "action": "preview"})
    assert page.status_code == 200
    assert page.context["reach"].audience == 3
    assert page.context["reach"].opted_out == 1
    assert page.context["reach"].expected == 2
    saved = owner_client.post("/dashboard/campaigns/new/", {**form, "action": "draft"})
    campaign = Campaign.objects.for_merchant(merchant).get()
    assert saved.status_code == 302 and campaign.public_id in saved["Location"]
    detail = owner_client.get(f"/dashboard/campaigns/{campaign.public_id}/")
    assert detail.status_code == 200 and b"Weekend" in detail.content
    assert owner_client.get("/dashboard/campaigns/").status_code == 200


def test_console_shows_a_bad_campaign_as_a_message(owner_client, merchant):
    page = owner_client.post("/dashboard/campaigns/new/", {"name": "", "kind": "text", "action": "draft"})
    assert page.status_code == 200
    assert b"needs a name" in page.content
    assert not Campaign.objects.for_merchant(merchant).exists()


def test_console_cancel_and_settings(owner_client, merchant):
    campaign = draft(merchant)
    owner_client.post(f"/dashboard/campaigns/{campaign.public_id}/cancel/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    form = {
        "daily_cap": "3",
        "quiet_enabled": "on",
        "quiet_start": "21:30",
        "quiet_end": "09:00",
        "sms_price_centifen": "500",
    }
    assert owner_client.post("/dashboard/campaigns/settings/", form).status_code == 302
    config = services.settings_of(merchant=merchant)
    assert (config.daily_cap, config.sms_price_centifen, config.quiet_start.hour) == (3, 500, 21)
    bad = owner_client.post("/dashboard/campaigns/settings/", {**form, "daily_cap": "0"})
    assert b"from 1 to 20" in bad.content


def test_clerk_cannot_open_campaigns(staff_client, merchant):
    assert staff_client(merchant, "clerk").get("/dashboard/campaigns/").status_code == 403


def test_api_create_get_list_cancel_report(api_client, merchant):
    body = {"name": "Weekend", "kind": "text", "content": {"text": "hi"}}
    created = api_client.post("/api/v1/campaigns", body, content_type="application/json")
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert cid.startswith("cmp_")
    assert api_client.get(f"/api/v1/campaigns/{cid}").json()["status"] == "draft"
    assert api_client.get("/api/v1/campaigns").json()["count"] == 1
    empty = api_client.post(f"/api/v1/campaigns/{cid}/send", {}, content_type="application/json")
    assert empty.status_code == 409 and empty.json()["code"] == "marketing.empty_audience"
    assert api_client.post(f"/api/v1/campaigns/{cid}/cancel").json()["status"] == "cancelled"
    again = api_client.post(f"/api/v1/campaigns/{cid}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "state.invalid_transition"
    report = api_client.get(f"/api/v1/campaigns/{cid}/report").json()
    assert report["sent"] == 0 and report["sms_price_centifen"] == 450
    bad = api_client.post("/api/v1/campaigns", {**body, "content": {}}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "marketing.invalid_campaign"


def test_h5_opt_out_and_back_in(client, merchant, fans):
    session = client.session
    session[member_key(merchant)] = fans[0].public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    url = f"/m/{merchant.slug}/me/marketing/"
    assert client.get(url).status_code == 200
    client.post(url, {})
    assert MarketingOptOut.objects.for_merchant(merchant).get(member=fans[0]).opted_out
    client.post(url, {"wanted": "on"})
    assert not MarketingOptOut.objects.for_merchant(merchant).get(member=fans[0]).opted_out


def test_tracked_link_counts_and_redirects(client, merchant):
    campaign = draft(merchant)
    response = client.get(f"/m/{merchant.slug}/c/{campaign.link_token}")
    assert response.status_code == 302 and response["Location"] == "https://example.com/x"
    assert CampaignClick.objects.for_merchant(merchant).filter(campaign=campaign).count() == 1
    assert client.get(f"/m/{merchant.slug}/c/nope").status_code == 404
