"""The phone UI: pages, actions and what they push."""

import re

import pytest

from weloop.simulator.models import SimDelivery, SimMedia, SimUser

from .conftest import set_phone

PNG_1X1 = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
HX = {"HTTP_HX_REQUEST": "true"}


def test_index_lists_accounts_and_key_test_ids(client, sim_account, other_sim_account):
    page = client.get("/simulator/").content.decode()
    for testid in ("sim-account-picker", "sim-user-picker", "sim-new-user", "sim-new-user-nickname", "sim-push-log"):
        assert f'data-testid="{testid}"' in page
    assert sim_account.appid in page and other_sim_account.appid in page
    assert "weloop/vendor/htmx.min.js" in page


def test_creating_a_user_gives_a_wechat_like_openid_and_selects_it(client, sim_account):
    set_phone(client, sim_account, None)
    response = client.post("/simulator/phone/user/new", {"nickname": "Carol"}, **HX)
    user = SimUser.objects.get(nickname="Carol")
    assert re.fullmatch(r"o[A-Za-z0-9_-]{27}", user.openid)
    assert user.appid == sim_account.appid and not user.subscribed
    assert client.session["simulator.openid"] == user.openid
    assert 'data-testid="sim-follow"' in response.content.decode()
    assert client.get(user.avatar_url.replace("http://testserver", "")).status_code == 200


def test_follow_send_text_and_unfollow_from_the_phone(client, sim_account, make_user):
    user = make_user(follow=False)
    set_phone(client, sim_account, user)
    refused = client.post("/simulator/phone/text", {"content": "too early"}, **HX).content.decode()
    assert 'data-testid="sim-error"' in refused
    client.post("/simulator/phone/follow", **HX)
    page = client.post("/simulator/phone/text", {"content": "hello shop"}, **HX).content.decode()
    assert 'data-testid="sim-user-message"' in page and "hello shop" in page
    assert 'data-testid="sim-unfollow"' in page
    client.post("/simulator/phone/unfollow", **HX)
    events = list(SimDelivery.objects.filter(user=user).values_list("event", "msg_type"))
    assert events == [("subscribe", "event"), ("", "text"), ("unsubscribe", "event")]


def test_actions_work_without_javascript_too(client, sim_account, make_user):
    user = make_user()
    set_phone(client, sim_account, user)
    response = client.post("/simulator/phone/text", {"content": ""})
    assert response.status_code == 302
    assert 'data-testid="sim-error"' in client.get("/simulator/").content.decode()


def test_switching_account_and_user(client, sim_account, other_sim_account, make_user):
    mine, theirs = make_user(), make_user(other_sim_account)
    set_phone(client, sim_account, mine)
    client.post("/simulator/phone/account", {"appid": other_sim_account.appid}, **HX)
    assert client.session["simulator.openid"] == theirs.openid
    refused = client.post("/simulator/phone/user", {"openid": mine.openid}, **HX).content.decode()
    assert 'data-testid="sim-error"' in refused  # that user belongs to the other account


def test_location_defaults_near_futian_and_is_pushed(client, sim_account, follower):
    set_phone(client, sim_account, follower)
    page = client.get("/simulator/").content.decode()
    assert 'value="22.543096"' in page and 'value="114.057865"' in page
    client.post(
        "/simulator/phone/location", {"latitude": "22.543096", "longitude": "114.057865", "label": "福田"}, **HX
    )
    delivery = SimDelivery.objects.get(user=follower, msg_type="location")
    assert "<Location_X>22.543096</Location_X><Location_Y>114.057865</Location_Y>" in delivery.xml
    bad = client.post("/simulator/phone/location", {"latitude": "north", "longitude": "1"}, **HX).content.decode()
    assert 'data-testid="sim-error"' in bad


