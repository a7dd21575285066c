"""QR codes drawn on the server as inline SVG, for pages of any layer (H5, console, clerk).

Drawn locally: a page must not depend on a third-party QR service, and the SVG needs no imaging
library. ``qr_svg_inline`` returns the ``<svg>`` element alone (no XML declaration) to put in HTML.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.image.svg import SvgPathFillImage

BORDER_MODULES = 2  # enough quiet zone on a white card


def qr_svg_inline(content: str, *, border: int = BORDER_MODULES) -> str:
    """A black-on-white SVG of ``content``, as an ``<svg>`` element to inline in a page."""
    code = qrcode.QRCode(border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(content)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=SvgPathFillImage).save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]
