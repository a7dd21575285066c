"""The callback endpoint, driven by requests that wechatpy signs and encrypts."""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from weloop.core.events import deliver_due
from weloop.members.enums import QrCodeKind
from weloop.members.models import Member, MemberTouch
from weloop.members.services import qr_code_create
from weloop.members.tests.factories import FakeQrApi
from weloop.messaging.models import MessageLog
from weloop.messaging.services import ReplyInput, RuleInput, greeting_set, rule_create
from weloop.messaging.tests.builders import location_xml, subscribe_xml, text_xml
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import Merchant, WechatAccount
from weloop.tenants.services import merchant_set_status

from .conftest import wechat_signature

pytestmark = pytest.mark.django_db

MODES = ["plaintext", "compatible", "safe"]


@pytest.fixture
def hello_rule(merchant):
    return rule_create(merchant=merchant, data=RuleInput(keyword="hi", reply=ReplyInput(text="Hello!")))


# --- URL verification (GET) ---------------------------------------------------------------------


def _url_check(client, slug: str, token: str, echostr: str = "echo-5837261"):
    timestamp, nonce = "1700000000", "n0nce"
    query = {"signature": wechat_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    return client.get(f"/wechat/{slug}/callback", {**query, "echostr": echostr})


def test_url_check_returns_echostr_unchanged(client, new_merchant):
    response = _url_check(client, "bakery", new_merchant.wechat.token, echostr="1234567890123456789")
    assert response.status_code == 200 and response.content == b"1234567890123456789"


def test_url_check_with_a_bad_signature_is_403(client, new_merchant):
    response = _url_check(client, "bakery", "not-the-token")
    assert response.status_code == 403 and b"wechat.bad_signature" in response.content


def test_unknown_merchant_is_404(client, new_merchant):
    assert _url_check(client, "nobody", new_merchant.wechat.token).status_code == 404
    assert client.post("/wechat/nobody/callback", data="<xml/>", content_type="text/xml").status_code == 404


def test_other_methods_are_refused(pusher):
    assert pusher.client.put(pusher.url).status_code == 405


# --- messages (POST) ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_text_gets_its_reply_sealed_like_the_request(pusher, hello_rule, mode):
    # when WeChat pushes a text in this mode
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), mode)
    # then the reply decrypts and verifies with wechatpy (encrypted modes) and answers the user
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    body = response.content.decode()
    assert ("<Encrypt>" in body) == (mode != "plaintext")
    reply = pusher.open_reply(response)
    assert (reply["ToUserName"], reply["FromUserName"]) == ("o-1", pusher.account.original_id)
    assert (reply["MsgType"], reply["Content"]) == ("text", "Hello!")


@pytest.mark.parametrize("mode", MODES)
def test_no_reply_is_a_plain_success(pusher, mode):
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "nothing matches"), mode)
    assert response.status_code == 200 and response.content == b"success"
    assert MessageLog.objects.get().openid == "o-1"


def test_follow_via_a_store_qr_in_safe_mode_attributes_the_member(pusher, merchant, store):
    code = qr_code_create(merchant=merchant, kind=QrCodeKind.STORE, store=store, api=FakeQrApi())
    greeting_set(merchant=merchant, reply=ReplyInput(text="Welcome!"))
    response = pusher.post(subscribe_xml(pusher.account.original_id, "o-new", scene=code.scene_str), "safe")
    assert pusher.open_reply(response)["Content"] == "Welcome!"
    member = Member.objects.get(openid="o-new")
    assert (member.first_store, member.first_qr_code, member.is_following) == (store, code, True)


def test_location_gets_the_nearby_stores(pusher, make_store, merchant):
    make_store(merchant, name="Futian", latitude="22.543096", longitude="114.057865")
    deliver_due()  # the nearby index follows the store's event
    response = pusher.post(location_xml(pusher.account.original_id, "o-1", 22.543096, 114.057865), "safe")
    content = pusher.open_reply(response)["Content"]
    assert "Futian" in content and "uri.amap.com/navigation" in content


def test_a_duplicate_push_gets_the_same_reply_and_has_one_effect(pusher, hello_rule):
    xml = text_xml(pusher.account.original_id, "o-1", "hi", msg_id=123456789)
    first, second = pusher.post(xml, "safe"), pusher.post(xml, "safe")
    assert pusher.open_reply(first) == pusher.open_reply(second)
    assert MessageLog.objects.count() == 1 and MemberTouch.objects.count() == 1


def test_the_previous_aes_key_still_opens_and_seals_the_reply(pusher, hello_rule):
    # given the admin changed the EncodingAESKey, and WeChat still encrypts with the old one
    old_key = pusher.account.encoding_aes_key
    new_key = secrets.token_hex(22)[:43]
    WechatAccount.objects.filter(pk=pusher.account.pk).update(
        encoding_aes_key=new_key, previous_encoding_aes_key=old_key
    )
    # when a message sealed with the old key arrives
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe", aes_key=old_key)
    # then it is handled, and the reply is sealed with the old key too
    assert response.status_code == 200
    assert pusher.open_reply(response, aes_key=old_key)["Content"] == "Hello!"


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_signature_is_403_and_nothing_is_recorded(pusher, mode):
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), mode, token="forged-token")
    assert response.status_code == 403 and b"wechat.bad_signature" in response.content
    assert not MessageLog.objects.exists() and not Member.objects.exists()


