"""CSV export of products and SKUs, streamed: one row per SKU, the format imports.py reads back.

Stock lives in inventory, which catalog does not import. A caller that sees both apps (the console,
the API) passes ``stock_levels``: a function from SKU public ids to ``{sku public id: {location
name: available}}`` (inventory.selectors.sku_stock_by_location does exactly that), and the location
names to write as ``stock:<name>`` columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from weloop.catalog import csv_format
from weloop.catalog.calculations import format_options_text
from weloop.catalog.models import Sku
from weloop.catalog.selectors import category_paths
from weloop.core.money import yuan_text
from weloop.tenants.models import Merchant

StockLevels = Callable[[list[str]], dict[str, dict[str, int]]]
CHUNK = 1000


def catalog_export_csv(
    *, merchant: Merchant, stock_levels: StockLevels | None = None, locations: Sequence[str] = ()
) -> Iterator[str]:
    """Yield the CSV text piece by piece (for a StreamingHttpResponse): a BOM, the header, the rows.

    Rows are ordered by product name, then SKU, so two exports of the same catalog are identical.
    """
    locations = list(locations) if stock_levels is not None else []
    yield "\ufeff"
    yield csv_format.write_line([*csv_format.EXPORT_COLUMNS, *(csv_format.STOCK_PREFIX + name for name in locations)])
    paths = category_paths(merchant=merchant)
    skus = Sku.objects.for_merchant(merchant).select_related("product").order_by("product__name", "product_id", "code")
    chunk: list[Sku] = []
    for sku in skus.iterator(chunk_size=CHUNK):
        chunk.append(sku)
        if len(chunk) == CHUNK:
            yield _lines(chunk, paths, stock_levels, locations)
            chunk = []
    if chunk:
        yield _lines(chunk, paths, stock_levels, locations)


def _lines(skus: list[Sku], paths: dict[int, str], stock_levels: StockLevels | None, locations: list[str]) -> str:
    levels = stock_levels([s.public_id for s in skus]) if stock_levels is not None else {}
    return "".join(csv_format.write_line(_cells(sku, paths, levels.get(sku.public_id, {}), locations)) for sku in skus)


def _cells(sku: Sku, paths: dict[int, str], stock: dict[str, int], locations: list[str]) -> list[str]:
    product = sku.product
    escape = csv_format.escape
    return [
        escape(product.name),
        escape(paths.get(product.category_id, "") if product.category_id else ""),
        product.kind,
        escape(product.description),
        sku.code,
        escape(format_options_text(product.option_names, sku.options)),
        yuan_text(sku.price_fen),
        yuan_text(sku.list_price_fen),
        "" if sku.weight_g is None else str(sku.weight_g),
        "yes" if sku.is_active else "no",
        *(str(stock[name]) if name in stock else "" for name in locations),
    ]
