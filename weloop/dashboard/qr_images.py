"""QR code images drawn here from the code's content (the ``url`` WeChat returned), PNG or SVG.

Drawn locally rather than fetched from WeChat's showqrcode: printing a poster must not depend on
WeChat being reachable, and the PNG needs no imaging library (qrcode's own PNG writer wants Pillow).
"""

from __future__ import annotations

import io
import struct
import zlib

import qrcode
from qrcode.image.svg import SvgPathFillImage

PNG_BOX_PIXELS = 10  # about 4 cm at 300 dpi for a typical code: enough for a counter card
BORDER_MODULES = 4  # the quiet zone scanners need


def _code(content: str) -> qrcode.QRCode:
    code = qrcode.QRCode(border=BORDER_MODULES, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(content)
    code.make(fit=True)
    return code


def qr_svg(content: str) -> bytes:
    """A scalable black-on-white SVG of ``content``."""
    buffer = io.BytesIO()
    _code(content).make_image(image_factory=SvgPathFillImage).save(buffer)
    return buffer.getvalue()


def qr_png(content: str, *, box: int = PNG_BOX_PIXELS) -> bytes:
    """A black-on-white 8-bit greyscale PNG of ``content``."""
    matrix = _code(content).get_matrix()  # includes the border
    rows = []
    for modules in matrix:
        line = b"".join((b"\x00" if dark else b"\xff") * box for dark in modules)
        rows.extend([b"\x00" + line] * box)  # each scanline starts with filter type 0 (none)
    size = len(matrix) * box
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
