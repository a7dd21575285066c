from django.db import models


class TokenKind(models.TextChoices):
    # /cgi-bin/token and /cgi-bin/stable_token hand out separate credentials that do not
    # invalidate each other; the JS-SDK ticket lives beside them.
    TOKEN = "token", "access_token"
    STABLE = "stable_token", "stable access_token"
    JSAPI_TICKET = "jsapi_ticket", "jsapi ticket"


class InteractionKind(models.TextChoices):
    """A user action that opens a customer-service window (WECHAT.md §3.3)."""

    MESSAGE = "message", "user sent a message"
    MENU_CLICK = "menu_click", "menu click"
    FOLLOW = "follow", "followed"
    SCAN = "scan", "scanned a QR code"
    PAYMENT = "payment", "payment success"


class OutboundKind(models.TextChoices):
    """What the account sent to a user, as the user's chat shows it."""

    PASSIVE_REPLY = "passive_reply", "passive reply"
    CUSTOMER_SERVICE = "customer_service", "customer-service message"
    TEMPLATE = "template", "template message"
    SUBSCRIBE = "subscribe", "subscription notice"
    MASS = "mass", "mass message"


class DeliveryKind(models.TextChoices):
    USER_MESSAGE = "user_message", "message from the user"
    USER_EVENT = "user_event", "event caused by the user"
    SYSTEM_EVENT = "system_event", "event from WeChat (job finished)"
    URL_CHECK = "url_check", "server URL verification"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    DELIVERING = "delivering", "delivering"
    ACCEPTED = "accepted", "accepted without a reply"
    REPLIED = "replied", "replied"
    FAILED = "failed", "failed"


class PushResult(models.TextChoices):
    ACCEPTED = "accepted", "success / empty body"
    REPLIED = "replied", "valid passive reply"
    TIMEOUT = "timeout", "no answer in time"
    CONNECTION_ERROR = "connection_error", "could not connect"
    HTTP_ERROR = "http_error", "HTTP status other than 200"
    INVALID_REPLY = "invalid_reply", "invalid reply"
