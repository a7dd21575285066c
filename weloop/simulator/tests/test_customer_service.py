from datetime import timedelta

from weloop.core.clock import travel
from weloop.simulator import phone
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimOutboundMessage


def _text(openid, content="hi"):
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def test_follow_opens_a_one_minute_window_of_three(wechat, follower):
    # given a user who just followed (3 messages within 1 minute)
    for n in range(3):
        assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid, f"m{n}"))["errcode"] == 0
    # then the 4th is over quota
    assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 45047
    # and after the minute the window is closed
    with travel(timedelta(seconds=61)):
        assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 45015
    sent = SimOutboundMessage.objects.filter(user=follower, kind=OutboundKind.CUSTOMER_SERVICE)
    assert [m.body["text"]["content"] for m in sent] == ["m0", "m1", "m2"]


def test_a_user_message_opens_48_hours_of_five(wechat, sim_account, follower):
    with travel(timedelta(minutes=5)):  # the follow window has closed
        phone.send_text(account=sim_account, user=follower, content="hello")
    with travel(timedelta(hours=47)):
        results = [wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] for _ in range(6)]
    assert results == [0, 0, 0, 0, 0, 45047]
    with travel(timedelta(hours=49)):
        wechat.renew()
        assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 45015


def test_unsubscribed_user_is_outside_the_window(wechat, sim_account, follower):
    phone.unfollow(account=sim_account, user=follower)
    assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 45015


def test_windows_are_configurable(wechat, follower, settings):
    settings.SIMULATOR_CS_WINDOWS = {"follow": (1, 60)}
    phone.unfollow(account=wechat.account, user=follower)
    phone.follow(account=wechat.account, user=follower)
    assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 0
    assert wechat.post("/cgi-bin/message/custom/send", _text(follower.openid))["errcode"] == 45047


def test_custom_send_checks_user_and_body(wechat, make_user, other_sim_account):
    stranger = make_user(other_sim_account)
    user = make_user()
    assert wechat.post("/cgi-bin/message/custom/send", _text("oNOBODY"))["errcode"] == 40003
    assert wechat.post("/cgi-bin/message/custom/send", _text(stranger.openid))["errcode"] == 49003
    assert wechat.post("/cgi-bin/message/custom/send", _text(user.openid, ""))["errcode"] == 44004
    two = {"touser": user.openid, "msgtype": "news", "news": {"articles": [{"title": "a"}, {"title": "b"}]}}
    assert wechat.post("/cgi-bin/message/custom/send", two)["errcode"] == 45008
    odd = {"touser": user.openid, "msgtype": "hologram", "hologram": {}}
    assert wechat.post("/cgi-bin/message/custom/send", odd)["errcode"] == 40008


def test_template_send_returns_msgid_and_needs_a_follower(wechat, follower, make_user):
    body = {"touser": follower.openid, "template_id": "TID", "url": "http://x/", "data": {"thing1": {"value": "v"}}}
    answer = wechat.post("/cgi-bin/message/template/send", body)
    assert answer["errcode"] == 0 and answer["msgid"] > 0
    message = SimOutboundMessage.objects.get(user=follower, kind=OutboundKind.TEMPLATE)
    assert message.msgid == answer["msgid"] and message.body["data"]["thing1"]["value"] == "v"
    # not following
    lurker = make_user(follow=False)
    assert wechat.post("/cgi-bin/message/template/send", {**body, "touser": lurker.openid})["errcode"] == 43004
    assert wechat.post("/cgi-bin/message/template/send", {**body, "template_id": ""})["errcode"] == 40037


def test_template_client_msg_id_sends_once(wechat, follower):
    body = {"touser": follower.openid, "template_id": "TID", "client_msg_id": "order-1", "data": {}}
    first = wechat.post("/cgi-bin/message/template/send", body)
    second = wechat.post("/cgi-bin/message/template/send", body)
    assert first["msgid"] == second["msgid"]
    assert SimOutboundMessage.objects.filter(user=follower, kind=OutboundKind.TEMPLATE).count() == 1


def test_template_daily_quota_refuses_past_the_limit(wechat, follower, settings):
    # given a daily quota of 2 template sends
    settings.SIMULATOR_TEMPLATE_DAILY_QUOTA = 2
    body = {"touser": follower.openid, "template_id": "TID", "data": {}}
    codes = [wechat.post("/cgi-bin/message/template/send", body)["errcode"] for _ in range(3)]
    # then the third is refused with 45009 and not recorded
    assert codes == [0, 0, 45009]
    assert SimOutboundMessage.objects.filter(user=follower, kind=OutboundKind.TEMPLATE).count() == 2
    # and a refused call is not counted: one more unit makes room for exactly one more
    settings.SIMULATOR_TEMPLATE_DAILY_QUOTA = 3
    codes = [wechat.post("/cgi-bin/message/template/send", body)["errcode"] for _ in range(2)]
    assert codes == [0, 45009]


def test_subscription_notice_lands_in_the_inbox(wechat, follower):
    body = {"touser": follower.openid, "template_id": "T2", "page": "http://x/", "data": {"thing1": {"value": "a"}}}
    assert wechat.post("/cgi-bin/message/subscribe/bizsend", body) == {"errcode": 0, "errmsg": "ok"}
    assert SimOutboundMessage.objects.filter(user=follower, kind=OutboundKind.SUBSCRIBE).count() == 1


def test_user_info_reports_follow_state_and_tags(wechat, follower, make_user):
    info = wechat.get("/cgi-bin/user/info", openid=follower.openid, lang="zh_CN")
    assert info["subscribe"] == 1 and info["openid"] == follower.openid and info["tagid_list"] == []
    assert info["unionid"] == follower.unionid and "nickname" not in info
    lurker = make_user(follow=False)
    assert wechat.get("/cgi-bin/user/info", openid=lurker.openid)["subscribe"] == 0
    assert wechat.get("/cgi-bin/user/info", openid="oNOPE")["errcode"] == 40003
    followers = wechat.get("/cgi-bin/user/get")
    assert followers["total"] == 1 and followers["data"]["openid"] == [follower.openid]
