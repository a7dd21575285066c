"""Reads of the catalog: categories, product lists and details, prices at a store, import jobs.

Prices at a store: a StorePrice row with a price overrides the SKU's base price there; a row with
``is_available=False`` means the store does not sell the SKU; no row means base price, sold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from weloop.catalog.calculations import format_category_path
from weloop.catalog.enums import SELLABLE_KINDS, ImportStatus, ProductStatus
from weloop.catalog.models import CatalogImportJob, Category, Product, ProductImage, Sku, StorePrice
from weloop.core.db import get_or_not_found
from weloop.tenants.models import Merchant

# --- categories -----------------------------------------------------------------------------


def category_list(*, merchant: Merchant) -> QuerySet[Category]:
    return Category.objects.for_merchant(merchant).select_related("parent").order_by("position", "name", "id")


def category_get(*, merchant: Merchant, category_id: str) -> Category:
    return get_or_not_found(Category.objects.for_merchant(merchant), what="category", public_id=category_id)


@dataclass
class CategoryNode:
    category: Category
    depth: int
    path: str
    children: list[CategoryNode] = field(default_factory=list)


def category_tree(*, merchant: Merchant) -> list[CategoryNode]:
    """The categories as a forest, each level ordered by position then name."""
    by_parent: dict[int | None, list[Category]] = {}
    for category in category_list(merchant=merchant):
        by_parent.setdefault(category.parent_id, []).append(category)

    def build(parent_id: int | None, depth: int, prefix: list[str]) -> list[CategoryNode]:
        nodes = []
        for category in by_parent.get(parent_id, []):
            names = [*prefix, category.name]
            node = CategoryNode(category, depth, format_category_path(names))
            node.children = build(category.pk, depth + 1, names)
            nodes.append(node)
        return nodes

    return build(None, 0, [])


def category_paths(*, merchant: Merchant) -> dict[int, str]:
    """``{category pk: "Shoes > Running"}`` for every category of the merchant."""
    paths: dict[int, str] = {}

    def walk(nodes: list[CategoryNode]) -> None:
        for node in nodes:
            paths[node.category.pk] = node.path
            walk(node.children)

    walk(category_tree(merchant=merchant))
    return paths


def _descendant_ids(merchant: Merchant, category: Category) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Category.objects.for_merchant(merchant).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found += frontier
    return found


# --- products -------------------------------------------------------------------------------


def product_list(
    *,
    merchant: Merchant,
    category_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    store: Any = None,
    include_subcategories: bool = True,
) -> QuerySet[Product]:
    """Products matching every given filter, by name.

    ``q`` searches the name, the description and the SKU codes. ``store`` keeps the products with
    at least one active SKU that the store sells (a StorePrice with ``is_available=False`` takes
    the SKU out of that store). Without ``kind``, only goods are listed: a deal's or a bookable
    service's product is managed and sold through its deal or service (their own pages and API).
    """
    products = Product.objects.for_merchant(merchant).select_related("category")
    if category_id:
        category = category_get(merchant=merchant, category_id=category_id)
        ids = _descendant_ids(merchant, category) if include_subcategories else [category.pk]
        products = products.filter(category_id__in=ids)
    if status:
        products = products.filter(status=status)
    products = products.filter(kind=kind) if kind else products.filter(kind__in=SELLABLE_KINDS)
    if q and q.strip():
        term = q.strip()
        code_match = Sku.objects.filter(product=OuterRef("pk"), code__icontains=term)
        products = products.filter(Q(name__icontains=term) | Q(description__icontains=term) | Exists(code_match))
    if store is not None:
        withdrawn = StorePrice.objects.filter(sku=OuterRef("pk"), store_id=store.pk, is_available=False)
        sold_here = Sku.objects.filter(product=OuterRef("pk"), is_active=True).exclude(Exists(withdrawn))
        products = products.filter(Exists(sold_here))
    return products.order_by("name", "id")


def product_get(*, merchant: Merchant, product_id: str) -> Product:
    return get_or_not_found(
        Product.objects.for_merchant(merchant).select_related("category"), what="product", public_id=product_id
    )


@dataclass(frozen=True)
class SkuOffer:
    """A SKU as a store offers it."""

    sku: Sku
    price_fen: int  # what the customer pays there: the store's price or the base price
    base_price_fen: int
    list_price_fen: int | None
    is_store_price: bool
    is_available: bool  # the SKU is active and the store sells it
    is_sellable: bool  # ... and the product is on sale


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    category_path: str
    images: list[ProductImage]
    offers: list[SkuOffer]

    @property
    def price_range_fen(self) -> tuple[int, int] | None:
        prices = [o.price_fen for o in self.offers if o.is_available]
        return (min(prices), max(prices)) if prices else None


def product_detail(*, merchant: Merchant, product_id: str, store: Any = None) -> ProductDetail:
    """A product with its images and every SKU's offer at ``store`` (the base offer when None)."""
    product = get_or_not_found(
        Product.objects.for_merchant(merchant)
        .select_related("category")
        .prefetch_related(Prefetch("skus", queryset=Sku.objects.order_by("id")), "images"),
        what="product",
        public_id=product_id,
    )
    skus = list(product.skus.all())
    overrides = _store_prices(skus, store)
    path = category_paths(merchant=merchant).get(product.category_id, "") if product.category_id else ""
    return ProductDetail(
        product=product,
        category_path=path,
        images=list(product.images.all()),
        offers=[_offer(sku, product, overrides.get(sku.pk)) for sku in skus],
    )


