"""Pushes to the merchant's callback, checked by a real HTTP server using wechatpy's crypto."""

import time

import pytest
import xmltodict

from weloop.simulator import phone, pushes
from weloop.simulator.enums import DeliveryStatus, OutboundKind, PushResult
from weloop.simulator.models import SimDelivery, SimOutboundMessage

from .conftest import set_mode, set_phone

NOTICE = "该公众号暂时无法提供服务，请稍后再试"


def _send_text(account, user, content="hello"):
    delivery = phone.send_text(account=account, user=user, content=content)
    return pushes.deliver_push_now(delivery.pk)


def test_plaintext_push_is_signed_and_a_text_reply_reaches_the_inbox(callback_server, sim_account, follower):
    account = set_mode(sim_account, "plaintext")
    callback_server.respond = lambda r, i: (200, callback_server.text_reply(r, "你好 Alice"), 0)
    # the follow event first, then a message
    pushes.deliver_push_now(SimDelivery.objects.get(user=follower, event="subscribe").pk)
    delivery = _send_text(account, follower)
    assert not callback_server.errors
    received = callback_server.received[-1]
    assert not received.encrypted and "encrypt_type" not in received.query
    assert received.query["openid"] == follower.openid
    assert received.message["MsgType"] == "text" and received.message["Content"] == "hello"
    assert received.message["ToUserName"] == account.original_id
    assert int(received.message["MsgId"]) == delivery.msg_id
    assert delivery.status == DeliveryStatus.REPLIED
    reply = SimOutboundMessage.objects.get(kind=OutboundKind.PASSIVE_REPLY, delivery=delivery)
    assert reply.body == {"msgtype": "text", "text": {"content": "你好 Alice"}}


def test_safe_mode_push_is_encrypted_and_the_encrypted_reply_is_verified(callback_server, sim_account, follower):
    account = set_mode(sim_account, "safe")
    callback_server.respond = lambda r, i: (
        200,
        callback_server.encrypted_reply(callback_server.text_reply(r, "secret hi")),
        0,
    )
    delivery = _send_text(account, follower)
    received = callback_server.received[-1]
    # only ToUserName and Encrypt travel in the clear; wechatpy verified msg_signature and decrypted it
    assert received.encrypted and received.query["encrypt_type"] == "aes"
    assert set(xmltodict.parse(received.body)["xml"]) == {"ToUserName", "Encrypt"}
    assert received.message["Content"] == "hello"
    assert delivery.status == DeliveryStatus.REPLIED
    assert SimOutboundMessage.objects.get(delivery=delivery).body["text"]["content"] == "secret hi"


def test_compatible_mode_sends_plaintext_fields_and_encrypt(callback_server, sim_account, follower):
    account = set_mode(sim_account, "compatible")
    delivery = _send_text(account, follower, "both")
    received = callback_server.received[-1]
    envelope = xmltodict.parse(received.body)["xml"]
    assert envelope["Content"] == "both" and envelope["Encrypt"]
    assert received.message["Content"] == "both"  # the encrypted copy says the same
    assert delivery.status == DeliveryStatus.ACCEPTED  # "success"


def test_a_slow_reply_is_retried_with_the_same_msgid_and_createtime(callback_server, sim_account, follower):
    # the first answer takes longer than the (shortened) 5 s timeout, the second says success
    callback_server.respond = lambda r, i: (200, "success", 1.0 if i == 0 else 0)
    delivery = _send_text(sim_account, follower)
    assert delivery.status == DeliveryStatus.ACCEPTED
    attempts = list(delivery.pushes.all())
    assert [p.result for p in attempts] == [PushResult.TIMEOUT, PushResult.ACCEPTED]
    first, second = callback_server.received[0].message, callback_server.received[1].message
    assert first["MsgId"] == second["MsgId"] == str(delivery.msg_id)
    assert first["CreateTime"] == second["CreateTime"]


def test_an_invalid_reply_is_retried_three_times_then_the_phone_shows_the_notice(
    client, callback_server, sim_account, follower
):
    callback_server.respond = lambda r, i: (200, '{"reply": "json is not xml"}', 0)
    delivery = _send_text(sim_account, follower)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.pushes.count() == 4
    assert {p.result for p in delivery.pushes.all()} == {PushResult.INVALID_REPLY}
    assert len({r.message["MsgId"] for r in callback_server.received}) == 1
    set_phone(client, sim_account, follower)
    chat = client.get("/simulator/phone/chat").content.decode()
    assert NOTICE in chat and 'data-testid="sim-notice"' in chat


