from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from weloop.core.clock import frozen_at
from weloop.simulator.enums import OutboundKind
from weloop.simulator.models import SimDelivery, SimOutboundMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH_20 = datetime(2025, 3, 20, 12, 0, tzinfo=SHANGHAI)
MARCH_31_LATE = datetime(2025, 3, 31, 23, 50, tzinfo=SHANGHAI)
APRIL_1 = datetime(2025, 4, 1, 0, 10, tzinfo=SHANGHAI)


def _mass(tag_id, content="promo", clientmsgid=""):
    body = {"filter": {"is_to_all": False, "tag_id": tag_id}, "msgtype": "text", "text": {"content": content}}
    return {**body, "clientmsgid": clientmsgid} if clientmsgid else body


@pytest.fixture
def tagged(wechat, make_user):
    """A tag with two followers, and one follower outside it."""
    with frozen_at(MARCH_20):
        tag_id = wechat.post("/cgi-bin/tags/create", {"tag": {"name": "vip"}})["tag"]["id"]
        members = [make_user(nickname="a"), make_user(nickname="b")]
        make_user(nickname="outsider")
        openids = [u.openid for u in members]
        assert (
            wechat.post("/cgi-bin/tags/members/batchtagging", {"openid_list": openids, "tagid": tag_id})["errcode"] == 0
        )
    return tag_id, members


def _finished(msg_id):
    delivery = SimDelivery.objects.get(event="MASSSENDJOBFINISH", xml__contains=f"<MsgID>{msg_id}</MsgID>")
    return delivery.xml


def test_mass_send_by_tag_reaches_tagged_followers_and_reports(wechat, tagged):
    tag_id, members = tagged
    with frozen_at(MARCH_20):
        answer = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id))
    assert answer["errcode"] == 0 and answer["errmsg"] == "send job submission success" and answer["msg_id"] > 0
    received = SimOutboundMessage.objects.filter(kind=OutboundKind.MASS)
    assert sorted(m.user_id for m in received) == sorted(u.id for u in members)
    xml = _finished(answer["msg_id"])
    assert "<TotalCount>2</TotalCount><FilterCount>2</FilterCount><SentCount>2</SentCount>" in xml


def test_mass_send_caps_four_per_user_per_calendar_month(wechat, tagged):
    tag_id, members = tagged
    with frozen_at(MARCH_20):
        for n in range(4):
            assert wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, f"m{n}"))["errcode"] == 0
    with frozen_at(MARCH_31_LATE):
        wechat.renew()
        fifth = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, "m5"))
    # the job is accepted but everybody is filtered out
    assert fifth["errcode"] == 0
    assert "<TotalCount>2</TotalCount><FilterCount>0</FilterCount><SentCount>0</SentCount>" in _finished(
        fifth["msg_id"]
    )
    # a new calendar month (in China's time zone) starts a new count
    with frozen_at(APRIL_1):
        wechat.renew()
        april = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, "april"))
    assert "<FilterCount>2</FilterCount>" in _finished(april["msg_id"])
    for user in members:
        assert SimOutboundMessage.objects.filter(user=user, kind=OutboundKind.MASS).count() == 5


def test_mass_send_refuses_a_reused_clientmsgid_with_the_first_msg_id(wechat, tagged):
    tag_id, _members = tagged
    with frozen_at(MARCH_20):
        first = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, clientmsgid="promo-1"))
        again = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, clientmsgid="promo-1"))
        too_long = wechat.post("/cgi-bin/message/mass/sendall", _mass(tag_id, clientmsgid="x" * 65))
    assert again["errcode"] == 45065 and again["msg_id"] == first["msg_id"]
    assert too_long["errcode"] == 45067
    assert SimOutboundMessage.objects.filter(kind=OutboundKind.MASS).count() == 2


def test_mass_send_to_all_and_bad_filters(wechat, tagged):
    with frozen_at(MARCH_20):
        to_all = wechat.post("/cgi-bin/message/mass/sendall", {**_mass(None), "filter": {"is_to_all": True}})
        unknown_tag = wechat.post("/cgi-bin/message/mass/sendall", _mass(999))
        empty = wechat.post("/cgi-bin/message/mass/sendall", _mass(tagged[0], content=""))
        mpnews = wechat.post(
            "/cgi-bin/message/mass/sendall",
            {"filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": {"media_id": "M"}},
        )
    assert "<TotalCount>3</TotalCount>" in _finished(to_all["msg_id"])
    assert unknown_tag["errcode"] == 40050
    assert empty["errcode"] == 44004
    assert mpnews["msg_data_id"] > 0
