"""How a push is signed and sealed, and how the merchant's reply is opened: the one crypto seam.

The platform's ``weloop.wechat.crypto`` (its callback adapter) also implements WeChat's side of the
protocol (``seal_inbound``), so the simulator uses it rather than a second copy. The simulator's
tests check every push independently with wechatpy's ``WeChatCrypto`` and ``check_signature``, so a
mistake shared by both sides of this module cannot hide.
"""

from __future__ import annotations

from typing import cast

from weloop.simulator.accounts import SimAccount
from weloop.wechat import crypto
from weloop.wechat.errors import BadSignature, MalformedXml, UndecryptablePayload, WrongAppId
from weloop.wechat.safexml import parse_xml, text


class InvalidReply(Exception):
    """The callback answered something WeChat would not accept as a passive reply."""


def _credentials(account: SimAccount) -> crypto.CallbackCredentials:
    return crypto.CallbackCredentials(
        appid=account.appid, token=account.token, encoding_aes_key=account.encoding_aes_key
    )


def url_signature(account: SimAccount, timestamp: str, nonce: str) -> str:
    """``signature`` for the URL check GET and every POST: sha1 of sorted token, timestamp, nonce."""
    return crypto.sign(account.token, timestamp, nonce)


def seal_push(account: SimAccount, xml: str, timestamp: str, nonce: str) -> tuple[dict[str, str], bytes]:
    """Query parameters and body of the POST, in the account's message mode (WECHAT.md §1.1, §2)."""
    mode = cast(crypto.Mode, account.message_mode)
    return crypto.seal_inbound(_credentials(account), xml, mode, timestamp, nonce)


def open_reply(account: SimAccount, body: str) -> str:
    """The plaintext XML of a non-empty reply; raises ``InvalidReply`` when WeChat would refuse it.

    Safe mode accepts only an encrypted reply; compatible mode either form; plaintext mode only plain
    XML. An encrypted reply must carry a ``MsgSignature`` over the Token, its TimeStamp and Nonce.
    """
    try:
        envelope = parse_xml(body)
        encrypted = bool(text(envelope, "Encrypt"))
        if account.message_mode == "safe" and not encrypted:
            raise InvalidReply("safe mode needs an encrypted reply")
        if account.message_mode == "plaintext" and encrypted:
            raise InvalidReply("plaintext mode needs a plain reply")
        return crypto.open_reply(_credentials(account), body) if encrypted else body
    except (BadSignature, UndecryptablePayload, WrongAppId, MalformedXml) as error:
        raise InvalidReply(str(error.detail)) from None
