"""What a person does on the simulated phone, turned into what WeChat pushes to the account.

Each action updates WeChat's view of the user (following, windows for customer-service messages)
and records a delivery that the push pool sends to the merchant's callback (``pushes``).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from weloop.core import clock
from weloop.simulator import identifiers, menus
from weloop.simulator.accounts import SimAccount
from weloop.simulator.enums import DeliveryKind, InteractionKind
from weloop.simulator.errors import PhoneActionRefused
from weloop.simulator.models import SimDelivery, SimMedia, SimQrTicket, SimUser
from weloop.simulator.outbound import interaction_record
from weloop.simulator.pushes import delivery_create
from weloop.simulator.qrcodes import ticket_lookup

MAX_TEXT_CHARS = 2000
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
# Futian, Shenzhen: where the demo stores are.
DEFAULT_LOCATION = (Decimal("22.543096"), Decimal("114.057865"), "深圳市福田区深南大道")


def avatar_url_for(openid: str, simulator_base: str) -> str:
    return f"{simulator_base}/avatar/{hashlib.sha1(openid.encode()).hexdigest()[:12]}.svg"


def user_create(*, account: SimAccount, nickname: str, avatar_url: str = "", simulator_base: str) -> SimUser:
    """A new WeChat user seen by this account: a fresh openid and unionid, not following yet."""
    openid = identifiers.new_openid()
    nickname = (nickname or "").strip()[:32] or f"微信用户{openid[-4:]}"
    return SimUser.objects.create(
        appid=account.appid,
        openid=openid,
        unionid=identifiers.new_unionid(),
        nickname=nickname,
        avatar_url=avatar_url.strip()[:500] or avatar_url_for(openid, simulator_base),
    )


def _event(account: SimAccount, user: SimUser, event: str, fields: list, summary: str) -> SimDelivery:
    return delivery_create(
        account=account,
        openid=user.openid,
        user=user,
        kind=DeliveryKind.USER_EVENT,
        msg_type="event",
        event=event,
        fields=fields,
        summary=summary,
    )


def _message(account: SimAccount, user: SimUser, msg_type: str, fields: list, summary: str) -> SimDelivery:
    if not user.subscribed:
        raise PhoneActionRefused(_("Follow the account before sending it messages."))
    interaction_record(user=user, kind=InteractionKind.MESSAGE)
    return delivery_create(
        account=account,
        openid=user.openid,
        user=user,
        kind=DeliveryKind.USER_MESSAGE,
        msg_type=msg_type,
        fields=fields,
        summary=summary,
    )


@transaction.atomic
def follow(*, account: SimAccount, user: SimUser, ticket: SimQrTicket | None = None) -> SimDelivery:
    """Follow, plainly or from a parametric QR (``subscribe`` with ``qrscene_<scene>`` and ``Ticket``)."""
    if user.subscribed:
        raise PhoneActionRefused(_("You already follow this account."))
    user.subscribed, user.subscribe_time = True, clock.now()
    user.subscribe_scene = "ADD_SCENE_QR_CODE" if ticket else "ADD_SCENE_SEARCH"
    user.qr_scene = (ticket.scene_id or 0) if ticket else 0
    user.qr_scene_str = ticket.scene_str if ticket else ""
    user.save()
    interaction_record(user=user, kind=InteractionKind.FOLLOW)
    if ticket is None:
        return _event(account, user, "subscribe", [("EventKey", "")], _("You followed the account"))
    fields = [("EventKey", f"qrscene_{ticket.scene}"), ("Ticket", ticket.ticket)]
    return _event(
        account,
        user,
        "subscribe",
        fields,
        _("You scanned a QR code (%(scene)s) and followed") % {"scene": ticket.scene},
    )


@transaction.atomic
def unfollow(*, account: SimAccount, user: SimUser) -> SimDelivery:
    if not user.subscribed:
        raise PhoneActionRefused(_("You do not follow this account."))
    user.subscribed = False
    user.save(update_fields=["subscribed"])
    return _event(account, user, "unsubscribe", [("EventKey", "")], _("You unfollowed the account"))


@transaction.atomic
def scan(*, account: SimAccount, user: SimUser, code: str) -> SimDelivery:
    """Scan a parametric QR: followers send ``SCAN``; others follow from it (``subscribe`` + qrscene_)."""
    ticket = ticket_lookup(code)
    if ticket is None:
        raise PhoneActionRefused(_("This is not a QR code of any account."))
    if ticket.appid != account.appid:
        raise PhoneActionRefused(_("This QR code belongs to another account: choose that account first."))
    if ticket.is_expired():
        raise PhoneActionRefused(_("This QR code has expired."))
    if not user.subscribed:
        return follow(account=account, user=user, ticket=ticket)
    interaction_record(user=user, kind=InteractionKind.SCAN)
    fields = [("EventKey", ticket.scene), ("Ticket", ticket.ticket)]
    return _event(account, user, "SCAN", fields, _("You scanned a QR code (%(scene)s)") % {"scene": ticket.scene})


@transaction.atomic
def send_text(*, account: SimAccount, user: SimUser, content: str) -> SimDelivery:
    content = (content or "").strip()
    if not content:
        raise PhoneActionRefused(_("Type a message first."))
    content = content[:MAX_TEXT_CHARS]
    return _message(account, user, "text", [("Content", content)], content)


def _coordinate(value: object, limit: int) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PhoneActionRefused(_("Latitude and longitude must be numbers.")) from None
    if not number.is_finite() or abs(number) > limit:
        raise PhoneActionRefused(_("Latitude and longitude must be numbers."))
    return number


@transaction.atomic
def send_location(*, account: SimAccount, user: SimUser, latitude: object, longitude: object, label: str):
    """A location message: ``Location_X`` is the latitude, ``Location_Y`` the longitude (WECHAT.md §1.2)."""
    lat, lng = _coordinate(latitude, 90), _coordinate(longitude, 180)
    label = (label or "").strip()[:200]
    fields = [
        ("Location_X", float(lat)),
        ("Location_Y", float(lng)),
        ("Scale", 15),
        ("Label", label),
    ]
    return _message(account, user, "location", fields, f"📍 {label or f'{lat}, {lng}'}")


def image_type(data: bytes) -> str | None:
    return next((kind for magic, kind in IMAGE_SIGNATURES.items() if data.startswith(magic)), None)


@transaction.atomic
def send_image(*, account: SimAccount, user: SimUser, data: bytes, simulator_base: str) -> SimDelivery:
    """An image message: the upload is served at ``PicUrl`` and by /cgi-bin/media/get as ``MediaId``."""
    content_type = image_type(data)
    if content_type is None:
        raise PhoneActionRefused(_("Choose a PNG, JPEG or GIF image."))
    media = SimMedia.objects.create(
        media_id=identifiers.new_media_id(), appid=account.appid, content_type=content_type, data=data
    )
    pic_url = f"{simulator_base}/media/{media.media_id}"
    fields = [("PicUrl", pic_url), ("MediaId", media.media_id)]
    return _message(account, user, "image", fields, media.media_id)  # the chat shows the picture


@transaction.atomic
def tap_menu(*, account: SimAccount, user: SimUser, path: str) -> tuple[SimDelivery | None, str]:
    """Tap a menu button: the event it sends (CLICK, VIEW, ...) and the URL to open ("" if none)."""
    if not user.subscribed:
        raise PhoneActionRefused(_("Follow the account to use its menu."))
    button = menus.button_at(account.appid, path)
    if button is None:
        raise PhoneActionRefused(_("This menu button no longer exists."))
    kind, name = button["type"], button["name"]
    if kind in menus.WINDOW_TYPES:
        interaction_record(user=user, kind=InteractionKind.MENU_CLICK)
    if kind == "click":
        return _event(account, user, "CLICK", [("EventKey", button["key"])], f"☰ {name}"), ""
    if kind == "view":
        return _event(account, user, "VIEW", [("EventKey", button["url"])], f"☰ {name}"), button["url"]
    if kind == "miniprogram":
        fields = [("EventKey", button["pagepath"])]
        return _event(account, user, "view_miniprogram", fields, f"☰ {name}"), button["url"]
    if kind in menus.KEY_TYPES:
        # The phone cannot scan, take photos or pick places: the event carries the key only.
        return _event(account, user, kind, [("EventKey", button["key"])], f"☰ {name}"), ""
    return None, ""  # media_id / article buttons: WeChat shows the material itself, no push
