"""The callback protocol, checked against wechatpy's own signing and crypto (not against ourselves)."""

from __future__ import annotations

import base64
import os
import secrets
import string
from datetime import UTC, datetime

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner, check_signature

from weloop.core import clock
from weloop.wechat.crypto import (
    CallbackCredentials,
    Inbound,
    check_url_signature,
    encrypt,
    open_inbound,
    open_reply,
    seal_inbound,
    seal_reply,
    sign,
)
from weloop.wechat.errors import BadSignature, MalformedXml, UndecryptablePayload, WrongAppId

APPID = "wx0123456789abcdef"
TOKEN = "weloopToken42"
TIMESTAMP = "1700000000"
NONCE = "n0nce123"
TEXT_XML = (
    "<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[你好 hello]]></Content><MsgId>1234567890123456</MsgId></xml>"
)


def new_aes_key() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))


@pytest.fixture
def creds() -> CallbackCredentials:
    return CallbackCredentials(appid=APPID, token=TOKEN, encoding_aes_key=new_aes_key())


def wechatpy_signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def plain_query(token: str = TOKEN) -> dict[str, str]:
    return {
        "signature": wechatpy_signature(token, TIMESTAMP, NONCE),
        "timestamp": TIMESTAMP,
        "nonce": NONCE,
        "openid": "oUSER",
    }


def wechatpy_envelope(key: str, xml: str, appid: str = APPID) -> tuple[str, str]:
    """(Encrypt, MsgSignature) as wechatpy's WeChatCrypto builds them."""
    sealed = xmltodict.parse(WeChatCrypto(TOKEN, key, appid).encrypt_message(xml, NONCE, TIMESTAMP))["xml"]
    return sealed["Encrypt"], sealed["MsgSignature"]


def safe_request(key: str, xml: str = TEXT_XML, appid: str = APPID) -> tuple[dict[str, str], bytes]:
    encrypted, msg_signature = wechatpy_envelope(key, xml, appid)
    query = {**plain_query(), "encrypt_type": "aes", "msg_signature": msg_signature}
    body = f"<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return query, body.encode()


def wechatpy_open_reply(creds: CallbackCredentials, reply: str, key: str | None = None) -> str:
    sealed = xmltodict.parse(reply)["xml"]
    crypto = WeChatCrypto(TOKEN, key or creds.encoding_aes_key, APPID)
    return crypto.decrypt_message(reply, sealed["MsgSignature"], sealed["TimeStamp"], sealed["Nonce"])


# --- signatures ---------------------------------------------------------------------------------


def test_check_url_signature_accepts_wechatpys_signature_and_refuses_others(creds):
    signature = wechatpy_signature(TOKEN, TIMESTAMP, NONCE)
    check_signature(TOKEN, signature, TIMESTAMP, NONCE)  # wechatpy agrees it is valid
    assert check_url_signature(creds, signature, TIMESTAMP, NONCE)
    assert not check_url_signature(creds, signature, TIMESTAMP, NONCE + "x")
    assert not check_url_signature(creds, "0" * 40, TIMESTAMP, NONCE)
    assert not check_url_signature(creds, "", TIMESTAMP, NONCE)


def test_sign_matches_wechatpy_for_msg_signature():
    assert sign(TOKEN, TIMESTAMP, NONCE, "ENCRYPTED") == wechatpy_signature(TOKEN, TIMESTAMP, NONCE, "ENCRYPTED")
    assert sign(TOKEN, int(TIMESTAMP), NONCE) == wechatpy_signature(TOKEN, TIMESTAMP, NONCE)


def test_credentials_repr_hides_the_token_and_keys(creds):
    assert TOKEN not in repr(creds)
    assert creds.encoding_aes_key not in repr(creds)


# --- plaintext mode ------------------------------------------------------------------------------


def test_open_inbound_plaintext(creds):
    inbound = open_inbound(creds, plain_query(), TEXT_XML.encode())
    assert inbound == Inbound(xml=TEXT_XML, encrypted=False, mode="plaintext", key_used="")


@pytest.mark.parametrize("drop", ["signature", "timestamp", "nonce"])
def test_open_inbound_without_a_signature_part_is_refused(creds, drop):
    query = plain_query()
    del query[drop]
    with pytest.raises(BadSignature):
        open_inbound(creds, query, TEXT_XML.encode())


def test_open_inbound_signed_with_another_token_is_refused(creds):
    with pytest.raises(BadSignature) as caught:
        open_inbound(creds, plain_query(token="other"), TEXT_XML.encode())
    assert caught.value.status == 403
    assert caught.value.code == "wechat.bad_signature"


def test_plaintext_reply_stays_plain(creds):
    inbound = open_inbound(creds, plain_query(), TEXT_XML.encode())
    assert seal_reply(creds, inbound, "<xml><Content>x</Content></xml>", NONCE, TIMESTAMP) == (
        "<xml><Content>x</Content></xml>"
    )


# --- safe and compatible mode --------------------------------------------------------------------