@pytest.mark.parametrize(
    ("make_reply", "reason"),
    [
        # safe mode must answer encrypted
        (lambda server, r: server.text_reply(r, "plain"), "needs an encrypted reply"),
        # at most one article when replying to a message
        (
            lambda server, r: server.encrypted_reply(
                f"<xml><ToUserName>{r.message['FromUserName']}</ToUserName><FromUserName>{r.message['ToUserName']}"
                "</FromUserName><CreateTime>1</CreateTime><MsgType>news</MsgType><ArticleCount>2</ArticleCount>"
                "<Articles><item><Title>a</Title></item><item><Title>b</Title></item></Articles></xml>"
            ),
            "1 article(s), not 2",
        ),
        # a forged MsgSignature
        (
            lambda server, r: server.encrypted_reply(server.text_reply(r, "x")).replace(
                "<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0"
            ),
            "MsgSignature does not match",
        ),
        # swapped addresses
        (
            lambda server, r: server.encrypted_reply(
                server.text_reply(r, "x").replace(r.message["FromUserName"], "oX")
            ),
            "ToUserName must be the user's openid",
        ),
    ],
)
def test_replies_wechat_would_refuse_fail(callback_server, sim_account, follower, make_reply, reason):
    callback_server.respond = lambda r, i: (200, make_reply(callback_server, r), 0)
    delivery = _send_text(sim_account, follower)
    assert delivery.status == DeliveryStatus.FAILED
    assert reason in delivery.failure_reason
    assert not SimOutboundMessage.objects.filter(delivery=delivery).exists()


def test_http_errors_and_unreachable_callbacks_fail(callback_server, sim_account, follower, settings):
    callback_server.respond = lambda r, i: (500, "oops", 0)
    assert _send_text(sim_account, follower).status == DeliveryStatus.FAILED
    settings.WELOOP_SIMULATOR_CALLBACK_BASE = "http://127.0.0.1:9"  # nothing listens there
    delivery = _send_text(sim_account, follower)
    assert delivery.status == DeliveryStatus.FAILED
    assert {p.result for p in delivery.pushes.all()} == {PushResult.CONNECTION_ERROR}


def test_template_send_pushes_templatesendjobfinish(callback_server, wechat, follower):
    answer = wechat.post("/cgi-bin/message/template/send", {"touser": follower.openid, "template_id": "T", "data": {}})
    delivery = SimDelivery.objects.get(event="TEMPLATESENDJOBFINISH")
    pushes.deliver_push_now(delivery.pk)
    event = callback_server.received[-1].message
    assert event["Event"] == "TEMPLATESENDJOBFINISH" and event["Status"] == "success"
    assert event["MsgID"] == str(answer["msgid"]) and event["FromUserName"] == follower.openid
    assert "MsgId" not in event


def test_a_reply_to_a_job_report_is_ignored(callback_server, wechat, follower):
    callback_server.respond = lambda r, i: (200, "not xml at all", 0)
    wechat.post("/cgi-bin/message/template/send", {"touser": follower.openid, "template_id": "T", "data": {}})
    delivery = pushes.deliver_push_now(SimDelivery.objects.get(event="TEMPLATESENDJOBFINISH").pk)
    assert delivery.status == DeliveryStatus.ACCEPTED


def test_url_check_expects_the_echostr_back(callback_server, sim_account):
    delivery = pushes.deliver_push_now(pushes.url_check_create(account=sim_account).pk)
    assert delivery.status == DeliveryStatus.ACCEPTED and not callback_server.errors


def test_a_delivery_is_pushed_once_even_if_asked_twice(callback_server, sim_account, follower):
    delivery = _send_text(sim_account, follower)
    again = pushes.deliver_push_now(delivery.pk)
    assert again.status == DeliveryStatus.ACCEPTED
    assert len([r for r in callback_server.received if r.message.get("MsgType") == "text"]) == 1


@pytest.mark.django_db(transaction=True)
def test_phone_pushes_run_on_the_pool_after_the_request(client, callback_server, sim_account, make_user):
    # given the phone's user, with the reply arriving from the background pool
    callback_server.respond = lambda r, i: (
        200,
        callback_server.encrypted_reply(callback_server.text_reply(r, "pong")),
        0,
    )
    user = make_user()
    set_phone(client, sim_account, user)
    # when the phone sends a message, the request returns before the push is done
    response = client.post("/simulator/phone/text", {"content": "ping"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    # then the reply shows up within a moment
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if SimOutboundMessage.objects.filter(user=user, kind=OutboundKind.PASSIVE_REPLY).exists():
            break
        time.sleep(0.05)
    assert "pong" in client.get("/simulator/phone/chat").content.decode()
