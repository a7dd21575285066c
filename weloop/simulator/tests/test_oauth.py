from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from weloop.core.clock import travel

from .conftest import set_phone

REDIRECT = "https://shop.example/m/bakery/auth?next=%2Fm%2Fbakery%2F"


def _authorize(client, account, scope="snsapi_base", state="abc123", **overrides):
    params = {
        "appid": account.appid,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": state,
        **overrides,
    }
    return client.get("/simulator/open/connect/oauth2/authorize?" + urlencode(params))


def _returned(response):
    assert response.status_code == 302, response.content[:300]
    parts = urlsplit(response["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://shop.example/m/bakery/auth"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def _exchange(wechat, account, code, secret=None):
    return wechat.get(
        "/sns/oauth2/access_token",
        auth=False,
        appid=account.appid,
        secret=secret or account.app_secret,
        code=code,
        grant_type="authorization_code",
    )


def test_snsapi_base_redirects_at_once_and_the_code_works_once(client, wechat, sim_account, follower):
    set_phone(client, sim_account, follower)
    query = _returned(_authorize(client, sim_account))
    assert query["state"] == "abc123" and query["next"] == "/m/bakery/"
    token = _exchange(wechat, sim_account, query["code"])
    assert token["openid"] == follower.openid and token["scope"] == "snsapi_base" and token["expires_in"] == 7200
    assert _exchange(wechat, sim_account, query["code"])["errcode"] == 40163
    assert _exchange(wechat, sim_account, "bogus")["errcode"] == 40029
    # a base token cannot read the profile
    answer = wechat.get("/sns/userinfo", auth=False, access_token=token["access_token"], openid=follower.openid)
    assert answer["errcode"] == 48001


def test_code_expires_after_five_minutes_and_needs_the_secret(client, wechat, sim_account, follower):
    set_phone(client, sim_account, follower)
    code = _returned(_authorize(client, sim_account))["code"]
    assert _exchange(wechat, sim_account, code, secret="wrong")["errcode"] == 40125
    with travel(timedelta(minutes=5, seconds=1)):
        assert _exchange(wechat, sim_account, code)["errcode"] == 40029


def test_snsapi_userinfo_asks_for_consent(client, wechat, sim_account, follower):
    set_phone(client, sim_account, follower)
    page = _authorize(client, sim_account, scope="snsapi_userinfo")
    assert page.status_code == 200 and b'data-testid="sim-oauth-allow"' in page.content
    url = page.wsgi_request.get_full_path()
    code = _returned(client.post(url, {"action": "allow"}))["code"]
    token = _exchange(wechat, sim_account, code)
    assert token["unionid"] == follower.unionid
    info = wechat.get("/sns/userinfo", auth=False, access_token=token["access_token"], openid=follower.openid)
    assert info["nickname"] == "Alice" and info["headimgurl"] == follower.avatar_url
    assert (
        wechat.get("/sns/auth", auth=False, access_token=token["access_token"], openid=follower.openid)["errcode"] == 0
    )
    refreshed = wechat.get(
        "/sns/oauth2/refresh_token",
        auth=False,
        appid=sim_account.appid,
        refresh_token=token["refresh_token"],
        grant_type="refresh_token",
    )
    assert refreshed["access_token"] == token["access_token"]


def test_refusing_consent_returns_only_the_state(client, sim_account, follower):
    set_phone(client, sim_account, follower)
    url = _authorize(client, sim_account, scope="snsapi_userinfo").wsgi_request.get_full_path()
    assert _returned(client.post(url, {"action": "deny"})) == {"state": "abc123", "next": "/m/bakery/"}


def test_a_phone_without_a_user_asks_who_it_is(client, wechat, sim_account):
    page = _authorize(client, sim_account)
    assert b'data-testid="sim-oauth-choose"' in page.content
    query = _returned(client.post(page.wsgi_request.get_full_path(), {"action": "new", "nickname": "Bob"}))
    token = _exchange(wechat, sim_account, query["code"])
    assert token["openid"].startswith("o") and len(token["openid"]) == 28


@pytest.mark.parametrize(
    "overrides",
    [
        {"appid": "wx_unknown"},
        {"redirect_uri": "javascript:alert(1)"},
        {"scope": "snsapi_all"},
        {"response_type": "token"},
        {"state": "s" * 129},
    ],
)
def test_bad_authorize_parameters_show_an_error_page(client, sim_account, overrides):
    response = _authorize(client, sim_account, **overrides)
    assert response.status_code == 400
    assert b'data-testid="sim-oauth-error"' in response.content