def test_open_inbound_safe_mode_built_by_wechatpy(creds):
    query, body = safe_request(creds.encoding_aes_key)
    inbound = open_inbound(creds, query, body)
    assert inbound.xml == TEXT_XML
    assert (inbound.encrypted, inbound.mode, inbound.key_used) == (True, "safe", "current")


def test_open_inbound_compatible_mode_prefers_the_encrypted_copy(creds):
    encrypted, msg_signature = wechatpy_envelope(creds.encoding_aes_key, TEXT_XML)
    # The plaintext copy says something else: the decrypted (signed) one must win.
    body = TEXT_XML.replace("你好 hello", "forged").replace(
        "</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    query = {**plain_query(), "encrypt_type": "aes", "msg_signature": msg_signature}
    inbound = open_inbound(creds, query, body.encode())
    assert inbound.xml == TEXT_XML
    assert (inbound.encrypted, inbound.mode) == (True, "compatible")


def test_chinese_content_round_trips_with_wechatpy(creds):
    xml = "<xml><C>" + "字" * 37 + "</C></xml>"
    sealed = encrypt(creds.encoding_aes_key, APPID, xml)
    envelope = f"<xml><Encrypt><![CDATA[{sealed}]]></Encrypt></xml>"
    crypto = WeChatCrypto(TOKEN, creds.encoding_aes_key, APPID)
    assert crypto.decrypt_message(envelope, sign(TOKEN, TIMESTAMP, NONCE, sealed), TIMESTAMP, NONCE) == xml


def test_sealed_reply_decrypts_and_verifies_with_wechatpy(creds):
    inbound = open_inbound(creds, *safe_request(creds.encoding_aes_key))
    reply = "<xml><ToUserName><![CDATA[oUSER]]></ToUserName><Content><![CDATA[回复]]></Content></xml>"
    sealed = seal_reply(creds, inbound, reply, "replyNonce", 1700000001)
    assert "回复" not in sealed
    assert wechatpy_open_reply(creds, sealed) == reply
    assert open_reply(creds, sealed) == reply


def test_sealed_reply_defaults_to_a_fresh_nonce_and_the_clock(creds):
    inbound = open_inbound(creds, *safe_request(creds.encoding_aes_key))
    with clock.frozen_at(datetime(2025, 1, 1, tzinfo=UTC)):
        sealed = seal_reply(creds, inbound, "<xml><Content>ok</Content></xml>")
    fields = xmltodict.parse(sealed)["xml"]
    assert fields["TimeStamp"] == "1735689600" and fields["Nonce"]
    assert wechatpy_open_reply(creds, sealed) == "<xml><Content>ok</Content></xml>"


@pytest.mark.parametrize("reply", ["success", ""])
def test_no_reply_stays_plain_in_safe_mode(creds, reply):
    inbound = open_inbound(creds, *safe_request(creds.encoding_aes_key))
    assert seal_reply(creds, inbound, reply, NONCE, TIMESTAMP) == reply


def test_key_rotation_falls_back_to_the_previous_key_and_replies_with_it():
    old_key, new_key = new_aes_key(), new_aes_key()
    creds = CallbackCredentials(APPID, TOKEN, encoding_aes_key=new_key, previous_encoding_aes_key=old_key)
    # WeChat still encrypts with the old key for a while after the admin changed it.
    inbound = open_inbound(creds, *safe_request(old_key))
    assert (inbound.xml, inbound.key_used) == (TEXT_XML, "previous")
    sealed = seal_reply(creds, inbound, "<xml><Content>ok</Content></xml>", NONCE, TIMESTAMP)
    assert wechatpy_open_reply(creds, sealed, key=old_key) == "<xml><Content>ok</Content></xml>"
    # ... and the new key is used as soon as WeChat switches.
    assert open_inbound(creds, *safe_request(new_key)).key_used == "current"


def test_message_under_an_unknown_key_is_undecryptable(creds):
    with pytest.raises(UndecryptablePayload) as caught:
        open_inbound(creds, *safe_request(new_aes_key()))
    assert (caught.value.status, caught.value.code) == (400, "wechat.undecryptable")


def test_message_sealed_for_another_appid_is_refused(creds):
    with pytest.raises(WrongAppId) as caught:
        open_inbound(creds, *safe_request(creds.encoding_aes_key, appid="wxOTHER00000000000"))
    assert (caught.value.status, caught.value.code) == (400, "wechat.wrong_appid")


def test_tampered_msg_signature_is_refused(creds):
    query, body = safe_request(creds.encoding_aes_key)
    query["msg_signature"] = "f" * 40
    with pytest.raises(BadSignature):
        open_inbound(creds, query, body)


def test_missing_msg_signature_is_refused(creds):
    query, body = safe_request(creds.encoding_aes_key)
    del query["msg_signature"]
    with pytest.raises(BadSignature):
        open_inbound(creds, query, body)


@pytest.mark.parametrize(
    "forge",
    [
        lambda e: base64.b64encode(os.urandom(len(base64.b64decode(e)))).decode(),  # other bytes, same length
        lambda e: base64.b64encode(base64.b64decode(e)[:-5]).decode(),  # not whole blocks
        lambda e: "!!!not base64!!!",
        lambda e: base64.b64encode(base64.b64decode(e)[:16]).decode(),  # one block: no room for a length
    ],
)
def test_tampered_ciphertext_is_undecryptable_even_when_signed(creds, forge):
    encrypted, _ = wechatpy_envelope(creds.encoding_aes_key, TEXT_XML)
    forged = forge(encrypted)
    query = {**plain_query(), "encrypt_type": "aes", "msg_signature": sign(TOKEN, TIMESTAMP, NONCE, forged)}
    body = f"<xml><ToUserName>gh_abc</ToUserName><Encrypt><![CDATA[{forged}]]></Encrypt></xml>".encode()
    with pytest.raises(UndecryptablePayload):
        open_inbound(creds, query, body)


def test_safe_mode_announced_without_encrypt_is_refused(creds):
    query = {**plain_query(), "encrypt_type": "aes", "msg_signature": "x"}
    with pytest.raises(UndecryptablePayload):
        open_inbound(creds, query, TEXT_XML.encode())


def test_misconfigured_key_gives_undecryptable_not_a_crash():
    creds = CallbackCredentials(APPID, TOKEN, encoding_aes_key="too-short")
    query, body = safe_request(new_aes_key())
    with pytest.raises(UndecryptablePayload):
        open_inbound(creds, query, body)


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 23, 39, 40, 41, 100])
def test_cipher_round_trips_with_wechatpy_at_every_padding_length(creds, length):
    # 16 random + 4 length + 18-byte xml frame + content + 18-byte appid: 8 and 40 need a full 32-byte pad.
    xml = f"<xml><C>{'a' * length}</C></xml>"
    ours = encrypt(creds.encoding_aes_key, APPID, xml)
    envelope = f"<xml><Encrypt><![CDATA[{ours}]]></Encrypt></xml>"
    crypto = WeChatCrypto(TOKEN, creds.encoding_aes_key, APPID)
    assert crypto.decrypt_message(envelope, sign(TOKEN, TIMESTAMP, NONCE, ours), TIMESTAMP, NONCE) == xml
    query, body = safe_request(creds.encoding_aes_key, xml)
    assert open_inbound(creds, query, body).xml == xml


