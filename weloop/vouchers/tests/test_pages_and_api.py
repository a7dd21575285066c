"""The clerk page, the console deal pages and settlement, the API operations and the H5 pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core import clock
from weloop.storefront.identity import member_key
from weloop.vouchers import codes, selectors, services
from weloop.vouchers.models import Redemption


@pytest.fixture
def api(api_client, merchant):
    return api_client


def test_clerk_redeems_a_typed_code_and_can_undo(client, make_staff, merchant, cafe_deal, buy, store, code_of):
    _, (voucher,) = buy(cafe_deal)
    clerk = make_staff(merchant, "clerk")
    client.force_login(clerk.user)
    page = client.get(reverse("clerk:voucher_redeem"))
    assert page.status_code == 200 and b"redeem-form" in page.content
    typo = code_of(voucher)[:-1] + ("0" if code_of(voucher)[-1] != "0" else "1")
    refused = client.post(reverse("clerk:voucher_redeem"), {"store": store.public_id, "code": typo, "count": 1})
    assert refused.status_code == 400 and b"vouchers.malformed_code" in refused.content
    done = client.post(
        reverse("clerk:voucher_redeem"), {"store": store.public_id, "code": codes.display(code_of(voucher)), "count": 1}
    )
    assert done.status_code == 200 and b"redeem-done" in done.content
    again = client.post(
        reverse("clerk:voucher_redeem"), {"store": store.public_id, "code": code_of(voucher), "count": 1}
    )
    assert again.status_code == 409 and b"vouchers.already_used" in again.content
    redemption = Redemption.objects.get()
    undone = client.post(reverse("clerk:voucher_undo", kwargs={"redemption_id": redemption.public_id}))
    assert undone.status_code == 200 and b"redeem-undone" in undone.content
    voucher.refresh_from_db()
    assert voucher.uses_remaining == 1


def test_api_redeem_undo_and_list(api, merchant, punch_deal, buy, store, code_of, member):
    _, (voucher,) = buy(punch_deal)
    response = api.post(
        "/api/v1/vouchers/redeem",
        {"code": code_of(voucher), "store_id": store.public_id, "count": 4},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uses_remaining"] == 6 and body["count"] == 4
    undone = api.post(f"/api/v1/vouchers/redemptions/{body['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"] is not None
    listed = api.get(f"/api/v1/vouchers?member_id={member.public_id}").json()
    assert listed["count"] == 1 and listed["items"][0]["uses_remaining"] == 10
    assert "code" not in listed["items"][0]
    bad = api.post(
        "/api/v1/vouchers/redeem",
        {"code": "0000-0000-0000-0000", "store_id": store.public_id},
        content_type="application/json",
    )
    assert bad.status_code in (400, 404) and bad.json()["code"].startswith("vouchers.")


def test_api_creates_a_deal_and_puts_it_on_sale(api, store):
    payload = {
        "name": "API deal",
        "list_price_fen": 1000,
        "deal_price_fen": 800,
        "valid_days": 30,
        "quota": 10,
        "store_ids": [store.public_id],
    }
    created = api.post("/api/v1/deals", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    on_sale = api.post(f"/api/v1/deals/{deal_id}/status", {"status": "active"}, content_type="application/json")
    assert on_sale.status_code == 200 and on_sale.json()["status"] == "active"
    assert api.get("/api/v1/deals?status=active").json()["count"] == 1
    bad = api.post("/api/v1/deals", {**payload, "name": "Bad", "deal_price_fen": 2000}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "vouchers.invalid_deal"


def test_console_deal_pages_and_settlement(owner_client, merchant, cafe_deal, buy, store, code_of):
    _, (voucher,) = buy(cafe_deal)
    services.voucher_redeem(merchant=merchant, code=code_of(voucher), store=store, actor="t")
    assert owner_client.get(reverse("dashboard:deal_list")).status_code == 200
    detail = owner_client.get(reverse("dashboard:deal_detail", kwargs={"deal_id": cafe_deal.public_id}))
    assert detail.status_code == 200 and b"deal-form" in detail.content
    today = clock.today_local().date()
    report = owner_client.get(reverse("dashboard:voucher_settlement"), {"start": today, "end": today})
    assert report.status_code == 200 and store.public_id.encode() in report.content
    created = owner_client.post(
        reverse("dashboard:deal_create"),
        {
            "name": "Console deal",
            "kind": "single",
            "uses_per_voucher": 1,
            "list_price": "20.00",
            "deal_price": "15.50",
            "valid_days": 30,
            "quota": 5,
            "platform_commission_bp": 0,
            "merchant_commission_bp": 0,
            "refund_anytime": "on",
            "stores": [store.public_id],
        },
    )
    assert created.status_code == 302
    assert selectors.deal_list(merchant=merchant).filter(name="Console deal", deal_price_fen=1550).exists()


def test_h5_my_vouchers_shows_the_code_and_qr_only_to_the_owner(client, merchant, cafe_deal, buy, member, make_member):
    _, (voucher,) = buy(cafe_deal)
    session_request = client.get(reverse("storefront:deal_list", kwargs={"merchant_slug": merchant.slug}))
    assert session_request.status_code == 200 and cafe_deal.public_id.encode() in session_request.content

    def as_member(who):
        session = client.session
        session[member_key(merchant)] = who.public_id
        session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
        session.save()

    as_member(member)
    url = reverse("storefront:voucher_detail", kwargs={"merchant_slug": merchant.slug, "voucher_id": voucher.public_id})
    page = client.get(url)
    assert page.status_code == 200 and b"<svg" in page.content
    shown = selectors.voucher_code_for(merchant=merchant, member=member, voucher=voucher)
    assert shown.encode() in page.content
    assert b"voucher-follow-prompt" in page.content  # the buyer does not follow yet
    as_member(make_member())
    assert client.get(url).status_code == 404


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(counts=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3))  # at most 9 of the 10 uses
def test_settlement_sums_equal_the_ledger_rows_exactly(merchant, punch_deal, buy, store, code_of, counts):
    _, (voucher,) = buy(punch_deal)
    for count in counts:
        services.voucher_redeem(merchant=merchant, code=code_of(voucher), store=store, count=count, actor="t")
    start, end = clock.now() - timedelta(days=1), clock.now() + timedelta(days=1)
    report = selectors.settlement_report(merchant=merchant, start=start, end=end)
    rows = Redemption.objects.filter(store=store, undone_at__isnull=True)
    (row,) = report.rows
    assert row.paid_fen == sum(r.paid_fen for r in rows)
    assert row.platform_commission_fen == sum(r.platform_commission_fen for r in rows)
    assert row.merchant_commission_fen == sum(r.merchant_commission_fen for r in rows)
    assert row.store_net_fen == row.paid_fen - row.platform_commission_fen - row.merchant_commission_fen
    assert row.uses == sum(r.count for r in rows)
