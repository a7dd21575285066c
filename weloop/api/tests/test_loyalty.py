"""/api/v1/loyalty and /api/v1/stored-value: levels, a member's account and ledgers, adjustments,
top-ups with a bonus, payments that never overdraw, idempotent refs, another merchant's member 404."""

# ruff: noqa: F401, F811

from __future__ import annotations

import pytest

from weloop.loyalty import services as loyalty
from weloop.orders.tests.fixtures import make_member, member

pytestmark = pytest.mark.django_db


def test_levels_account_and_points(call, member):
    assert call("POST", "/loyalty/levels", {"name": "普通", "growth_threshold_fen": 0}).status_code == 201
    gold = call("POST", "/loyalty/levels", {"name": "金卡", "growth_threshold_fen": 100000, "discount_bps": 500})
    assert gold.status_code == 201, gold.content
    taken = call("POST", "/loyalty/levels", {"name": "金卡", "growth_threshold_fen": 5})
    assert taken.status_code == 400 and taken.json()["code"] == "loyalty.invalid_level"
    assert [lv["name"] for lv in call("GET", "/loyalty/levels").json()] == ["普通", "金卡"]
    body = {"delta": 100, "reason": "welcome", "ref": "crm-1"}
    assert call("POST", f"/loyalty/members/{member.public_id}/points/adjust", body).status_code == 201
    assert call("POST", f"/loyalty/members/{member.public_id}/points/adjust", body).status_code == 200
    short = call("POST", f"/loyalty/members/{member.public_id}/points/adjust", {"delta": -101, "reason": "x"})
    assert short.status_code == 409 and short.json()["code"] == "loyalty.insufficient_points"
    account = call("GET", f"/loyalty/members/{member.public_id}").json()
    assert account["points_balance"] == 100 and account["level"]["name"] == "普通"
    assert account["next_level"]["name"] == "金卡"
    ledger = call("GET", f"/loyalty/members/{member.public_id}/points").json()
    assert ledger["count"] == 1 and ledger["items"][0]["delta"] == 100


def test_topup_bonus_spend_and_no_overdraft(call, member, merchant):
    loyalty.settings_update(merchant=merchant, topup_bonuses=[{"min_fen": 50000, "bonus_fen": 5000}])
    body = {"amount_fen": 50000, "method": "cash", "ref": "t-1"}
    first = call("POST", f"/stored-value/members/{member.public_id}/topups", body)
    again = call("POST", f"/stored-value/members/{member.public_id}/topups", body)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert call("GET", f"/stored-value/members/{member.public_id}").json()["balance_fen"] == 55000
    pay = {"amount_fen": 55001, "ref": "p-1"}
    refused = call("POST", f"/stored-value/members/{member.public_id}/payments", pay)
    assert refused.status_code == 409 and refused.json()["code"] == "loyalty.insufficient_balance"
    ok = call("POST", f"/stored-value/members/{member.public_id}/payments", {"amount_fen": 55000, "ref": "p-2"})
    assert ok.status_code == 201 and ok.json()["balance_after_fen"] == 0
    kinds = [e["kind"] for e in call("GET", f"/stored-value/members/{member.public_id}/ledger").json()["items"]]
    assert kinds == ["spend", "bonus", "topup"]


def test_another_merchants_member_is_404(call, make_member, other_new_merchant):
    stranger = make_member(other_new_merchant.merchant)
    assert call("GET", f"/loyalty/members/{stranger.public_id}").status_code == 404
    assert call("GET", f"/stored-value/members/{stranger.public_id}").status_code == 404
