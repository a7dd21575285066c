"""The JS-SDK signature against WeChat's published example, and the OAuth2 calls."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from weloop.core import clock
from weloop.wechat.client import WeChatApi
from weloop.wechat.errors import WeChatApiError
from weloop.wechat.jssdk import jssdk_config, jssdk_signature
from weloop.wechat.oauth import OAuthToken, authorize_url, exchange_code, fetch_userinfo

# The worked example of WeChat's JS-SDK documentation (附录1).
DOC_TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
DOC_NONCE, DOC_TIMESTAMP, DOC_URL = "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value"
DOC_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_jssdk_signature_matches_the_documented_example():
    independent = hashlib.sha1(
        f"jsapi_ticket={DOC_TICKET}&noncestr={DOC_NONCE}&timestamp={DOC_TIMESTAMP}&url={DOC_URL}".encode()
    ).hexdigest()
    assert independent == DOC_SIGNATURE
    assert jssdk_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL) == DOC_SIGNATURE
    assert jssdk_signature(DOC_TICKET, DOC_NONCE, int(DOC_TIMESTAMP), DOC_URL) == DOC_SIGNATURE


def test_jssdk_signature_ignores_the_fragment():
    assert jssdk_signature(DOC_TICKET, DOC_NONCE, DOC_TIMESTAMP, DOC_URL + "#/cart?x=1") == DOC_SIGNATURE


@pytest.mark.usefixtures("private_cache")
def test_jssdk_config_signs_with_the_cached_ticket(fake_wechat):
    fake_wechat.route(
        "/cgi-bin/ticket/getticket", {"errcode": 0, "errmsg": "ok", "ticket": DOC_TICKET, "expires_in": 7200}
    )
    api = WeChatApi("wxappid", "secret", base_url=fake_wechat.url)
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    with clock.frozen_at(moment):
        config = jssdk_config(api, "https://h/m/shop/?a=1#top", ["getLocation", "scanQRCode"])
    assert config["appId"] == "wxappid"
    assert config["timestamp"] == int(moment.timestamp())
    assert len(config["nonceStr"]) == 16 and config["nonceStr"].isalnum()
    assert config["jsApiList"] == ["getLocation", "scanQRCode"]
    expected = jssdk_signature(DOC_TICKET, config["nonceStr"], config["timestamp"], "https://h/m/shop/?a=1")
    assert config["signature"] == expected


# --- OAuth2 --------------------------------------------------------------------------------------


def test_authorize_url(settings):
    settings.WECHAT_OPEN_BASE = "http://sim/simulator/open"
    url = authorize_url("wxappid", "https://h/m/shop/auth?next=/m/shop/cart", "snsapi_base", "abc123")
    base, fragment = url.split("#")
    parts = urlsplit(base)
    assert (parts.scheme, parts.netloc, parts.path, fragment) == (
        "http",
        "sim",
        "/simulator/open/connect/oauth2/authorize",
        "wechat_redirect",
    )
    assert parse_qsl(parts.query) == [
        ("appid", "wxappid"),
        ("redirect_uri", "https://h/m/shop/auth?next=/m/shop/cart"),
        ("response_type", "code"),
        ("scope", "snsapi_base"),
        ("state", "abc123"),
    ]
    assert "redirect_uri=https%3A%2F%2Fh%2Fm%2Fshop%2Fauth%3Fnext%3D%2Fm%2Fshop%2Fcart" in parts.query


@pytest.mark.parametrize(
    ("scope", "state"), [("snsapi_login", "s"), ("snsapi_base", "no spaces"), ("snsapi_base", "a" * 129)]
)
def test_authorize_url_refuses_bad_scope_or_state(scope, state):
    with pytest.raises(ValueError):
        authorize_url("wxappid", "https://h/cb", scope, state, open_base="http://sim")


def test_exchange_code(fake_wechat):
    fake_wechat.route(
        "/sns/oauth2/access_token",
        {
            "access_token": "WEB",
            "expires_in": 7200,
            "refresh_token": "R",
            "openid": "oUSER",
            "scope": "snsapi_userinfo",
            "unionid": "uUNION",
        },
    )
    token = exchange_code("wxappid", "secret", "CODE1", base_url=fake_wechat.url)
    assert token == OAuthToken(
        openid="oUSER",
        access_token="WEB",
        scope="snsapi_userinfo",
        unionid="uUNION",
        expires_in=7200,
        refresh_token="R",
    )
    assert fake_wechat.requests[0].query == {
        "appid": "wxappid",
        "secret": "secret",
        "code": "CODE1",
        "grant_type": "authorization_code",
    }


def test_exchange_code_snapshot_user_and_no_unionid(fake_wechat):
    fake_wechat.route(
        "/sns/oauth2/access_token",
        {"access_token": "WEB", "openid": "oSNAP", "scope": "snsapi_base", "is_snapshotuser": 1},
    )
    token = exchange_code("wxappid", "secret", "CODE", base_url=fake_wechat.url)
    assert (token.unionid, token.is_snapshot_user) == (None, True)


def test_used_code_is_a_final_error(fake_wechat):
    fake_wechat.route("/sns/oauth2/access_token", {"errcode": 40163, "errmsg": "code been used"})
    with pytest.raises(WeChatApiError) as caught:
        exchange_code("wxappid", "secret", "CODE", base_url=fake_wechat.url)
    assert (caught.value.errcode, caught.value.retryable) == (40163, False)


def test_fetch_userinfo(fake_wechat):
    fake_wechat.route(
        "/sns/userinfo",
        {
            "openid": "oUSER",
            "nickname": "小明",
            "sex": 1,
            "province": "广东",
            "city": "广州",
            "country": "中国",
            "headimgurl": "https://h/a.png",
            "privilege": [],
        },
    )
    info = fetch_userinfo("WEB", "oUSER", base_url=fake_wechat.url)
    assert (info.openid, info.nickname, info.avatar_url, info.unionid, info.city) == (
        "oUSER",
        "小明",
        "https://h/a.png",
        None,
        "广州",
    )
    assert fake_wechat.requests[0].query == {"access_token": "WEB", "openid": "oUSER", "lang": "zh_CN"}
