"""The H5 identity: WeChat OAuth against the simulator over real HTTP, bound to the session per merchant.

A ``requests`` session plays the phone's browser: it follows the platform to the simulator's
authorize page, picks or creates the WeChat user there, consents, and comes back with the code.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from weloop.members.models import Member, MemberTouch
from weloop.storefront.identity import member_key, safe_next_path
from weloop.tenants.models import Merchant, WechatAccount
from weloop.wechat.client import WeChatApi
from weloop.wechat.jssdk import jssdk_signature
from weloop.wechat.oauth import exchange_code

WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.47 NetType/WIFI"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def through_wechat(browser: requests.Session, url: str, *, nickname: str = "Alice", consent: str = "allow") -> str:
    """Follow ``url`` (a platform page or WeChat's authorize page) until WeChat redirects back.

    On the simulator's pages, create the WeChat user ``nickname`` and answer the consent page.
    Returns the callback URL WeChat sent the browser to (not followed).
    """
    response = browser.get(url, allow_redirects=False)
    if response.status_code == 302 and "/simulator/open/" in response.headers["Location"]:
        response = browser.get(response.headers["Location"], allow_redirects=False)
    for _ in range(3):
        if response.status_code != 200:
            break
        if 'data-testid="sim-oauth-choose"' in response.text:
            answer = {"action": "new", "nickname": nickname}
        elif 'data-testid="sim-oauth-consent"' in response.text:
            answer = {"action": consent}
        else:
            raise AssertionError(response.text[:500])
        answer["csrfmiddlewaretoken"] = _csrf(response.text)
        response = browser.post(response.url, data=answer, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- where sign-in may return to ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/m/bakery/stores/", "/m/bakery/stores/"),
        ("/m/bakery/stores/st_1/?tab=hours", "/m/bakery/stores/st_1/?tab=hours"),
        ("https://evil.example/m/bakery/", "/m/bakery/"),
        ("//evil.example/m/bakery/", "/m/bakery/"),
        ("/\\evil.example", "/m/bakery/"),
        ("/m/rival/", "/m/bakery/"),
        ("/m/bakery/../rival/", "/m/bakery/"),
        ("/m/bakery//evil.example", "/m/bakery/"),
        ("javascript:alert(1)", "/m/bakery/"),
        ("/m/bakery/\r\nSet-Cookie: x=1", "/m/bakery/"),
        ("", "/m/bakery/"),
    ],
)
def test_next_is_always_a_page_of_this_merchant(candidate, expected):
    assert safe_next_path(Merchant(slug="bakery"), candidate) == expected


# --- redirects to WeChat, without going there ---------------------------------------------------


@pytest.mark.django_db
def test_me_sends_an_unknown_visitor_to_wechat_with_a_state(client, settings, new_merchant):
    settings.PUBLIC_URL = "https://shop.example"
    settings.WECHAT_OPEN_BASE = "https://open.example"
    response = client.get("/m/bakery/me/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://open.example/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    query = _query(location.split("#")[0])
    assert query["appid"] == new_merchant.wechat.appid
    assert query["redirect_uri"] == "https://shop.example/m/bakery/oauth/callback"
    assert query["scope"] == "snsapi_userinfo" and re.fullmatch(r"[A-Za-z0-9]{32}", query["state"])
    pending = client.session[f"weloop_oauth_states:{new_merchant.merchant.pk}"]
    assert pending[query["state"]]["next"] == "/m/bakery/me/"


@pytest.mark.django_db
def test_home_in_wechat_identifies_silently_once_and_other_browsers_browse(client, settings, new_merchant, store):
    settings.WECHAT_OPEN_BASE = "https://open.example"
    assert client.get("/m/bakery/").status_code == 200  # an ordinary browser: no identity needed
    first = client.get("/m/bakery/", HTTP_USER_AGENT=WECHAT_UA)
    assert first.status_code == 302 and _query(first["Location"].split("#")[0])["scope"] == "snsapi_base"
    # a failed or abandoned silent sign-in is not retried on every page view
    assert client.get("/m/bakery/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    # the public pages stay open without identity, in WeChat too
    assert client.get("/m/bakery/stores/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200


@pytest.mark.django_db
def test_home_in_wechat_without_a_service_account_still_opens(client, new_merchant, store):
    WechatAccount.objects.for_merchant(new_merchant.merchant).delete()
    assert client.get("/m/bakery/", HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    # a page that needs the member says why it cannot have one
    response = client.get("/m/bakery/me/")
    assert response.status_code == 409 and b'data-error-code="members.wechat_not_connected"' in response.content


@pytest.mark.django_db
def test_a_member_is_bound_per_merchant(client, settings, new_merchant, other_new_merchant, store):
    settings.WECHAT_OPEN_BASE = "https://open.example"
    merchant, other = new_merchant.merchant, other_new_merchant.merchant
    member = Member.objects.create(
        merchant=merchant, openid="o_alice", first_source="scan", first_store=store, nickname="Alice", is_following=True
    )
    theirs = Member.objects.create(merchant=other, openid="o_bob", first_source="oauth")
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_userinfo"
    # another merchant's member planted under the other merchant's key does not count there either
    session[member_key(other)] = theirs.public_id + "X"
    session.save()

    mine = client.get("/m/bakery/me/")
    assert mine.status_code == 200
    body = mine.content.decode()
    assert 'data-testid="me-nickname">Alice<' in body and 'data-following="yes"' in body
    assert f'href="/m/bakery/stores/{store.public_id}/">{store.name}</a>' in body  # the first-touch store
    assert client.get("/m/rival/me/").status_code == 302  # not identified at the other merchant


@pytest.mark.django_db
def test_me_with_only_a_silent_identity_asks_for_the_profile(client, settings, new_merchant):
    settings.WECHAT_OPEN_BASE = "https://open.example"
    merchant = new_merchant.merchant
    member = Member.objects.create(merchant=merchant, openid="o_alice", first_source="oauth")
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    response = client.get("/m/bakery/me/")
    assert response.status_code == 302 and _query(response["Location"].split("#")[0])["scope"] == "snsapi_userinfo"


@pytest.mark.django_db
def test_the_store_list_carries_the_guarded_location_script(client, new_merchant, store):
    body = client.get("/m/bakery/stores/").content.decode()
    assert 'data-testid="wx-location"' in body and 'data-config-url="/m/bakery/jssdk-config"' in body


# --- the round trip through the simulator -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_oauth_round_trip_creates_and_binds_the_member(simulated_wechat, new_merchant, store):
    browser = requests.Session()
    me_url = f"{simulated_wechat}/m/bakery/me/"

    # when an unknown visitor opens "Me", signs in at WeChat as Alice and consents
    callback = through_wechat(browser, me_url, nickname="Alice")
    assert callback.startswith(f"{simulated_wechat}/m/bakery/oauth/callback?")
    back = browser.get(callback, allow_redirects=False)

    # then the platform returns to "Me", with Alice as the merchant's member, profile included
    assert back.status_code == 302 and back.headers["Location"] == "/m/bakery/me/"
    member = Member.objects.for_merchant(new_merchant.merchant).get()
    assert member.first_source == "oauth" and member.nickname == "Alice"
    assert member.avatar_url.startswith("http")
    assert MemberTouch.objects.filter(member=member, kind="oauth").count() == 1
    page = browser.get(me_url)
    assert page.status_code == 200
    assert 'data-testid="me-nickname">Alice<' in page.text
    assert f'data-member-id="{member.public_id}"' in page.text
    assert 'data-testid="tab-me"' in page.text

    # and the next visit needs no new sign-in
    assert browser.get(me_url, allow_redirects=False).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_used_code_shows_an_error_page_with_a_retry_link(simulated_wechat, new_merchant):
    browser = requests.Session()
    start = f"{simulated_wechat}/m/bakery/oauth/start?next=/m/bakery/stores/&scope=snsapi_base"
    callback = through_wechat(browser, start, nickname="Bob")
    code = _query(callback)["code"]
    # the code is used once already (a reload, or someone else who saw the link)
    account = new_merchant.wechat
    exchange_code(account.appid, account.app_secret, code)

    response = browser.get(callback, allow_redirects=False)

    assert response.status_code == 400
    assert 'data-error-code="storefront.oauth_code_rejected"' in response.text
    assert 'data-testid="sign-in-errcode">40163<' in response.text
    retry = re.search(r'href="([^"]+)" data-testid="sign-in-retry"', response.text).group(1)
    assert retry.startswith("/m/bakery/oauth/start?") and "next=%2Fm%2Fbakery%2Fstores%2F" in retry
    assert not Member.objects.for_merchant(new_merchant.merchant).exists()

    # and "try again" signs in (the simulator's phone remembers Bob) and returns to the stores
    again = through_wechat(browser, simulated_wechat + retry.replace("&amp;", "&"))
    assert browser.get(again, allow_redirects=False).headers["Location"] == "/m/bakery/stores/"
    assert Member.objects.for_merchant(new_merchant.merchant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_state_this_browser_did_not_get_is_refused_and_creates_nothing(simulated_wechat, new_merchant):
    browser = requests.Session()
    callback = through_wechat(browser, f"{simulated_wechat}/m/bakery/oauth/start?scope=snsapi_base")
    code = _query(callback)["code"]

    forged = browser.get(
        f"{simulated_wechat}/m/bakery/oauth/callback?code={code}&state=forged123", allow_redirects=False
    )
    # another browser replaying the real link has no such state either
    stolen = requests.get(callback, allow_redirects=False)

    for response in (forged, stolen):
        assert response.status_code == 400
        assert 'data-error-code="storefront.oauth_state_invalid"' in response.text
    assert not Member.objects.for_merchant(new_merchant.merchant).exists()
    # the code was never exchanged: refusing the state happens before talking to WeChat
    account = new_merchant.wechat
    assert exchange_code(account.appid, account.app_secret, code).openid


@pytest.mark.django_db(transaction=True)
def test_next_pointing_elsewhere_returns_home_instead(simulated_wechat, new_merchant):
    browser = requests.Session()
    for target in ("https://evil.example/phish", "//evil.example/", "/m/rival/"):
        start = f"{simulated_wechat}/m/bakery/oauth/start?scope=snsapi_base&next={requests.utils.quote(target)}"
        callback = through_wechat(browser, start, nickname="Carol")
        assert browser.get(callback, allow_redirects=False).headers["Location"] == "/m/bakery/", target


@pytest.mark.django_db(transaction=True)
def test_refusing_consent_explains_and_offers_to_try_again(simulated_wechat, new_merchant):
    browser = requests.Session()
    callback = through_wechat(browser, f"{simulated_wechat}/m/bakery/me/", consent="deny")
    response = browser.get(callback, allow_redirects=False)
    assert response.status_code == 403
    assert 'data-error-code="storefront.oauth_declined"' in response.text
    assert 'data-testid="sign-in-retry"' in response.text
    assert not Member.objects.for_merchant(new_merchant.merchant).exists()


# --- the JS-SDK config --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_jssdk_config_is_signed_for_the_page(simulated_wechat, new_merchant):
    page = f"{simulated_wechat}/m/bakery/stores/"
    url = simulated_wechat + reverse("storefront:jssdk_config", kwargs={"merchant_slug": "bakery"})
    response = requests.get(url, params={"url": page + "#top"})
    assert response.status_code == 200, response.text
    config = response.json()
    account = new_merchant.wechat
    ticket = WeChatApi(account.appid, account.app_secret).jsapi_ticket()
    assert config["appId"] == account.appid and "getLocation" in config["jsApiList"]
    assert config["signature"] == jssdk_signature(ticket, config["nonceStr"], config["timestamp"], page)


@pytest.mark.django_db
def test_jssdk_config_refuses_pages_of_other_sites(client, settings, new_merchant):
    settings.PUBLIC_URL = "https://shop.example"
    for url in ("https://evil.example/m/bakery/", "https://shop.example.evil.example/", "", "https://shop.example"):
        response = client.get("/m/bakery/jssdk-config", {"url": url})
        assert response.status_code == 400, url
        assert response.json()["extra"] == {"field": "url"}
