"""What the H5 product pages show: products on sale by category, and one product's options,
prices and stock per store. Read-only; catalog owns products and prices, inventory owns stock.

"Sold out" means no unit available at any location for any active SKU. Virtual goods (top-ups,
codes) have no stock pools and are never shown sold out.
"""

from __future__ import annotations

from dataclasses import dataclass

from weloop.catalog import selectors as catalog
from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.models import Product
from weloop.catalog.selectors import SkuOffer
from weloop.core.errors import NotFound
from weloop.inventory.selectors import location_list, sku_stock_by_location
from weloop.stores.models import Store
from weloop.stores.selectors import store_list_public
from weloop.tenants.models import Merchant


@dataclass(frozen=True)
class ProductCard:
    product: Product
    min_price_fen: int | None
    has_range: bool  # the SKUs do not all cost the same: show "from"
    sold_out: bool


@dataclass(frozen=True)
class CategoryGroup:
    name: str  # "" for products without a category
    products: list[ProductCard]


@dataclass(frozen=True)
class OptionChoice:
    value: str
    selected: bool
    available: bool  # some sellable SKU has this value together with the other selected values


@dataclass(frozen=True)
class OptionGroup:
    name: str
    index: int
    choices: list[OptionChoice]


@dataclass(frozen=True)
class StoreStock:
    store: Store
    price_fen: int  # the store's price of the chosen SKU
    units: int
    sold_here: bool  # the store sells the SKU at all


@dataclass(frozen=True)
class ProductPage:
    product: Product
    category_path: str
    images: list[str]
    options: list[OptionGroup]
    chosen: SkuOffer | None  # the SKU matching the chosen options, or None
    stores: list[StoreStock]
    sold_out: bool


def _stock(merchant: Merchant, sku_ids: list[str]) -> dict[str, int]:
    """Units available per SKU public id, summed over every location."""
    by_location = sku_stock_by_location(merchant=merchant, sku_ids=sku_ids)
    return {sku_id: sum(levels.values()) for sku_id, levels in by_location.items()}


def _is_sold_out(product: Product, active_sku_ids: list[str], stock: dict[str, int]) -> bool:
    if product.kind == ProductKind.VIRTUAL:
        return False
    return not any(stock.get(sku_id, 0) > 0 for sku_id in active_sku_ids)


def product_groups(*, merchant: Merchant) -> list[CategoryGroup]:
    """Products on sale, grouped by category path (uncategorised last), each with its lowest price."""
    products = list(catalog.product_list(merchant=merchant, status=ProductStatus.ACTIVE).prefetch_related("skus"))
    active = {p.pk: [s for s in p.skus.all() if s.is_active] for p in products}
    stock = _stock(merchant, [s.public_id for skus in active.values() for s in skus])
    paths = catalog.category_paths(merchant=merchant)
    groups: dict[str, list[ProductCard]] = {}
    for product in products:
        prices = [s.price_fen for s in active[product.pk]]
        card = ProductCard(
            product=product,
            min_price_fen=min(prices, default=None),
            has_range=len(set(prices)) > 1,
            sold_out=_is_sold_out(product, [s.public_id for s in active[product.pk]], stock),
        )
        groups.setdefault(paths.get(product.category_id, "") if product.category_id else "", []).append(card)
    order = {c.pk: i for i, c in enumerate(catalog.category_list(merchant=merchant))}
    by_path = {paths[pk]: rank for pk, rank in order.items()}
    names = sorted(groups, key=lambda name: (name == "", by_path.get(name, 0), name))
    return [CategoryGroup(name, groups[name]) for name in names]


def product_page(*, merchant: Merchant, product_id: str, chosen: dict[int, str]) -> ProductPage:
    """One product on sale; ``chosen`` maps option index to value (missing: the first sellable SKU's)."""
    detail = catalog.product_detail(merchant=merchant, product_id=product_id)
    product = detail.product
    if product.status != ProductStatus.ACTIVE:
        raise NotFound("No such product.", extra={"what": "product"})
    offers = [o for o in detail.offers if o.is_sellable]
    stock = _stock(merchant, [o.sku.public_id for o in offers])
    names = product.option_names
    default = _default_offer(offers, stock)
    selected = [chosen.get(i) or (default.sku.options.get(name, "") if default else "") for i, name in enumerate(names)]
    match = next((o for o in offers if [o.sku.options.get(n) for n in names] == selected), None)
    return ProductPage(
        product=product,
        category_path=detail.category_path,
        images=[image.src for image in detail.images],
        options=_option_groups(names, offers, selected),
        chosen=match,
        stores=_store_stock(merchant, match) if match and product.kind != ProductKind.VIRTUAL else [],
        sold_out=_is_sold_out(product, [o.sku.public_id for o in offers], stock),
    )


def _default_offer(offers: list[SkuOffer], stock: dict[str, int]) -> SkuOffer | None:
    in_stock = [o for o in offers if stock.get(o.sku.public_id, 0) > 0]
    candidates = in_stock or offers
    return candidates[0] if candidates else None


def _option_groups(names: list[str], offers: list[SkuOffer], selected: list[str]) -> list[OptionGroup]:
    groups = []
    for i, name in enumerate(names):
        values: list[str] = []
        for offer in offers:
            value = offer.sku.options.get(name, "")
            if value not in values:
                values.append(value)
        choices = [
            OptionChoice(value, value == selected[i], _combination_exists(names, offers, selected, i, value))
            for value in values
        ]
        groups.append(OptionGroup(name, i, choices))
    return groups


def _combination_exists(names: list[str], offers: list[SkuOffer], selected: list[str], index: int, value: str) -> bool:
    wanted = [value if j == index else v for j, v in enumerate(selected)]
    return any([o.sku.options.get(n) for n in names] == wanted for o in offers)


def _store_stock(merchant: Merchant, offer: SkuOffer) -> list[StoreStock]:
    stores = list(store_list_public(merchant=merchant))
    locations = dict(location_list(merchant=merchant).filter(store__in=stores).values_list("store_id", "name"))
    levels = sku_stock_by_location(merchant=merchant, sku_ids=[offer.sku.public_id]).get(offer.sku.public_id, {})
    rows = []
    for store in stores:
        at_store = catalog.sku_offer_at(sku=offer.sku, store=store)
        units = levels.get(locations.get(store.pk, ""), 0) if at_store.is_available else 0
        rows.append(StoreStock(store, at_store.price_fen, units, at_store.is_available))
    return rows
