"""Console pages (settings, referrers, ledger, statements) and the /referrals API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.referrals import services
from weloop.referrals.models import ReferralSettings, Referrer, Statement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def earned(merchant, chain, buy, complete):
    """The chain's buyer bought and the refund window has closed: commission is available."""
    _grandpa, parent, buyer = chain
    complete(buy(buyer))
    with clock.travel(timedelta(days=8)):
        services.commissions_unfreeze_due()
    return Referrer.objects.get(member=parent)


def test_console_settings_save_and_refuse(owner_client, merchant):
    form = {"enabled": "on", "level1_bps": "800", "level2_bps": "200", "attribution_days": "15", "freeze_days": "3"}
    response = owner_client.post("/dashboard/referrals/settings/", form)
    assert response.status_code == 302
    saved = ReferralSettings.objects.for_merchant(merchant).get()
    assert (saved.level1_bps, saved.level2_bps, saved.attribution_days, saved.freeze_days) == (800, 200, 15, 3)
    bad = owner_client.post("/dashboard/referrals/settings/", {**form, "level2_bps": "900"})
    assert bad.status_code == 400 and b"referrals.invalid_settings" in bad.content


def test_console_leaderboard_statement_and_mark_paid(owner_client, merchant, earned):
    page = owner_client.get("/dashboard/referrals/").content.decode()
    assert earned.code in page and "¥1.25" in page
    response = owner_client.post(f"/dashboard/referrals/referrers/{earned.public_id}/act/", {"action": "statement"})
    statement = Statement.objects.get(referrer=earned)
    assert response["Location"] == f"/dashboard/referrals/statements/{statement.public_id}/"
    detail = owner_client.get(response["Location"]).content.decode()
    assert 'data-testid="statement-total">¥1.25' in detail
    owner_client.post(
        f"/dashboard/referrals/statements/{statement.public_id}/act/", {"action": "paid", "method": "cash"}
    )
    statement.refresh_from_db()
    assert statement.status == "paid" and statement.method == "cash"
    ledger = owner_client.get(f"/dashboard/referrals/ledger/?code={earned.code}&status=paid").content.decode()
    assert ledger.count('data-testid="ledger-row"') == 2  # the commission and the payout
    assert 'data-kind="payout"' in ledger and 'data-kind="accrue"' in ledger
    listed = owner_client.get("/dashboard/referrals/statements/?status=paid").content.decode()
    assert listed.count('data-testid="statement-row"') == 1
    settings_page = owner_client.get("/dashboard/referrals/settings/")
    assert settings_page.status_code == 200 and b'data-testid="referral-settings-form"' in settings_page.content


def test_console_needs_the_permission(staff_client, merchant):
    clerk = staff_client(merchant, "clerk")
    assert clerk.get("/dashboard/referrals/").status_code == 403


def test_api_settings_bindings_commissions_statements(api_client, merchant, make_member, earned):
    assert api_client.get("/api/v1/referrals/settings").json()["level1_bps"] == 500
    friend = make_member()
    created = api_client.post(
        "/api/v1/referrals/bindings",
        json.dumps({"member_id": friend.public_id, "code": earned.code}),
        content_type="application/json",
    )
    assert created.status_code == 200 and created.json()["source"] == "api"
    self_ref = api_client.post(
        "/api/v1/referrals/bindings",
        json.dumps({"member_id": earned.member.public_id, "code": earned.code}),
        content_type="application/json",
    )
    assert self_ref.status_code == 400 and self_ref.json()["code"] == "referrals.self_referral"
    items = api_client.get(f"/api/v1/referrals/commissions?referrer_code={earned.code}").json()["items"]
    assert [(i["kind"], i["amount_fen"], i["status"]) for i in items] == [("accrue", 125, "available")]
    detail = api_client.get(f"/api/v1/referrals/referrers/{earned.public_id}").json()
    assert detail["available_fen"] == 125
    statement = api_client.post(
        "/api/v1/referrals/statements", json.dumps({"referrer_id": earned.public_id}), content_type="application/json"
    ).json()
    assert statement["total_fen"] == 125 and len(statement["lines"]) == 1
    paid = api_client.post(
        f"/api/v1/referrals/statements/{statement['id']}/paid",
        json.dumps({"method": "transfer", "note": "TX-1"}),
        content_type="application/json",
    )
    assert paid.json()["status"] == "paid"
    again = api_client.post(
        f"/api/v1/referrals/statements/{statement['id']}/paid",
        json.dumps({"method": "transfer"}),
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "referrals.statement_not_open"
    nothing = api_client.post(
        "/api/v1/referrals/statements", json.dumps({"referrer_id": earned.public_id}), content_type="application/json"
    )
    assert nothing.status_code == 400 and nothing.json()["code"] == "referrals.nothing_to_pay"