def sku_get(*, merchant: Merchant, sku_id: str) -> Sku:
    return get_or_not_found(Sku.objects.for_merchant(merchant).select_related("product"), what="SKU", public_id=sku_id)


def sku_get_by_code(*, merchant: Merchant, code: str) -> Sku:
    return get_or_not_found(Sku.objects.for_merchant(merchant).select_related("product"), what="SKU", code=code)


def sku_offer_at(*, sku: Sku, store: Any = None) -> SkuOffer:
    """The SKU's price and availability at ``store`` (or online when None)."""
    return _offer(sku, sku.product, _store_prices([sku], store).get(sku.pk))


def sku_price_at(sku: Sku, store: Any = None) -> int:
    """What ``sku`` costs at ``store`` in fen: the store's own price, or the base price."""
    return sku_offer_at(sku=sku, store=store).price_fen


def _store_prices(skus: Iterable[Sku], store: Any) -> dict[int, StorePrice]:
    if store is None:
        return {}
    rows = StorePrice.objects.filter(sku__in=list(skus), store_id=store.pk)
    return {row.sku_id: row for row in rows}


def _offer(sku: Sku, product: Product, store_price: StorePrice | None) -> SkuOffer:
    own_price = store_price is not None and store_price.price_fen is not None
    available = sku.is_active and (store_price is None or store_price.is_available)
    return SkuOffer(
        sku=sku,
        price_fen=store_price.price_fen if own_price else sku.price_fen,  # type: ignore[union-attr, arg-type]
        base_price_fen=sku.price_fen,
        list_price_fen=sku.list_price_fen,
        is_store_price=own_price,
        is_available=available,
        is_sellable=available and product.status == ProductStatus.ACTIVE,
    )


# --- import jobs ----------------------------------------------------------------------------


def import_job_list(*, merchant: Merchant) -> QuerySet[CatalogImportJob]:
    return CatalogImportJob.objects.for_merchant(merchant).order_by("-id")


def import_job_get(*, merchant: Merchant, import_job_id: str) -> CatalogImportJob:
    return get_or_not_found(CatalogImportJob.objects.for_merchant(merchant), what="import", public_id=import_job_id)


@dataclass(frozen=True)
class ImportProgress:
    status: str
    total: int
    processed: int
    errors: list[dict]
    created: int
    updated: int

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.SUCCEEDED:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)


def progress_cache_key(job_pk: int) -> str:
    return f"weloop:catalog:import:{job_pk}:processed"


def import_job_progress(job: CatalogImportJob) -> ImportProgress:
    """Where an import is, for the console's progress bar (polled).

    While rows are written the job row is inside the import's transaction, so the count of
    written rows travels through the cache; before and after, the row says it all.
    """
    processed = job.processed
    if job.status == ImportStatus.IMPORTING:
        processed = cache.get(progress_cache_key(job.pk), processed)
    return ImportProgress(
        status=job.status,
        total=job.total,
        processed=processed,
        errors=list(job.errors or []),
        created=job.created_count,
        updated=job.updated_count,
    )


def sku_sellable_list(*, merchant: Merchant) -> QuerySet[Sku]:
    """Active SKUs of products on sale, by product name: what staff can put in an order."""
    return (
        Sku.objects.for_merchant(merchant)
        .filter(is_active=True, product__status=ProductStatus.ACTIVE)
        .select_related("product")
        .order_by("product__name", "code")
    )
