"""A stand-in for WeChat's push: callback requests signed and encrypted with wechatpy's own code."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from weloop.tenants.models import WechatAccount


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # merchant_create hashes an owner password; PBKDF2 costs ~0.4 s a merchant, MD5 nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def wechat_signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted strings concatenated (WECHAT.md §1.1, §2.3)."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass
class Pusher:
    """Posts to /wechat/<slug>/callback as WeChat would, in plaintext, compatible or safe mode."""

    client: object
    slug: str
    account: WechatAccount

    @property
    def url(self) -> str:
        return f"/wechat/{self.slug}/callback"

    def crypto(self, *, aes_key: str | None = None, appid: str | None = None) -> WeChatCrypto:
        return WeChatCrypto(self.account.token, aes_key or self.account.encoding_aes_key, appid or self.account.appid)

    def request(self, xml: str, mode: str = "plaintext", *, token: str | None = None, **crypto_args):
        """(query, body) of one push; ``token`` signs with another Token (a forgery)."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        openid = xmltodict.parse(xml)["xml"]["FromUserName"]
        query = {
            "signature": wechat_signature(token or self.account.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if mode == "plaintext":
            return query, xml
        sealed = xmltodict.parse(self.crypto(**crypto_args).encrypt_message(xml, nonce, timestamp))["xml"]
        query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
        encrypt = f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt>"
        if mode == "safe":
            body = f"<xml><ToUserName><![CDATA[{self.account.original_id}]]></ToUserName>{encrypt}</xml>"
        else:  # compatible: the plaintext elements and Encrypt
            body = xml[: -len("</xml>")] + encrypt + "</xml>"
        return query, body

    def post(self, xml: str, mode: str = "plaintext", **kwargs):
        query, body = self.request(xml, mode, **kwargs)
        return self.send(query, body)

    def send(self, query: dict, body: str | bytes):
        return self.client.post(f"{self.url}?{urlencode(query)}", data=body, content_type="text/xml")

    def open_reply(self, response, **crypto_args) -> dict:
        """The reply's plaintext as a dict, decrypted and its MsgSignature verified by wechatpy."""
        text = response.content.decode()
        document = xmltodict.parse(text)["xml"]
        if "Encrypt" not in document:
            return document
        plain = self.crypto(**crypto_args).decrypt_message(
            text, document["MsgSignature"], document["TimeStamp"], document["Nonce"]
        )
        return xmltodict.parse(plain)["xml"]


@pytest.fixture
def pusher(client, new_merchant) -> Pusher:
    return Pusher(client=client, slug=new_merchant.merchant.slug, account=new_merchant.wechat)
