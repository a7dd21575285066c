"""The Official Account callback, /wechat/<merchant_slug>/callback: where WeChat pushes everything.

GET is WeChat's URL check: answer ``echostr`` unchanged when the signature is ours. POST is a message
or event: check the signature, open it (plaintext, compatible or safe mode), hand it to
``messaging.inbound_handle`` and answer with its passive reply, sealed like the request came.

Errors get a short plain body with their code: WeChat ignores bodies, people reading logs do not.
A bad signature is a 403 and nothing is recorded; an undecryptable payload, another appid or bad
XML a 400; an unknown merchant a 404. A failure while handling is a 500, so that WeChat retries.

The answer needs one write (the message's log row) and no other query in the common case; the
effects on members and the outbox happen on the queue (messaging/inbound.py). The middleware
skips sessions, auth, CSRF and messages for /wechat/ (WELOOP_LEAN_PATHS).
"""

from __future__ import annotations

import logging
import secrets

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.messaging.config import CallbackConfig, callback_config
from weloop.messaging.services import inbound_handle
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import WechatAccount
from weloop.wechat.crypto import CallbackCredentials, check_url_signature, open_inbound, seal_reply
from weloop.wechat.messages import parse_message

logger = logging.getLogger(__name__)

XML = "application/xml; charset=utf-8"


def _plain(status: int, code: str) -> HttpResponse:
    return HttpResponse(code, status=status, content_type="text/plain; charset=utf-8")


def _credentials(account: WechatAccount) -> CallbackCredentials:
    return CallbackCredentials(
        appid=account.appid,
        token=account.token,
        encoding_aes_key=account.encoding_aes_key,
        previous_encoding_aes_key=account.previous_encoding_aes_key,
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, merchant_slug: str) -> HttpResponse:
    # The merchant, account, rules and greeting as this process keeps them (one cache read to
    # check they are current: messaging/config.py).
    config = callback_config(merchant_slug)
    if config is None:
        return _plain(404, "not_found")
    if config.merchant.status == MerchantStatus.SUSPENDED:
        return _plain(403, "tenants.merchant_suspended")
    creds = _credentials(config.account)
    if request.method == "GET":
        return _verify_url(request, creds)
    return _receive(request, config, creds)


def _verify_url(request: HttpRequest, creds: CallbackCredentials) -> HttpResponse:
    query = request.GET
    if not check_url_signature(creds, query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", "")):
        logger.warning("wechat callback URL check with a bad signature for appid %s", creds.appid)
        return _plain(403, "wechat.bad_signature")
    return HttpResponse(query.get("echostr", ""), content_type="text/plain; charset=utf-8")


def _receive(request: HttpRequest, config: CallbackConfig, creds: CallbackCredentials) -> HttpResponse:
    merchant = config.merchant
    try:
        inbound = open_inbound(creds, request.GET.dict(), request.body)
        message = parse_message(inbound.document or inbound.xml)
    except WeloopError as error:  # bad signature (403), undecryptable, other appid, bad XML (400)
        logger.warning("wechat callback refused for %s: %s (%s)", merchant.slug, error.code, error.detail)
        return _plain(error.status, error.code)
    try:
        reply = inbound_handle(merchant=merchant, message=message, xml=inbound.xml, config=config)
    except WeloopError as error:  # the message itself is unusable (e.g. an absurd openid): a retry won't help
        logger.warning("wechat message refused for %s: %s (%s)", merchant.slug, error.code, error.detail)
        return _plain(error.status, error.code)
    except Exception:
        # Not the sender's fault: a 500 makes WeChat retry, and the failed row lets the retry in.
        logger.exception("wechat callback for %s failed on %s", merchant.slug, message.dedup_key)
        return _plain(500, "internal_error")
    body = seal_reply(creds, inbound, reply, secrets.token_hex(8), int(clock.now().timestamp()))
    return HttpResponse(body, content_type=XML)
