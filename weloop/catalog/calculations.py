"""Pure rules of the catalog: names, SKU codes, option names and values, their text forms.

No database here, so the services and the CSV import validate with the very same functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from weloop.catalog.errors import InvalidCategory, InvalidProduct, InvalidSku, InvalidSkuOptions
from weloop.core.money import require_fen

MAX_OPTIONS = 5
MAX_CATEGORY_DEPTH = 5
CATEGORY_SEPARATOR = " > "
_SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
# "=" and ";" separate options in the CSV form "size=38;colour=black", so neither may appear inside.
_FORBIDDEN_IN_OPTIONS = ("=", ";", "\n", "\r")


def clean_text(value: object, *, field: str, max_length: int, required: bool, error: type = InvalidProduct) -> str:
    """Collapse whitespace; refuse an empty required value or one longer than ``max_length``."""
    text = " ".join(str(value if value is not None else "").split())
    if required and not text:
        raise error(f"{field} is required.", extra={"field": field})
    if len(text) > max_length:
        raise error(f"{field} is longer than {max_length} characters.", extra={"field": field})
    return text


def clean_description(value: object) -> str:
    text = str(value if value is not None else "").strip()
    if len(text) > 5000:
        raise InvalidProduct("description is longer than 5000 characters.", extra={"field": "description"})
    return text


def clean_sku_code(code: object) -> str:
    text = str(code if code is not None else "").strip()
    if not _SKU_CODE.match(text):
        raise InvalidSku(
            "A SKU code is 1 to 64 letters, digits, dots, dashes, underscores or slashes.",
            extra={"field": "code", "value": text[:80]},
        )
    return text


def _clean_option_part(value: object, *, field: str, max_length: int) -> str:
    text = " ".join(str(value if value is not None else "").split())
    if not text or len(text) > max_length or any(c in text for c in _FORBIDDEN_IN_OPTIONS):
        raise InvalidSkuOptions(
            f"{field} is 1 to {max_length} characters without '=' or ';'.", extra={"field": field, "value": text[:80]}
        )
    return text


def clean_option_names(names: Sequence[object]) -> list[str]:
    """The option names of a product, in display order: at most 5, distinct."""
    if isinstance(names, str):
        raise InvalidSkuOptions("Option names are a list.", extra={"field": "option_names"})
    cleaned = [_clean_option_part(n, field="option_names", max_length=20) for n in names]
    if len(cleaned) > MAX_OPTIONS:
        raise InvalidSkuOptions(f"A product has at most {MAX_OPTIONS} options.", extra={"field": "option_names"})
    if len({n.casefold() for n in cleaned}) != len(cleaned):
        raise InvalidSkuOptions("Option names must differ.", extra={"field": "option_names"})
    return cleaned


def clean_options(option_names: Sequence[str], options: Mapping[Any, Any]) -> dict[str, str]:
    """A SKU's option values: exactly one per option name of its product, keyed and ordered like them."""
    if not isinstance(options, Mapping):
        raise InvalidSkuOptions(extra={"field": "options"})
    given = {str(k).strip(): v for k, v in options.items()}
    if set(given) != set(option_names) or len(given) != len(options):
        raise InvalidSkuOptions(
            extra={"field": "options", "expected": list(option_names), "given": sorted(str(k) for k in options)}
        )
    return {name: _clean_option_part(given[name], field=f"options.{name}", max_length=40) for name in option_names}


def options_key(options: Mapping[str, str]) -> str:
    """The canonical text of a combination: values sorted by option name (what the unique index sees)."""
    return ";".join(f"{name}={options[name]}" for name in sorted(options))


def parse_options_text(text: str) -> dict[str, str]:
    """``"size=38;colour=black"`` -> ``{"size": "38", "colour": "black"}``, in the written order."""
    text = (text or "").strip()
    if not text:
        return {}
    options: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise InvalidSkuOptions("Write options as name=value pairs separated by ';'.", extra={"value": text[:80]})
        if name in options:
            raise InvalidSkuOptions(f"The option {name} is given twice.", extra={"value": text[:80]})
        options[name] = value
    return options


def format_options_text(option_names: Sequence[str], options: Mapping[str, str]) -> str:
    return ";".join(f"{name}={options[name]}" for name in option_names)


def clean_prices(price_fen: object, list_price_fen: object) -> tuple[int, int | None]:
    """Both in fen: non-negative ints (floats refused); a list price is never below the price."""
    price = require_fen(price_fen, field="price_fen")
    if list_price_fen is None:
        return price, None
    list_price = require_fen(list_price_fen, field="list_price_fen")
    if list_price < price:
        raise InvalidSku("The list price cannot be below the price.", extra={"field": "list_price_fen"})
    return price, list_price


def clean_weight(weight_g: object) -> int | None:
    if weight_g is None:
        return None
    if isinstance(weight_g, bool) or not isinstance(weight_g, int) or not 0 <= weight_g <= 10_000_000:
        raise InvalidSku("The weight is a whole number of grams.", extra={"field": "weight_g", "value": repr(weight_g)})
    return weight_g


def parse_category_path(text: str) -> list[str]:
    """``"Shoes > Running"`` -> ``["Shoes", "Running"]``; empty text is no category."""
    text = (text or "").strip()
    if not text:
        return []
    parts = [
        clean_text(p, field="category", max_length=60, required=True, error=InvalidCategory) for p in text.split(">")
    ]
    if len(parts) > MAX_CATEGORY_DEPTH:
        raise InvalidCategory(f"Categories nest at most {MAX_CATEGORY_DEPTH} deep.", extra={"field": "category"})
    return parts


def format_category_path(names: Sequence[str]) -> str:
    return CATEGORY_SEPARATOR.join(names)
