"""The catalog CSV: its columns, and turning one line of it into checked values (no database).

One row per SKU::

    product_name,category,kind,description,sku_code,options,price,list_price,weight_g,active,stock:Main warehouse
    Canvas sneaker,Shoes > Casual,physical,,SNK-38-BLK,size=38;colour=black,199.00,259.00,800,yes,12

- Required columns: ``product_name``, ``sku_code``, ``price`` (yuan, at most 2 decimals: "12.30").
- Optional columns: a column that is absent leaves that field as it is; a column that is present
  sets it, and an empty cell clears an optional field (no category, no list price, no weight).
  ``kind`` is ``physical`` or ``virtual`` (empty: physical for a new product, unchanged otherwise);
  ``options`` is ``name=value`` pairs separated by ``;``; ``active`` is yes/no.
- ``stock:<location name>`` columns give the units available at that location now; an empty
  cell leaves that stock as it is.

Files are read as UTF-8 (with or without the BOM Excel writes) or, failing that, GB18030 (what
Excel saves on Chinese Windows); exports are UTF-8 with a BOM so Excel opens them correctly.
A cell that starts with = + - or @ is written with a leading apostrophe, so a spreadsheet never
runs it as a formula; the import removes that apostrophe again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from weloop.catalog.calculations import clean_sku_code, clean_text, parse_category_path, parse_options_text
from weloop.catalog.errors import InvalidImportFile, InvalidProduct
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_to_fen

REQUIRED = ("product_name", "sku_code", "price")
OPTIONAL = ("category", "kind", "description", "options", "list_price", "weight_g", "active")
EXPORT_COLUMNS = (
    *("product_name", "category", "kind", "description", "sku_code"),
    *("options", "price", "list_price", "weight_g", "active"),
)
STOCK_PREFIX = "stock:"
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_STOCK = 10**12
_FORMULA_STARTS = ("=", "+", "-", "@")
_YES = {"yes", "y", "true", "1", "是"}
_NO = {"no", "n", "false", "0", "否"}


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


# The column is not in the file: leave the field as it is.
ABSENT: Any = _Absent()


@dataclass(frozen=True)
class RowError:
    row: int  # the file's record number; the header is row 1
    column: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class CsvRow:
    """One SKU line, parsed. Optional fields are ABSENT when their column is not in the file."""

    number: int
    product_name: str
    sku_code: str
    price_fen: int
    category: Any = ABSENT  # list of names from the top, [] for none
    kind: Any = ABSENT  # "" when the cell is empty
    description: Any = ABSENT
    options: dict[str, str] = field(default_factory=dict)
    list_price_fen: Any = ABSENT
    weight_g: Any = ABSENT
    active: Any = ABSENT
    stock: dict[str, int] = field(default_factory=dict)


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise InvalidImportFile(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", extra={"bytes": len(data)})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidImportFile("The file is neither UTF-8 nor GB18030 text.")


def read(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (lower-cased, trimmed) and the non-blank records with their row numbers."""
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InvalidImportFile(f"The file is not valid CSV: {exc}.") from exc
    if not records:
        raise InvalidImportFile("The file is empty.")
    header = [_column_name(c) for c in records[0]]
    rows = [(i + 1, r) for i, r in enumerate(records) if i and any(cell.strip() for cell in r)]
    if len(rows) > MAX_ROWS:
        raise InvalidImportFile(f"A file has at most {MAX_ROWS} rows; split it.", extra={"rows": len(rows)})
    return header, rows


def _column_name(cell: str) -> str:
    name = cell.strip()
    if name.lower().startswith(STOCK_PREFIX):
        return STOCK_PREFIX + " ".join(name[len(STOCK_PREFIX) :].split())
    return name.lower()


def check_header(header: list[str], stock_locations: list[str] | None) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(1, name, "catalog.duplicate_column", f"The column {name} appears twice."))
        seen.add(name)
        if name.startswith(STOCK_PREFIX):
            location = name[len(STOCK_PREFIX) :]
            if not location:
                errors.append(RowError(1, name, "catalog.unknown_column", "A stock column names its location."))
            elif stock_locations is not None and location not in stock_locations:
                message = f"No location is called {location}."
                errors.append(RowError(1, name, "catalog.unknown_location", message))
        elif name not in REQUIRED + OPTIONAL:
            errors.append(RowError(1, name, "catalog.unknown_column", f"Unknown column: {name or '(empty)'}."))
    for name in REQUIRED:
        if name not in seen:
            errors.append(RowError(1, name, "catalog.missing_column", f"The column {name} is required."))
    return errors


def parse_row(header: list[str], number: int, cells: list[str]) -> tuple[CsvRow | None, list[RowError]]:
    """Every cell of one record checked on its own; cross-row and database checks come later."""
    if len(cells) > len(header):
        return None, [RowError(number, "", "catalog.too_many_cells", "The row has more cells than the header.")]
    values = {name: _unescape(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
    errors: list[RowError] = []

    def checked(column: str, parse):
        try:
            return parse(values[column])
        except WeloopError as exc:
            errors.append(RowError(number, column, exc.code, exc.detail))
            return None

    row = CsvRow(
        number=number,
        product_name=checked(
            "product_name", lambda v: clean_text(v, field="product_name", max_length=120, required=True)
        ),
        sku_code=checked("sku_code", clean_sku_code),
        price_fen=checked("price", _required_yuan),
    )
    if "category" in values:
        row.category = checked("category", parse_category_path)
    if "kind" in values:
        row.kind = values["kind"].strip().lower()
    if "description" in values:
        row.description = values["description"].strip()
    if "options" in values:
        row.options = checked("options", parse_options_text) or {}
    if "list_price" in values:
        row.list_price_fen = checked("list_price", lambda v: yuan_to_fen(v) if v.strip() else None)
    if "weight_g" in values:
        row.weight_g = checked("weight_g", _weight)
    if "active" in values:
        row.active = checked("active", _yes_no)
    for column, value in values.items():
        if column.startswith(STOCK_PREFIX) and value.strip():
            row.stock[column[len(STOCK_PREFIX) :]] = checked(column, _stock)
    if (
        not errors
        and row.list_price_fen not in (ABSENT, None)
        and row.price_fen is not None
        and row.list_price_fen < row.price_fen
    ):
        errors.append(RowError(number, "list_price", "catalog.invalid_sku", "The list price is below the price."))
    return (None if errors else row), errors


def _unescape(cell: str) -> str:
    if cell.startswith("'") and cell[1:2] in _FORMULA_STARTS:
        return cell[1:]
    return cell


def escape(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _required_yuan(value: str) -> int:
    if not value.strip():
        raise InvalidProduct("The price is required.", extra={"field": "price"})
    return yuan_to_fen(value)


def _weight(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 10_000_000:
        raise InvalidProduct("The weight is a whole number of grams.", extra={"field": "weight_g"})
    return int(value)


def _yes_no(value: str) -> bool:
    value = value.strip().lower()
    if not value or value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidProduct("Write yes or no.", extra={"field": "active"})


def _stock(value: str) -> int:
    value = value.strip()
    if not value.isdigit() or int(value) > MAX_STOCK:
        raise InvalidProduct("Stock is a whole number of units, 0 or more.", extra={"field": "stock"})
    return int(value)


def write_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
