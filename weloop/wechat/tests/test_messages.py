"""Every message and event type of WECHAT.md §1.2-1.3, and the passive replies of §1.4."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import wechatpy
import xmltodict

from weloop.core import clock
from weloop.wechat.errors import MalformedXml
from weloop.wechat.messages import (
    SUCCESS,
    SubscribeItem,
    image_reply,
    news_reply,
    parse_message,
    text_reply,
    transfer_customer_service_reply,
)

HEADER = (
    "<ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime>"
)


def message_xml(msg_type: str, body: str, msg_id: str | None = "6054768590064713728") -> str:
    msg_id_element = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return f"<xml>{HEADER}<MsgType><![CDATA[{msg_type}]]></MsgType>{body}{msg_id_element}</xml>"


def event_xml(event: str, body: str = "") -> str:
    return f"<xml>{HEADER}<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{body}</xml>"


# --- messages ------------------------------------------------------------------------------------


def test_text_message():
    msg = parse_message(message_xml("text", "<Content><![CDATA[ 你好 ]]></Content>"))
    assert (msg.msg_type, msg.event, msg.openid, msg.account) == ("text", "", "oUSER", "gh_abc")
    assert (msg.create_time, msg.msg_id, msg.content) == (1700000000, "6054768590064713728", " 你好 ")
    assert msg.dedup_key == "msg:6054768590064713728"
    assert not msg.is_event


def test_image_message():
    msg = parse_message(message_xml("image", "<PicUrl><![CDATA[http://p/1.jpg]]></PicUrl><MediaId>m1</MediaId>"))
    assert (msg.msg_type, msg.pic_url, msg.media_id) == ("image", "http://p/1.jpg", "m1")


def test_voice_message_with_recognition():
    body = "<MediaId>v1</MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[腾讯]]></Recognition>"
    msg = parse_message(message_xml("voice", body))
    assert (msg.media_id, msg.format, msg.recognition) == ("v1", "amr", "腾讯")


@pytest.mark.parametrize("msg_type", ["video", "shortvideo"])
def test_video_messages(msg_type):
    msg = parse_message(message_xml(msg_type, "<MediaId>v1</MediaId><ThumbMediaId>t1</ThumbMediaId>"))
    assert (msg.msg_type, msg.media_id, msg.thumb_media_id) == (msg_type, "v1", "t1")


def test_location_message_x_is_latitude_y_is_longitude():
    body = (
        "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
        "<Label><![CDATA[广州市天河区]]></Label>"
    )
    msg = parse_message(message_xml("location", body))
    assert (msg.latitude, msg.longitude, msg.scale, msg.label) == (23.134521, 113.358803, 20, "广州市天河区")


def test_link_message():
    body = "<Title><![CDATA[T]]></Title><Description><![CDATA[D]]></Description><Url><![CDATA[https://u]]></Url>"
    msg = parse_message(message_xml("link", body))
    assert (msg.title, msg.description, msg.url) == ("T", "D", "https://u")


def test_miniprogrampage_message():
    body = "<Title><![CDATA[Shop]]></Title><AppId>wxa</AppId><PagePath>pages/i</PagePath><ThumbMediaId>t</ThumbMediaId>"
    msg = parse_message(message_xml("miniprogrampage", body))
    assert (msg.msg_type, msg.title, msg.thumb_media_id, msg.raw["PagePath"]) == (
        "miniprogrampage",
        "Shop",
        "t",
        "pages/i",
    )


def test_unknown_type_parses_generically():
    msg = parse_message(message_xml("hologram", "<Beam><Colour>blue</Colour></Beam>", msg_id=None))
    assert (msg.msg_type, msg.openid, msg.content) == ("hologram", "oUSER", "")
    assert msg.raw["Beam"] == {"Colour": "blue"}
    assert msg.dedup_key.startswith("evt:oUSER:1700000000:")


# --- events --------------------------------------------------------------------------------------


def test_plain_subscribe():
    msg = parse_message(event_xml("subscribe", "<EventKey><![CDATA[]]></EventKey>"))
    assert (msg.msg_type, msg.event, msg.event_key, msg.scene, msg.msg_id) == ("event", "subscribe", "", "", "")
    assert msg.is_event


def test_subscribe_by_qr_strips_the_prefix():
    body = "<EventKey><![CDATA[qrscene_store_42]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"
    msg = parse_message(event_xml("subscribe", body))
    assert (msg.event_key, msg.scene, msg.ticket) == ("qrscene_store_42", "store_42", "TICKET")


def test_scan_keeps_the_scene_as_is():
    msg = parse_message(event_xml("SCAN", "<EventKey><![CDATA[123]]></EventKey><Ticket><![CDATA[T]]></Ticket>"))
    assert (msg.event, msg.scene, msg.ticket) == ("scan", "123", "T")


def test_unsubscribe():
    assert parse_message(event_xml("unsubscribe")).event == "unsubscribe"


def test_location_event():
    body = "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>"
    msg = parse_message(event_xml("LOCATION", body))
    assert (msg.event, msg.latitude, msg.longitude, msg.precision) == ("location", 23.137466, 113.352425, 119.38504)


def test_click_and_view_events():
    click = parse_message(event_xml("CLICK", "<EventKey><![CDATA[MENU_NEARBY]]></EventKey>"))
    view = parse_message(event_xml("VIEW", "<EventKey><![CDATA[https://h/m/shop/]]></EventKey><MenuId>7</MenuId>"))
    assert (click.event, click.event_key) == ("click", "MENU_NEARBY")
    assert (view.event, view.event_key, view.scene) == ("view", "https://h/m/shop/", "")


def test_template_send_job_finish():
    body = "<MsgID>200163836</MsgID><Status><![CDATA[failed: system failed]]></Status>"
    msg = parse_message(event_xml("TEMPLATESENDJOBFINISH", body))
    assert (msg.event, msg.msg_id, msg.msg_status) == ("templatesendjobfinish", "200163836", "failed: system failed")


def test_mass_send_job_finish():
    body = (
        "<MsgID>1988</MsgID><Status><![CDATA[send success]]></Status><TotalCount>100</TotalCount>"
        "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList/><CheckState>1</CheckState></CopyrightCheckResult>"
    )
    msg = parse_message(event_xml("MASSSENDJOBFINISH", body))
    assert (msg.msg_id, msg.msg_status) == ("1988", "send success")
    assert (msg.total_count, msg.filter_count, msg.sent_count, msg.error_count) == (100, 80, 75, 5)


def test_subscribe_msg_popup_event_lists_every_item():
    body = (
        "<SubscribeMsgPopupEvent>"
        "<List><TemplateId><![CDATA[T1]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>"
        "<PopupScene>2</PopupScene></List>"
        "<List><TemplateId><![CDATA[T2]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>"
        "<PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent>"
    )
    msg = parse_message(event_xml("subscribe_msg_popup_event", body))
    assert msg.subscribe_items == (
        SubscribeItem(template_id="T1", status="accept", popup_scene="2"),
        SubscribeItem(template_id="T2", status="reject", popup_scene="2"),
    )


def test_subscribe_msg_change_event():
    body = (
        "<SubscribeMsgChangeEvent><List><TemplateId>T1</TemplateId>"
        "<SubscribeStatusString>reject</SubscribeStatusString></List></SubscribeMsgChangeEvent>"
    )
    msg = parse_message(event_xml("subscribe_msg_change_event", body))
    assert msg.subscribe_items == (SubscribeItem(template_id="T1", status="reject"),)


def test_subscribe_msg_sent_event():
    body = (
        "<SubscribeMsgSentEvent><List><TemplateId>T1</TemplateId><MsgID>1700827132819554304</MsgID>"
        "<ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>"
    )
    msg = parse_message(event_xml("subscribe_msg_sent_event", body))
    assert msg.subscribe_items == (
        SubscribeItem(template_id="T1", msg_id="1700827132819554304", error_code=0, error_status="success"),
    )


@pytest.mark.parametrize("event", ["scancode_push", "scancode_waitmsg"])
def test_scancode_menu_events(event):
    body = (
        "<EventKey>SCAN</EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
        "<ScanResult><![CDATA[https://weixin.qq.com/q/abc]]></ScanResult></ScanCodeInfo>"
    )
    msg = parse_message(event_xml(event, body))
    assert (msg.event, msg.event_key, msg.scan_result) == (event, "SCAN", "https://weixin.qq.com/q/abc")


@pytest.mark.parametrize("event", ["pic_sysphoto", "pic_photo_or_album", "pic_weixin"])
def test_picture_menu_events(event):
    body = (
        "<EventKey>PHOTO</EventKey><SendPicsInfo><Count>2</Count><PicList>"
        "<item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item>"
        "</PicList></SendPicsInfo>"
    )
    assert parse_message(event_xml(event, body)).pic_md5_sums == ("aaa", "bbb")


def test_location_select_menu_event():
    body = (
        "<EventKey>WHERE</EventKey><SendLocationInfo><Location_X>23</Location_X><Location_Y>113</Location_Y>"
        "<Scale>15</Scale><Label><![CDATA[广州]]></Label><Poiname/></SendLocationInfo>"
    )
    msg = parse_message(event_xml("location_select", body))
    assert (msg.latitude, msg.longitude, msg.scale, msg.label) == (23.0, 113.0, 15, "广州")


def test_view_miniprogram_and_unknown_events_parse():
    assert parse_message(event_xml("view_miniprogram", "<EventKey>pages/index</EventKey>")).event_key == "pages/index"
    assert parse_message(event_xml("brand_new_event", "<Whatever>1</Whatever>")).event == "brand_new_event"


# --- deduplication -------------------------------------------------------------------------------


def test_event_dedup_key_is_stable_across_retries_and_distinguishes_keys():
    click_a = event_xml("CLICK", "<EventKey>A</EventKey>")
    assert parse_message(click_a).dedup_key == parse_message(click_a).dedup_key
    assert parse_message(click_a).dedup_key != parse_message(event_xml("CLICK", "<EventKey>B</EventKey>")).dedup_key
    assert parse_message(click_a).dedup_key != parse_message(click_a.replace("1700000000", "1700000001")).dedup_key


def test_job_reports_in_the_same_second_do_not_collide():
    first = parse_message(event_xml("TEMPLATESENDJOBFINISH", "<MsgID>1</MsgID><Status>success</Status>"))
    second = parse_message(event_xml("TEMPLATESENDJOBFINISH", "<MsgID>2</MsgID><Status>success</Status>"))
    assert first.dedup_key != second.dedup_key


def test_dedup_key_is_short_even_for_a_long_view_url():
    msg = parse_message(event_xml("VIEW", f"<EventKey><![CDATA[https://h/{'x' * 1000}]]></EventKey>"))
    assert len(msg.dedup_key) <= 64


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xml",
    [
        "<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        f"<xml>{HEADER.replace('1700000000', 'soon')}<MsgType>text</MsgType></xml>",
        f"<xml>{HEADER}</xml>",
        "<xml>",
        '<!DOCTYPE xml [<!ENTITY a "b">]><xml/>',
    ],
)
def test_malformed_messages_raise(xml):
    with pytest.raises(MalformedXml):
        parse_message(xml)


def test_bad_optional_numbers_become_none():
    msg = parse_message(message_xml("location", "<Location_X>north</Location_X><Scale></Scale>"))
    assert (msg.latitude, msg.scale) == (None, None)


# --- replies -------------------------------------------------------------------------------------

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def text_msg():
    return parse_message(message_xml("text", "<Content>hi</Content>"))


def reply_fields(xml: str) -> dict:
    return xmltodict.parse(xml)["xml"]


def test_text_reply_swaps_addresses_and_uses_the_clock(text_msg):
    with clock.frozen_at(NOW):
        reply = text_reply(text_msg, "你好]]>world")
    fields = reply_fields(reply)
    assert (fields["ToUserName"], fields["FromUserName"]) == ("oUSER", "gh_abc")
    assert (fields["CreateTime"], fields["MsgType"], fields["Content"]) == (
        str(int(NOW.timestamp())),
        "text",
        "你好]]>world",
    )
    parsed = wechatpy.parse_message(reply)  # wechatpy reads our reply as a text message too
    assert (parsed.type, parsed.content, parsed.source, parsed.target) == ("text", "你好]]>world", "gh_abc", "oUSER")


def test_news_reply_has_exactly_one_article(text_msg):
    reply = news_reply(text_msg, "Nearby", "3 stores", "https://h/m/shop/", "https://h/p.jpg")
    fields = reply_fields(reply)
    assert fields["MsgType"] == "news"
    assert fields["ArticleCount"] == "1"
    assert reply.count("<item>") == 1
    assert fields["Articles"]["item"] == {
        "Title": "Nearby",
        "Description": "3 stores",
        "PicUrl": "https://h/p.jpg",
        "Url": "https://h/m/shop/",
    }


def test_image_and_transfer_replies(text_msg):
    assert reply_fields(image_reply(text_msg, "MEDIA"))["Image"] == {"MediaId": "MEDIA"}
    transfer = reply_fields(transfer_customer_service_reply(text_msg))
    assert transfer["MsgType"] == "transfer_customer_service"
    to_agent = reply_fields(transfer_customer_service_reply(text_msg, "kf01@gh"))
    assert to_agent["TransInfo"] == {"KfAccount": "kf01@gh"}


def test_reply_drops_characters_xml_forbids(text_msg):
    assert reply_fields(text_reply(text_msg, "a\x00b\x07c"))["Content"] == "abc"


def test_success_constant():
    assert SUCCESS == "success"
