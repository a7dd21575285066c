from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# WeChat renders <a href="...">label</a> inside text messages as links; everything else is text.
_LINK = re.compile(r"""<a\s+href=["'](https?://[^"'<>\s]+)["']\s*>(.*?)</a>""", re.IGNORECASE | re.DOTALL)


@register.filter
def wechat_text(value: object) -> SafeString:
    """Escape a text message, keep its http(s) links clickable and its line breaks."""
    text, parts, position = str(value or ""), [], 0
    for match in _LINK.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(format_html('<a href="{}">{}</a>', match.group(1), match.group(2)))
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # every piece above is escaped


@register.filter
def get_item(mapping: object, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def http_url(value: object) -> str:
    """The URL if it is http(s), else "": a link the account sent must not run script in the phone."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


@register.filter
def details_link(body: object) -> str:
    """Where a template message or subscription notice leads: its ``url`` (or ``page``), if http(s)."""
    if not isinstance(body, dict):
        return ""
    return http_url(body.get("url")) or http_url(body.get("page"))