# --- malformed and hostile XML -------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    "<xml><Content>&lol2;</Content></xml>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName>",  # unclosed
        b"not xml at all",
        b"",
        b"<other><a>1</a></other>",  # wrong root
        "<xml><Content>caf\u00e9</Content></xml>".encode("latin-1"),  # not UTF-8
        BILLION_LAUGHS.encode(),
        XXE.encode(),
        b"<!doctype xml><xml></xml>",
    ],
)
def test_malformed_or_hostile_xml_is_refused(creds, body):
    with pytest.raises(MalformedXml) as caught:
        open_inbound(creds, plain_query(), body)
    assert (caught.value.status, caught.value.code) == (400, "wechat.malformed_xml")


def test_doctype_inside_the_encrypted_payload_is_refused(creds):
    with pytest.raises(MalformedXml):
        open_inbound(creds, *safe_request(creds.encoding_aes_key, XXE))


def test_signature_is_checked_before_the_body_is_parsed(creds):
    with pytest.raises(BadSignature):
        open_inbound(creds, plain_query(token="other"), BILLION_LAUGHS.encode())


# --- building pushes (the simulator's side) ------------------------------------------------------


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_seal_inbound_is_what_wechatpy_and_open_inbound_accept(creds, mode):
    query, body = seal_inbound(creds, TEXT_XML, mode, TIMESTAMP, NONCE)
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    assert query["openid"] == "oUSER"
    inbound = open_inbound(creds, query, body)
    assert (inbound.xml, inbound.mode) == (TEXT_XML, mode)
    if mode == "plaintext":
        assert "encrypt_type" not in query and body == TEXT_XML.encode()
        return
    assert query["encrypt_type"] == "aes"
    crypto = WeChatCrypto(TOKEN, creds.encoding_aes_key, APPID)
    assert crypto.decrypt_message(body.decode(), query["msg_signature"], TIMESTAMP, NONCE) == TEXT_XML
    fields = xmltodict.parse(body)["xml"]
    if mode == "safe":
        assert set(fields) == {"ToUserName", "Encrypt"}
    else:
        assert fields["Content"] == "你好 hello" and "Encrypt" in fields


def test_seal_inbound_signature_fails_wechatpy_with_another_token(creds):
    query, _body = seal_inbound(creds, TEXT_XML, "plaintext", TIMESTAMP, NONCE)
    with pytest.raises(InvalidSignatureException):
        check_signature("other", query["signature"], query["timestamp"], query["nonce"])


def test_open_reply_refuses_a_forged_msg_signature(creds):
    inbound = open_inbound(creds, *safe_request(creds.encoding_aes_key))
    sealed = seal_reply(creds, inbound, "<xml><Content>ok</Content></xml>", NONCE, TIMESTAMP)
    forged = sealed.replace(sign(TOKEN, TIMESTAMP, NONCE, xmltodict.parse(sealed)["xml"]["Encrypt"]), "0" * 40)
    with pytest.raises(BadSignature):
        open_reply(creds, forged)
