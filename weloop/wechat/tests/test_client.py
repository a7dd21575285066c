"""WeChatApi against a local HTTP server: paths, parameters, bodies, the shared token and errors."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.core.cache import caches

from weloop.wechat.client import MassSendResult, QrCode, WeChatApi, _refresh_margin, qrcode_image_url
from weloop.wechat.errors import InvalidMenu, LimitExceeded, WeChatApiError, WeChatUnavailable

pytestmark = pytest.mark.usefixtures("private_cache")

APPID, SECRET = "wxappid000000001", "s3cr3t-never-logged"
OK = {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def api(fake_wechat) -> WeChatApi:
    return WeChatApi(APPID, SECRET, base_url=fake_wechat.url, timeout=2)


def only(fake_wechat, path):
    calls = fake_wechat.calls(path)
    assert len(calls) == 1, [c.path for c in fake_wechat.requests]
    return calls[0]


# --- the access_token ----------------------------------------------------------------------------


def test_these_tests_use_a_private_cache():
    assert type(caches["default"]).__name__ == "LocMemCache"


def test_token_is_fetched_once_and_sent_with_every_call(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/delete", OK)
    api.menu_delete()
    api.menu_delete()
    token_call = only(fake_wechat, "/cgi-bin/token")
    assert (token_call.method, token_call.query) == (
        "GET",
        {"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    )
    assert [c.query["access_token"] for c in fake_wechat.calls("/cgi-bin/menu/delete")] == ["TOKEN1", "TOKEN1"]


def test_token_is_shared_by_clients_of_the_same_account(api, fake_wechat):
    assert api.access_token() == WeChatApi(APPID, SECRET, base_url=fake_wechat.url).access_token() == "TOKEN1"
    assert WeChatApi("wxother", SECRET, base_url=fake_wechat.url).access_token() == "TOKEN2"


def test_invalid_token_is_refreshed_once_and_the_call_retried(api, fake_wechat):
    def menu_delete(request):
        if request.query["access_token"] == "TOKEN1":
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return 200, OK

    fake_wechat.route("/cgi-bin/menu/delete", menu_delete)
    api.access_token()
    api.menu_delete()
    assert len(fake_wechat.calls("/cgi-bin/token")) == 2
    assert [c.query["access_token"] for c in fake_wechat.calls("/cgi-bin/menu/delete")] == ["TOKEN1", "TOKEN2"]
    assert api.access_token() == "TOKEN2"


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
def test_a_token_refused_twice_is_not_retried_again(api, fake_wechat, errcode):
    fake_wechat.route("/cgi-bin/menu/delete", {"errcode": errcode, "errmsg": "expired"})
    with pytest.raises(WeChatApiError) as caught:
        api.menu_delete()
    assert caught.value.errcode == errcode
    assert caught.value.retryable is False
    assert len(fake_wechat.calls("/cgi-bin/menu/delete")) == 2


def test_concurrent_callers_fetch_the_token_once(api, fake_wechat):
    def slow_token(request):
        time.sleep(0.3)
        return fake_wechat.issue_token(request)

    fake_wechat.route("/cgi-bin/token", slow_token)
    tokens: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: tokens.append(WeChatApi(APPID, SECRET, base_url=fake_wechat.url).access_token())
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tokens == ["TOKEN1"] * 6
    assert len(fake_wechat.calls("/cgi-bin/token")) == 1


def test_token_expiring_soon_is_refetched(api, fake_wechat):
    fake_wechat.route(
        "/cgi-bin/token", lambda r: (200, {"access_token": f"T{len(fake_wechat.requests)}", "expires_in": 1})
    )
    first = api.access_token()
    time.sleep(1.1)
    assert api.access_token() != first


def test_refresh_margin_is_about_five_minutes():
    assert _refresh_margin(7200) == 300
    assert _refresh_margin(60) == 15


def test_force_refresh(api, fake_wechat):
    assert api.access_token() == "TOKEN1"
    assert api.access_token(force_refresh=True) == "TOKEN2"
    assert api.access_token() == "TOKEN2"


def test_token_error_is_reported_without_the_secret(api, fake_wechat):
    fake_wechat.route("/cgi-bin/token", {"errcode": 40125, "errmsg": "invalid appsecret"})
    with pytest.raises(WeChatApiError) as caught:
        api.access_token()
    assert (caught.value.errcode, caught.value.retryable) == (40125, False)
    assert SECRET not in str(caught.value.as_dict()) and SECRET not in repr(api)


# --- menus, messages -----------------------------------------------------------------------------


def test_menu_create_posts_the_buttons_as_utf8(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/create", OK)
    buttons = [{"type": "click", "name": "附近门店", "key": "NEARBY"}]
    api.menu_create(buttons)
    call = only(fake_wechat, "/cgi-bin/menu/create")
    assert call.method == "POST"
    assert call.json == {"button": buttons}
    assert "附近门店".encode() in call.body  # not \\u escapes


def test_invalid_menu_is_refused_before_calling_wechat(api, fake_wechat):
    with pytest.raises(InvalidMenu):
        api.menu_create([{"type": "click", "name": "附近的门店们", "key": "K"}])
    assert fake_wechat.requests == []


def test_menu_get(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/get", {"menu": {"button": [{"type": "click", "name": "A", "key": "K"}]}})
    assert api.menu_get()["menu"]["button"][0]["key"] == "K"


def test_custom_send_text_and_news(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/custom/send", OK)
    api.custom_send_text("oUSER", "您好")
    api.custom_send_news("oUSER", "T", "D", "https://u", "https://p")
    text, news = fake_wechat.calls("/cgi-bin/message/custom/send")
    assert text.json == {"touser": "oUSER", "msgtype": "text", "text": {"content": "您好"}}
    assert news.json == {
        "touser": "oUSER",
        "msgtype": "news",
        "news": {"articles": [{"title": "T", "description": "D", "url": "https://u", "picurl": "https://p"}]},
    }


def test_custom_send_outside_the_window_is_final(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/custom/send", {"errcode": 45015, "errmsg": "response out of time limit"})
    with pytest.raises(WeChatApiError) as caught:
        api.custom_send_text("oUSER", "late")
    error = caught.value
    assert (error.code, error.retryable) == ("wechat.api_error", False)
    assert error.extra["errcode"] == 45015 and error.extra["errmsg"] == "response out of time limit"


@pytest.mark.parametrize(("errcode", "retryable"), [(-1, True), (45009, True), (45047, False), (40003, False)])
def test_retryable_only_where_retrying_helps(api, fake_wechat, errcode, retryable):
    fake_wechat.route("/cgi-bin/message/custom/send", {"errcode": errcode, "errmsg": "x"})
    with pytest.raises(WeChatApiError) as caught:
        api.custom_send_text("oUSER", "hi")
    assert caught.value.retryable is retryable


def test_template_send_returns_the_msgid(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/template/send", {**OK, "msgid": 200228332})
    msgid = api.template_send(
        "oUSER", "TID", {"thing1": "拿铁", "amount2": {"value": "¥32.00"}}, url="https://h/o/1", client_msg_id="O1"
    )
    assert msgid == 200228332
    assert only(fake_wechat, "/cgi-bin/message/template/send").json == {
        "touser": "oUSER",
        "template_id": "TID",
        "data": {"thing1": {"value": "拿铁"}, "amount2": {"value": "¥32.00"}},
        "url": "https://h/o/1",
        "client_msg_id": "O1",
    }


def test_subscribe_send(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/subscribe/bizsend", OK)
    api.subscribe_send("oUSER", "TID", {"thing1": "x"}, page="https://h/m/")
    assert only(fake_wechat, "/cgi-bin/message/subscribe/bizsend").json == {
        "touser": "oUSER",
        "template_id": "TID",
        "data": {"thing1": {"value": "x"}},
        "page": "https://h/m/",
    }


# --- tags and users ------------------------------------------------------------------------------


def test_tag_calls(api, fake_wechat):
    fake_wechat.route("/cgi-bin/tags/create", {"tag": {"id": 134, "name": "广东"}})
    fake_wechat.route("/cgi-bin/tags/get", {"tags": [{"id": 134, "name": "广东", "count": 0}]})
    for path in ("update", "delete", "members/batchtagging", "members/batchuntagging"):
        fake_wechat.route(f"/cgi-bin/tags/{path}", OK)
    fake_wechat.route("/cgi-bin/tags/getidlist", {"tagid_list": [134, 2]})

    assert api.tag_create("广东") == 134
    assert api.tag_list() == [{"id": 134, "name": "广东", "count": 0}]
    api.tag_update(134, "广州")
    api.tag_members_batch(134, ["o1", "o2"])
    api.tag_members_batch_untag(134, ["o1"])
    assert api.user_tags("o1") == [134, 2]
    api.tag_delete(134)

    bodies = {r.path: r.json for r in fake_wechat.requests if r.path != "/cgi-bin/token"}
    assert bodies["/cgi-bin/tags/create"] == {"tag": {"name": "广东"}}
    assert bodies["/cgi-bin/tags/update"] == {"tag": {"id": 134, "name": "广州"}}
    assert bodies["/cgi-bin/tags/members/batchtagging"] == {"openid_list": ["o1", "o2"], "tagid": 134}
    assert bodies["/cgi-bin/tags/members/batchuntagging"] == {"openid_list": ["o1"], "tagid": 134}
    assert bodies["/cgi-bin/tags/getidlist"] == {"openid": "o1"}
    assert bodies["/cgi-bin/tags/delete"] == {"tag": {"id": 134}}


def test_more_than_fifty_openids_are_refused_locally(api, fake_wechat):
    with pytest.raises(LimitExceeded):
        api.tag_members_batch(134, [f"o{i}" for i in range(51)])
    with pytest.raises(LimitExceeded):
        api.tag_create("x" * 31)
    assert fake_wechat.requests == []


def test_tag_users_pages(api, fake_wechat):
    fake_wechat.route("/cgi-bin/user/tag/get", {"count": 2, "data": {"openid": ["o1", "o2"]}, "next_openid": "o2"})
    assert api.tag_users(134) == (["o1", "o2"], "o2")
    assert only(fake_wechat, "/cgi-bin/user/tag/get").json == {"tagid": 134, "next_openid": ""}


def test_user_info(api, fake_wechat):
    fake_wechat.route("/cgi-bin/user/info", {"subscribe": 1, "openid": "o1", "unionid": "u1"})
    assert api.user_info("o1")["unionid"] == "u1"
    assert only(fake_wechat, "/cgi-bin/user/info").query["lang"] == "zh_CN"


# --- mass send, QR codes, JS-SDK ticket ----------------------------------------------------------


def test_mass_send_by_tag_uses_the_tag_filter(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/mass/sendall", {**OK, "msg_id": 34182, "msg_data_id": 206227730})
    result = api.mass_send_by_tag(2, "text", {"content": "新品"}, "promo-2025-01")
    assert result == MassSendResult(msg_id=34182, msg_data_id=206227730, duplicate=False)
    assert only(fake_wechat, "/cgi-bin/message/mass/sendall").json == {
        "filter": {"is_to_all": False, "tag_id": 2},
        "msgtype": "text",
        "text": {"content": "新品"},
        "send_ignore_reprint": 0,
        "clientmsgid": "promo-2025-01",
    }


def test_mass_send_to_everybody(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/mass/sendall", {**OK, "msg_id": 1})
    api.mass_send_by_tag(None, "text", {"content": "hi"}, "all-1")
    assert only(fake_wechat, "/cgi-bin/message/mass/sendall").json["filter"] == {"is_to_all": True}


def test_mass_send_with_a_reused_clientmsgid_returns_the_earlier_job(api, fake_wechat):
    fake_wechat.route("/cgi-bin/message/mass/sendall", {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": 7})
    assert api.mass_send_by_tag(2, "text", {"content": "x"}, "dup") == MassSendResult(7, None, duplicate=True)


def test_qrcode_create_temporary_and_permanent(api, fake_wechat):
    answers = iter(
        [
            {"ticket": "gQH47", "expire_seconds": 604800, "url": "http://weixin.qq.com/q/abc"},
            {"ticket": "gQH48", "url": "http://weixin.qq.com/q/def"},
        ]
    )
    fake_wechat.route("/cgi-bin/qrcode/create", lambda r: (200, next(answers)))
    assert api.qrcode_create(123, permanent=False, expire_seconds=604800) == QrCode(
        "gQH47", "http://weixin.qq.com/q/abc", 604800
    )
    assert api.qrcode_create("store_st_1", permanent=True) == QrCode("gQH48", "http://weixin.qq.com/q/def", None)
    temporary, permanent = fake_wechat.calls("/cgi-bin/qrcode/create")
    assert temporary.json == {
        "expire_seconds": 604800,
        "action_name": "QR_SCENE",
        "action_info": {"scene": {"scene_id": 123}},
    }
    assert permanent.json == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": "store_st_1"}},
    }


def test_qrcode_limits_are_checked_locally(api, fake_wechat):
    with pytest.raises(LimitExceeded):
        api.qrcode_create(100001, permanent=True)
    with pytest.raises(LimitExceeded):
        api.qrcode_create(1, permanent=False, expire_seconds=2592001)
    assert fake_wechat.requests == []


def test_qrcode_image_url_encodes_the_ticket(settings):
    settings.WECHAT_MP_BASE = "http://sim/simulator/mp"
    assert qrcode_image_url("gQH4/8=+x") == "http://sim/simulator/mp/cgi-bin/showqrcode?ticket=gQH4%2F8%3D%2Bx"


def test_jsapi_ticket_is_cached(api, fake_wechat):
    fake_wechat.route("/cgi-bin/ticket/getticket", {**OK, "ticket": "JSTICKET", "expires_in": 7200})
    assert api.jsapi_ticket() == api.jsapi_ticket() == "JSTICKET"
    assert only(fake_wechat, "/cgi-bin/ticket/getticket").query == {"access_token": "TOKEN1", "type": "jsapi"}


# --- transport failures --------------------------------------------------------------------------


def test_http_5xx_is_unavailable_and_retryable(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/delete", lambda r: (502, "<html>bad gateway</html>"))
    with pytest.raises(WeChatUnavailable) as caught:
        api.menu_delete()
    assert (caught.value.code, caught.value.status, caught.value.retryable) == ("wechat.unavailable", 503, True)


def test_answer_that_is_not_json_is_unavailable(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/delete", lambda r: (200, "<html>captive portal</html>"))
    with pytest.raises(WeChatUnavailable):
        api.menu_delete()


def test_timeout_is_unavailable(fake_wechat):
    fake_wechat.route("/cgi-bin/token", lambda r: (time.sleep(0.6), (200, {"access_token": "T"}))[1])
    with pytest.raises(WeChatUnavailable) as caught:
        WeChatApi(APPID, SECRET, base_url=fake_wechat.url, timeout=0.2).access_token()
    assert caught.value.retryable


def test_unreachable_server_is_unavailable_without_leaking_the_secret():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = WeChatApi(APPID, SECRET, base_url=f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(WeChatUnavailable) as caught:
        api.access_token()
    error = caught.value
    assert error.retryable
    assert SECRET not in str(error) and SECRET not in str(error.as_dict())
    assert error.__cause__ is None and error.__suppress_context__  # the URL-bearing exception is dropped


def test_non_numeric_errcode_is_a_final_error(api, fake_wechat):
    fake_wechat.route("/cgi-bin/menu/delete", {"errcode": "oops", "errmsg": "?"})
    with pytest.raises(WeChatApiError) as caught:
        api.menu_delete()
    assert (caught.value.errcode, caught.value.retryable) == (None, False)
