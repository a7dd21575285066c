"""Images WeChat serves: QR codes (mp.weixin.qq.com/cgi-bin/showqrcode), uploads and avatars."""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from weloop.simulator.models import SimMedia, SimQrTicket
from weloop.simulator.qrcodes import qr_png


@require_GET
def showqrcode(request: HttpRequest) -> HttpResponse:
    """The QR image of a ticket: a PNG encoding the ticket's url; 404 once a temporary code expired."""
    ticket = SimQrTicket.objects.filter(ticket=request.GET.get("ticket", "")).first()
    if ticket is None or ticket.is_expired():
        raise Http404("no such ticket")
    response = HttpResponse(qr_png(ticket.url), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def media(request: HttpRequest, media_id: str) -> HttpResponse:
    """An uploaded image at its PicUrl (only PNG, JPEG or GIF were accepted, so the type is safe)."""
    row = SimMedia.objects.filter(media_id=media_id).first()
    if row is None:
        raise Http404("no such media")
    response = HttpResponse(bytes(row.data), content_type=row.content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


_COLOURS = ("#07c160", "#10aeff", "#fa9d3b", "#fa5151", "#6467f0", "#1485ee", "#576b95")


@require_GET
def avatar(request: HttpRequest, seed: str) -> HttpResponse:
    """A generated avatar (a coloured square with a letter) so that every user has a headimgurl."""
    digest = hashlib.sha1(seed.encode()).digest()
    colour, letter = _COLOURS[digest[0] % len(_COLOURS)], "ABCDEFGHJKMNPQRSTWXYZ"[digest[1] % 21]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="132" height="132" viewBox="0 0 132 132">'
        f'<rect width="132" height="132" rx="12" fill="{colour}"/>'
        '<text x="66" y="86" font-size="60" text-anchor="middle" fill="#fff" font-family="sans-serif">'
        f"{escape(letter)}</text></svg>"
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