def test_image_upload_is_served_at_its_picurl(client, sim_account, follower):
    set_phone(client, sim_account, follower)
    upload = {"image": ("pic.png", PNG_1X1, "image/png")}
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post("/simulator/phone/image", {"image": SimpleUploadedFile(*upload["image"])}, **HX)
    delivery = SimDelivery.objects.get(user=follower, msg_type="image")
    media = SimMedia.objects.get()
    assert f"<PicUrl><![CDATA[http://testserver/simulator/media/{media.media_id}]]></PicUrl>" in delivery.xml
    served = client.get(f"/simulator/media/{media.media_id}")
    assert served.content == PNG_1X1 and served["Content-Type"] == "image/png"
    html = SimpleUploadedFile("x.png", b"<html><script>", "image/png")
    refused = client.post("/simulator/phone/image", {"image": html}, **HX).content.decode()
    assert 'data-testid="sim-error"' in refused


def test_menu_buttons_send_click_and_view_events(client, wechat, sim_account, follower):
    menu = {
        "button": [
            {"type": "click", "name": "Hi", "key": "HELLO"},
            {"name": "More", "sub_button": [{"type": "view", "name": "Shop", "url": "http://h5/m/x/"}]},
        ]
    }
    wechat.post("/cgi-bin/menu/create", menu)
    set_phone(client, sim_account, follower)
    page = client.get("/simulator/").content.decode()
    assert page.count('data-testid="sim-menu-button"') == 2
    client.post("/simulator/phone/menu", {"path": "0"}, **HX)
    click = SimDelivery.objects.get(event="CLICK")
    assert "<EventKey><![CDATA[HELLO]]></EventKey>" in click.xml
    opened = client.post("/simulator/phone/menu", {"path": "1.0"}, **HX)
    assert opened["HX-Redirect"] == "http://h5/m/x/"
    assert "<EventKey><![CDATA[http://h5/m/x/]]></EventKey>" in SimDelivery.objects.get(event="VIEW").xml
    # the click opened a second 1-minute window of 3 (the VIEW did not): 3 + 3 customer-service messages
    text = {"touser": follower.openid, "msgtype": "text", "text": {"content": "x"}}
    results = [wechat.post("/cgi-bin/message/custom/send", text)["errcode"] for _ in range(7)]
    assert results == [0] * 6 + [45047]
    gone = client.post("/simulator/phone/menu", {"path": "7"}, **HX).content.decode()
    assert 'data-testid="sim-error"' in gone


def test_chat_shows_everything_the_account_sent(client, wechat, sim_account, follower):
    wechat.post(
        "/cgi-bin/message/custom/send",
        {
            "touser": follower.openid,
            "msgtype": "text",
            "text": {"content": 'Go <a href="http://h5/m/x/">shop</a> <b>now</b>'},
        },
    )
    wechat.post(
        "/cgi-bin/message/template/send",
        {"touser": follower.openid, "template_id": "TID", "data": {"thing1": {"value": "Order ready"}}},
    )
    set_phone(client, sim_account, follower)
    chat = client.get("/simulator/phone/chat").content.decode()
    kinds = re.findall(r'data-testid="sim-message" data-kind="(\w+)"', chat)
    assert kinds == ["customer_service", "template"]
    assert '<a href="http://h5/m/x/">shop</a>' in chat and "&lt;b&gt;now&lt;/b&gt;" in chat
    assert "Order ready" in chat


def test_chat_never_links_to_script(client, wechat, sim_account, follower):
    wechat.post(
        "/cgi-bin/message/template/send",
        {"touser": follower.openid, "template_id": "T", "url": "javascript:alert(1)", "data": {}},
    )
    set_phone(client, sim_account, follower)
    chat = client.get("/simulator/phone/chat").content.decode()
    assert 'data-kind="template"' in chat and "javascript:" not in chat


def test_open_h5_links_to_the_merchant_pages(client, sim_account, follower, settings):
    settings.WELOOP_SIMULATOR_CALLBACK_BASE = "http://platform.test"
    set_phone(client, sim_account, follower)
    page = client.get("/simulator/").content.decode()
    assert f'href="http://platform.test/m/{sim_account.merchant_slug}/" data-testid="sim-open-h5"' in page


@pytest.mark.parametrize("url", ["/simulator/", "/simulator/api/cgi-bin/token", "/simulator/mp/cgi-bin/showqrcode"])
def test_the_simulator_is_off_in_live_mode(client, settings, url):
    settings.WELOOP_SIMULATOR_ENABLED = False
    assert client.get(url).status_code == 404
