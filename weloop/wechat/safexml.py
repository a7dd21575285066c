"""Parsing and writing the small flat XML documents WeChat exchanges, safely.

WeChat's XML never has a DTD, so any ``<!DOCTYPE`` or ``<!ENTITY`` is refused before the parser runs
(no entity expansion, no external entities, no "billion laughs").
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

from weloop.wechat.errors import MalformedXml

_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# Characters XML 1.0 forbids; a reply containing one would be rejected by WeChat as invalid.
_XML_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """Parse a WeChat ``<xml>…</xml>`` document into a dict of its children.

    Raises ``MalformedXml`` for non-UTF-8 bytes, a DTD or entity declaration, bad XML or another root.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedXml("The XML is not UTF-8.") from None
    if _DTD.search(data):
        raise MalformedXml("DTDs and entity declarations are not accepted.")
    try:
        # A str is fed to expat as UTF-8 whatever the XML declaration claims.
        document = xmltodict.parse(data, disable_entities=True, strip_whitespace=False)
    except (ExpatError, ValueError) as error:
        raise MalformedXml(f"The XML is malformed: {error}") from None
    if not isinstance(document, dict) or list(document) != ["xml"]:
        raise MalformedXml("The root element must be <xml>.")
    root = document["xml"]
    if root is None:
        return {}
    if not isinstance(root, dict):
        raise MalformedXml("The <xml> element must contain elements.")
    return root


def text(node: dict[str, Any], name: str) -> str:
    """The text of child ``name`` ("" when absent or empty); the first one when it repeats."""
    value = node.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("#text")
    return value if isinstance(value, str) else ""


def cdata(value: str) -> str:
    """Wrap ``value`` in CDATA, splitting any ``]]>`` it contains and dropping characters XML forbids."""
    value = _XML_INVALID_CHARS.sub("", value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def element(name: str, value: str | int) -> str:
    """``<Name>value</Name>``: integers bare, strings in CDATA."""
    body = str(value) if isinstance(value, int) else cdata(value)
    return f"<{name}>{body}</{name}>"
