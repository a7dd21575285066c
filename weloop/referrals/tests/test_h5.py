"""H5: the invite page (link and poster QR), my referrals, and ``?ref=`` binding now or at sign-in."""

from __future__ import annotations

import pytest
import requests

from weloop.members.models import Member
from weloop.referrals import services
from weloop.referrals.models import ReferralBinding, RefusedReferral
from weloop.storefront.identity import member_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def sign_in(client, merchant, member):
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    return client


def test_invite_page_shows_link_and_poster(client, merchant, member):
    sign_in(client, merchant, member)
    body = client.get("/m/bakery/me/invite/").content.decode()
    code = services.referrer_for_member(merchant=merchant, member=member).code
    assert f"/m/bakery/?ref={code}" in body
    assert 'data-testid="referral-poster-qr"><svg' in body


def test_signed_in_member_opening_a_link_is_bound(client, merchant, make_member):
    friend, referrer = make_member(), make_member()
    code = services.referrer_for_member(merchant=merchant, member=referrer).code
    sign_in(client, merchant, friend)
    assert client.get(f"/m/bakery/stores/?ref={code}&via=poster").status_code == 200
    binding = ReferralBinding.objects.get(member=friend)
    assert binding.referrer.member == referrer and binding.source == "poster"


def test_bad_refs_are_ignored_silently_and_counted(client, merchant, member):
    sign_in(client, merchant, member)
    own = services.referrer_for_member(merchant=merchant, member=member).code
    assert client.get(f"/m/bakery/?ref={own}").status_code == 200
    assert client.get("/m/bakery/?ref=NOSUCH").status_code == 200
    assert not ReferralBinding.objects.exists()
    counts = dict(RefusedReferral.objects.values_list("code", "count"))
    assert counts == {"referrals.self_referral": 1, "referrals.unknown_code": 1}


def test_my_referrals_lists_friends_and_balances(client, merchant, make_member):
    referrer, friend = make_member(), make_member()
    Member.objects.filter(pk=friend.pk).update(nickname="Bob")
    code = services.referrer_for_member(merchant=merchant, member=referrer).code
    services.binding_create(merchant=merchant, member=friend, code=code)
    sign_in(client, merchant, referrer)
    body = client.get("/m/bakery/me/referrals/").content.decode()
    assert "Bob" in body and 'data-testid="referral-frozen">¥0.00' in body


@pytest.mark.django_db(transaction=True)
def test_a_visitor_is_bound_when_signing_in_later(simulated_wechat, new_merchant, make_member):
    from weloop.storefront.tests.test_identity import through_wechat

    merchant = new_merchant.merchant
    referrer = make_member()
    code = services.referrer_for_member(merchant=merchant, member=referrer).code
    browser = requests.Session()
    # an anonymous visitor (outside WeChat) lands on the link: nobody to bind yet
    assert browser.get(f"{simulated_wechat}/m/bakery/?ref={code}").status_code == 200
    assert not ReferralBinding.objects.exists()
    # then opens "Me" and signs in through WeChat
    callback = through_wechat(browser, f"{simulated_wechat}/m/bakery/me/", nickname="Carol")
    assert browser.get(callback, allow_redirects=False).status_code == 302
    carol = Member.objects.for_merchant(merchant).get(nickname="Carol")
    assert ReferralBinding.objects.get(member=carol).referrer.member == referrer


def test_a_referred_members_h5_order_is_attributed_to_the_referrer(client, merchant, make_member, sku, stock, pay):
    from weloop.analytics.models import AttributionEntry
    from weloop.orders import services as orders
    from weloop.orders.models import Order
    from weloop.referrals.tests.fixtures import settle

    referrer, friend = make_member(), make_member()
    code = services.referrer_for_member(merchant=merchant, member=referrer).code
    services.binding_create(merchant=merchant, member=friend, code=code)
    stock(sku, 10)
    orders.cart_add(merchant=merchant, member=friend, sku_id=sku.public_id, quantity=2)
    sign_in(client, merchant, friend)
    form = {"token": "t1", "type": "delivery", "name": "Li", "phone": "13800000000", "city": "SZ", "detail": "1 Rd"}
    assert client.post("/m/bakery/checkout", form).status_code == 302
    order = Order.objects.get(member=friend)
    assert (order.qr_scene, order.channel) == (f"ref:{code}", "h5")
    pay(order)
    settle()
    entry = AttributionEntry.objects.get(reference=order.order_no)
    assert (entry.source_kind, entry.referrer) == ("referrer", code)


def test_my_referrals_shows_commission_entries(client, merchant, chain, buy, refund):
    _grandpa, parent, buyer = chain
    order = refund(buy(buyer), 700)
    sign_in(client, merchant, parent)
    body = client.get("/m/bakery/me/referrals/").content.decode()
    assert order.order_no in body and 'data-kind="reverse"' in body
    assert 'data-testid="referral-frozen">¥0.90' in body  # 1.25 accrued, 0.35 reversed, both frozen
