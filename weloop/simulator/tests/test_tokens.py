from datetime import timedelta

from weloop.core.clock import travel

from .conftest import WechatApiClient


def test_token_is_issued_for_the_right_secret(wechat, sim_account):
    # when
    answer = wechat.get(
        "/cgi-bin/token",
        auth=False,
        grant_type="client_credential",
        appid=sim_account.appid,
        secret=sim_account.app_secret,
    )
    # then
    assert answer["expires_in"] == 7200
    assert len(answer["access_token"]) >= 100
    assert "errcode" not in answer


def test_token_refuses_wrong_secret_unknown_appid_and_grant_type(wechat, sim_account):
    def ask(**params):
        return wechat.get("/cgi-bin/token", auth=False, **params)["errcode"]

    assert ask(grant_type="client_credential", appid=sim_account.appid, secret="nope") == 40125
    assert ask(grant_type="client_credential", appid="wx0000000000000000", secret="x") == 40013
    assert ask(grant_type="password", appid=sim_account.appid, secret=sim_account.app_secret) == 40002
    assert ask(grant_type="client_credential", appid=sim_account.appid) == 41004


def test_api_calls_check_the_access_token(wechat):
    assert wechat.get("/cgi-bin/tags/get", auth=False)["errcode"] == 41001
    assert wechat.get("/cgi-bin/tags/get", access_token="forged")["errcode"] == 40001
    assert "tags" in wechat.get("/cgi-bin/tags/get")


def test_token_expires_after_two_hours(wechat):
    token = wechat.token()
    with travel(timedelta(seconds=7201)):
        answer = wechat.get("/cgi-bin/tags/get", access_token=token)
    assert answer["errcode"] == 42001
    assert answer["errmsg"].startswith("access_token expired")


def test_new_token_invalidates_the_old_one_after_five_minutes(client, sim_account):
    old = WechatApiClient(client, sim_account).token()
    new = WechatApiClient(client, sim_account).token()
    api = WechatApiClient(client, sim_account)
    # both work during the overlap
    assert "tags" in api.get("/cgi-bin/tags/get", access_token=old)
    with travel(timedelta(minutes=4)):
        assert "tags" in api.get("/cgi-bin/tags/get", access_token=old)
    # then only the new one
    with travel(timedelta(minutes=6)):
        assert api.get("/cgi-bin/tags/get", access_token=old)["errcode"] == 40001
        assert "tags" in api.get("/cgi-bin/tags/get", access_token=new)


def test_stable_token_repeats_until_forced_and_leaves_normal_tokens_alone(wechat, sim_account):
    normal = wechat.token()
    body = {"grant_type": "client_credential", "appid": sim_account.appid, "secret": sim_account.app_secret}
    first = wechat.post("/cgi-bin/stable_token", body, auth=False)
    again = wechat.post("/cgi-bin/stable_token", body, auth=False)
    forced = wechat.post("/cgi-bin/stable_token", {**body, "force_refresh": True}, auth=False)
    assert first["access_token"] == again["access_token"] != forced["access_token"]
    assert "tags" in wechat.get("/cgi-bin/tags/get", access_token=forced["access_token"])
    with travel(timedelta(minutes=6)):
        assert "tags" in wechat.get("/cgi-bin/tags/get", access_token=normal)
    assert wechat.post("/cgi-bin/stable_token", {**body, "secret": "x"}, auth=False)["errcode"] == 40125


def test_jsapi_ticket_is_cached_while_valid(wechat):
    first = wechat.get("/cgi-bin/ticket/getticket", type="jsapi")
    second = wechat.get("/cgi-bin/ticket/getticket", type="jsapi")
    assert first["errcode"] == 0 and first["expires_in"] > 7000
    assert first["ticket"] == second["ticket"]


def test_wrong_method_and_bad_json_get_wechat_errcodes(wechat):
    assert wechat.get("/cgi-bin/menu/create")["errcode"] == 43002
    assert wechat.post("/cgi-bin/menu/create", "{not json")["errcode"] == 47001
    assert wechat.post("/cgi-bin/menu/create", "")["errcode"] == 44002
    assert wechat.post("/cgi-bin/menu/create", [1, 2])["errcode"] == 47001
