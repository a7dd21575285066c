"""The member card (H5), the counter's card page (clerk) and the loyalty console, through the test client."""

from __future__ import annotations

import re

import pytest

from weloop.core import clock
from weloop.loyalty import services as loyalty
from weloop.loyalty.cards import card_code, card_code_member_id
from weloop.loyalty.errors import InvalidCardCode
from weloop.loyalty.models import Level, MemberAccount, PointsEntry, ValueEntry
from weloop.loyalty.services import LevelInput
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.storefront.tests.test_shop import sign_in, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def shopper(client, merchant, member):
    return sign_in(client, merchant, member)


def test_card_page_shows_level_points_qr_and_signs_in_once(shopper, merchant, member):
    loyalty.level_create(merchant=merchant, data=LevelInput(name="Silver", growth_threshold=0))
    loyalty.level_create(merchant=merchant, data=LevelInput(name="Gold", growth_threshold=50000))
    loyalty.points_adjust(merchant=merchant, member=member, delta=42, reason="welcome")
    page = shopper.get(url(merchant, "me/card/")).content.decode()
    assert 'data-testid="card-level">Silver' in page and 'data-testid="card-points">42<' in page
    assert "<svg" in page and "more to Gold" in page
    code = re.search(r'data-testid="card-code">([^<]+)<', page).group(1)
    assert card_code_member_id(merchant=merchant, code=code) == member.public_id
    shopper.post(url(merchant, "me/card/signin"))
    again = shopper.post(url(merchant, "me/card/signin"), follow=True).content.decode()
    assert "already signed in today" in again and 'data-testid="card-signed-in"' in again
    assert MemberAccount.objects.get(member=member).points_balance == 47
    session = shopper.session
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_userinfo"  # "Me" asks for the profile
    session.save()
    assert 'data-testid="me-card"' in shopper.get(url(merchant, "me/")).content.decode()


def test_card_code_expires_and_is_bound_to_the_merchant(merchant, other_new_merchant, member):
    code = card_code(merchant=merchant, member=member)
    with pytest.raises(InvalidCardCode):
        card_code_member_id(merchant=other_new_merchant.merchant, code=code)
    with pytest.raises(InvalidCardCode):
        card_code_member_id(merchant=merchant, code=code[:-1] + ("0" if code[-1] != "0" else "1"))
    with clock.frozen_at(clock.now() + __import__("datetime").timedelta(minutes=6)), pytest.raises(InvalidCardCode):
        card_code_member_id(merchant=merchant, code=code)


def test_clerk_finds_member_by_card_adds_points_tops_up_and_takes_payment(client, merchant, member, make_staff):
    loyalty.settings_update(merchant=merchant, topup_bonuses=[{"min_fen": 50000, "bonus_fen": 5000}])
    client.force_login(make_staff(merchant, "clerk").user)
    page = client.get("/clerk/card/", {"code": card_code(merchant=merchant, member=member)}).content.decode()
    assert f'data-member-id="{member.public_id}"' in page
    form = {"member_id": member.public_id, "token": "t1"}
    client.post("/clerk/card/", {**form, "action": "points", "amount": "88.50"})
    client.post("/clerk/card/", {**form, "action": "points", "amount": "88.50"})  # double submit
    client.post("/clerk/card/", {**form, "action": "topup", "amount": "500", "method": "cash"})
    paid = client.post("/clerk/card/", {**form, "action": "pay", "amount": "20"})
    assert paid.status_code == 200
    refused = client.post("/clerk/card/", {**form, "token": "t2", "action": "pay", "amount": "600"})
    assert refused.status_code == 409 and 'data-code="loyalty.insufficient_balance"' in refused.content.decode()
    account = MemberAccount.objects.get(member=member)
    assert (account.points_balance, account.growth, account.balance_fen) == (88, 8850, 50000 + 5000 - 2000)
    assert client.get("/clerk/card/", {"code": "mb_X.abc.123"}).status_code == 400


def test_console_settings_levels_and_adjustment(owner_client, merchant, member):
    saved = owner_client.post(
        "/dashboard/loyalty/",
        {
            "points_per_yuan": 2,
            "points_per_review": 10,
            "points_daily_signin": 5,
            "expiry_months": 12,
            "fen_per_point": 1,
            "max_points_share_bps": 3000,
            "topup_bonuses": "500 = 50\n1000 = 120",
        },
    )
    assert saved.status_code == 302
    settings = loyalty.settings_of(merchant=merchant)
    assert settings.points_per_yuan == 2 and settings.topup_bonuses[1] == {"min_fen": 100000, "bonus_fen": 12000}
    owner_client.post("/dashboard/loyalty/levels/new/", {"name": "Gold", "growth": "1000", "discount_bps": 500})
    level = Level.objects.get(merchant=merchant, name="Gold")
    assert level.growth_threshold == 100000
    page = owner_client.get("/dashboard/loyalty/").content.decode()
    assert "Gold" in page and 'data-testid="loyalty-stats"' in page
    no_reason = owner_client.post(
        f"/dashboard/loyalty/members/{member.public_id}/",
        {"what": "points", "direction": "add", "amount": "10", "reason": "", "token": "x"},
    )
    assert no_reason.status_code == 400
    for _ in range(2):
        owner_client.post(
            f"/dashboard/loyalty/members/{member.public_id}/",
            {"what": "balance", "direction": "add", "amount": "12.5", "reason": "goodwill", "token": "y"},
        )
    assert ValueEntry.objects.get(member=member).amount_fen == 1250
    owner_client.post(
        f"/dashboard/loyalty/members/{member.public_id}/",
        {"what": "points", "direction": "add", "amount": "10", "reason": "goodwill", "token": "z"},
    )
    assert PointsEntry.objects.get(member=member).delta == 10
    ledger = owner_client.get(f"/dashboard/loyalty/members/{member.public_id}/").content.decode()
    assert "goodwill" in ledger