def test_a_bad_msg_signature_is_403(pusher):
    query, body = pusher.request(text_xml(pusher.account.original_id, "o-1", "hi"), "safe")
    query["msg_signature"] = "0" * 40
    assert pusher.send(query, body).status_code == 403
    assert not MessageLog.objects.exists()


def test_a_payload_for_another_appid_is_400(pusher):
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe", appid="wx0000000000000000")
    assert response.status_code == 400 and b"wechat.wrong_appid" in response.content
    assert not MessageLog.objects.exists()


def test_an_undecryptable_payload_is_400(pusher):
    other_key = "A" * 43
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe", aes_key=other_key)
    assert response.status_code == 400 and b"wechat.undecryptable" in response.content
    assert not MessageLog.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "this is not xml",
        "<xml><ToUserName>gh</ToUserName>",
        '<!DOCTYPE x [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>',
        "<xml><MsgType>text</MsgType></xml>",  # no header
    ],
)
def test_malformed_xml_is_400(pusher, body):
    query, _ = pusher.request(text_xml(pusher.account.original_id, "o-1", "x"), "plaintext")
    response = pusher.send(query, body)
    assert response.status_code == 400 and b"wechat.malformed_xml" in response.content
    assert not MessageLog.objects.exists()


def test_an_unusable_message_is_400_not_500(pusher):
    response = pusher.post(text_xml(pusher.account.original_id, "o" * 65, "hi"))
    assert response.status_code == 400 and b"members.invalid_profile" in response.content
    assert not Member.objects.exists()


def test_a_suspended_merchant_gets_nothing_handled(pusher, merchant):
    merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor="test")
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"))
    assert response.status_code == 403 and not MessageLog.objects.exists()


def test_a_handling_failure_is_a_500_so_wechat_retries(pusher, monkeypatch):
    from weloop.messaging import inbound

    monkeypatch.setattr(inbound, "rule_matching", lambda **kwargs: 1 / 0)
    xml = text_xml(pusher.account.original_id, "o-1", "hi", msg_id=55)
    assert pusher.post(xml).status_code == 500
    monkeypatch.undo()
    assert pusher.post(xml).status_code == 200
    assert MemberTouch.objects.count() == 1


def test_a_merchant_only_sees_its_own_messages(client, new_merchant, other_new_merchant):
    # a push for the rival's account, sent to our URL, fails our signature check
    from .conftest import Pusher

    rival = Pusher(client=client, slug="bakery", account=other_new_merchant.wechat)
    assert rival.post(text_xml(other_new_merchant.wechat.original_id, "o-1", "hi")).status_code == 403
    assert not MessageLog.objects.exists()
    assert Merchant.objects.count() == 2


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_retries_of_one_msg_id_have_one_effect(pusher, hello_rule):
    # given one signed, encrypted push, delivered by 8 threads at once (WeChat's retries racing)
    query, body = pusher.request(text_xml(pusher.account.original_id, "o-race", "hi", msg_id=987654321), "safe")
    url = f"{pusher.url}?{urlencode(query)}"
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait()
            statuses.append(Client().post(url, data=body, content_type="text/xml").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every delivery got an answer, and the message had exactly one effect
    assert statuses == [200] * 8
    assert MessageLog.objects.count() == 1
    assert MemberTouch.objects.filter(member__openid="o-race").count() == 1
    assert Member.objects.filter(openid="o-race").count() == 1


def test_a_text_message_costs_a_handful_of_queries(pusher, hello_rule, django_assert_max_num_queries):
    # the hot path: account, claim, member, touch, rules, log update, event (+ savepoints); no HTTP
    pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe")  # the member exists from now on
    with django_assert_max_num_queries(12):
        response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe")
    assert pusher.open_reply(response)["Content"] == "Hello!"


# --- the lean path ------------------------------------------------------------------------------


def test_the_callback_skips_sessions_and_keeps_nosniff(pusher, hello_rule):
    response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"))
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert "Cookie" not in response.get("Vary", "") and not response.cookies


def test_the_callback_still_checks_the_host(pusher):
    query, body = pusher.request(text_xml(pusher.account.original_id, "o-1", "hi"))
    response = pusher.client.post(
        f"{pusher.url}?{urlencode(query)}", data=body, content_type="text/xml", HTTP_HOST="evil.example"
    )
    assert response.status_code == 400 and not MessageLog.objects.exists()


def test_with_the_queue_deferred_a_text_message_costs_one_query(pusher, hello_rule, monkeypatch):
    from django.test.utils import CaptureQueriesContext
    from huey.contrib.djhuey import HUEY

    pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"))  # loads this process's config copy
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr("weloop.messaging.inbound_tasks.inbound_drain", lambda *args: None)
    with CaptureQueriesContext(connection) as queries:
        response = pusher.post(text_xml(pusher.account.original_id, "o-1", "hi"), "safe")
    assert pusher.open_reply(response)["Content"] == "Hello!"
    assert len(queries) == 1 and queries[0]["sql"].startswith("INSERT")
