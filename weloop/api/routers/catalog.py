"""/products, /skus and /categories: the catalog, its SKUs, per-store prices and categories.

Stock is read from inventory (one figure per location); it is changed through inventory, not here.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.catalog import (
    CategoryIn,
    CategoryOut,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatchIn,
    ProductStatusIn,
    SkuIn,
    SkuOut,
    SkuPatchIn,
    StorePriceIn,
    StorePriceOut,
    product_out,
)
from weloop.api.schemas.common import PageIn
from weloop.catalog import selectors, services
from weloop.catalog.models import Category, Sku
from weloop.inventory.selectors import sku_stock_by_location
from weloop.stores.selectors import store_get
from weloop.tenants.models import Merchant

products_router = Router(tags=["Catalog"])
skus_router = Router(tags=["Catalog"])
categories_router = Router(tags=["Catalog"])

ProductId = Annotated[str, Path(description="The product's public id (`pr_…`).", example="pr_4K9QX2M7PA")]
SkuId = Annotated[str, Path(description="The SKU's public id (`sku_…`).", example="sku_4K9QX2M7PA")]
StoreId = Annotated[str, Path(description="The store's public id (`st_…`).", example="st_4K9QX2M7PA")]
_ERRORS = (
    "Refused with 400 `catalog.invalid_product`, `catalog.product_name_taken`, `catalog.invalid_category` or "
    "`catalog.kind_not_available`; 404 when `category_id` is not one of your categories. Nothing is written then."
)
_SKU_ERRORS = (
    "Refused with 400 `money.invalid_amount` (a float, string or negative amount), `catalog.invalid_sku`, "
    "`catalog.invalid_options`, `catalog.sku_code_taken` or `catalog.sku_options_taken`; nothing is written then."
)


def _detail(merchant: Merchant, product_id: str, store_id: str | None = None) -> dict[str, Any]:
    store = store_get(merchant=merchant, public_id=store_id) if store_id else None
    detail = selectors.product_detail(merchant=merchant, product_id=product_id, store=store)
    stock = sku_stock_by_location(merchant=merchant, sku_ids=[offer.sku.public_id for offer in detail.offers])
    return product_out(detail, store=store, stock=stock)


# --- products -----------------------------------------------------------------------------------


@products_router.get("", response=ProductPage, summary="List products")
def list_products(request: HttpRequest, filters: Query[ProductFilters], page: Query[PageIn]) -> dict:
    """Your products by name, optionally filtered by category, status, kind, text or store."""
    merchant = merchant_of(request)
    store = store_get(merchant=merchant, public_id=filters.store_id) if filters.store_id else None
    products = selectors.product_list(
        merchant=merchant,
        category_id=filters.category_id,
        status=filters.status,
        kind=filters.kind,
        q=filters.q,
        store=store,
    ).prefetch_related(Prefetch("skus", queryset=Sku.objects.order_by("id")))
    return paginate(products, page)


@products_router.post(
    "",
    response={201: ProductOut},
    summary="Create a product",
    description="Create a `draft` product; add its SKUs next, then put it on sale with the status operation."
    + " "
    + _ERRORS,
)
def create_product(request: HttpRequest, payload: ProductIn) -> dict:
    merchant = merchant_of(request)
    product = services.product_create(merchant=merchant, data=payload.to_service(), actor=actor_of(request))
    return _detail(merchant, product.public_id)


@products_router.get("/{product_id}", response=ProductOut, summary="Get a product")
def get_product(
    request: HttpRequest,
    product_id: ProductId,
    store_id: Annotated[
        str | None, Query(description="Price the offers for this store (`st_…`); base prices when omitted.")
    ] = None,
) -> dict:
    """One product with its images and every SKU's price, availability and stock per location."""
    return _detail(merchant_of(request), product_id, store_id)


@products_router.patch(
    "/{product_id}",
    response=ProductOut,
    summary="Update a product",
    description="Change the given fields only. Option names change only while the product has no SKU "
    "(409 `catalog.options_in_use`). " + _ERRORS,
)
def update_product(request: HttpRequest, payload: ProductPatchIn, product_id: ProductId) -> dict:
    merchant = merchant_of(request)
    services.product_update(
        merchant=merchant, product_id=product_id, patch=payload.to_service(), actor=actor_of(request)
    )
    return _detail(merchant, product_id)


@products_router.post("/{product_id}/status", response=ProductOut, summary="Change a product's status")
def change_product_status(request: HttpRequest, payload: ProductStatusIn, product_id: ProductId) -> dict:
    """Put a product on sale (`active`), back to `draft`, or archive it. Allowed moves:
    draft → active|archived, active → draft|archived, archived → draft."""
    merchant = merchant_of(request)
    services.product_set_status(
        merchant=merchant,
        product_id=product_id,
        status=payload.status,
        actor=actor_of(request),
        reason=payload.reason,
    )
    return _detail(merchant, product_id)


@products_router.post(
    "/{product_id}/skus",
    response={201: SkuOut},
    summary="Add a SKU",
    description="Add a SKU (one combination of the product's options) with its base price." + " " + _SKU_ERRORS,
)
def create_sku(request: HttpRequest, payload: SkuIn, product_id: ProductId) -> Sku:
    sku = services.sku_create(
        merchant=merchant_of(request), product_id=product_id, data=payload.to_service(), actor=actor_of(request)
    )
    return sku


# --- SKUs ---------------------------------------------------------------------------------------


@skus_router.patch(
    "/{sku_id}",
    response=SkuOut,
    summary="Update a SKU",
    description="Change the given fields only; `list_price_fen: null` removes the list price." + " " + _SKU_ERRORS,
)
def update_sku(request: HttpRequest, payload: SkuPatchIn, sku_id: SkuId) -> Sku:
    return services.sku_update(
        merchant=merchant_of(request), sku_id=sku_id, patch=payload.to_service(), actor=actor_of(request)
    )


@skus_router.put("/{sku_id}/store-prices/{store_id}", response=StorePriceOut, summary="Set a store's price")
def set_store_price(request: HttpRequest, payload: StorePriceIn, sku_id: SkuId, store_id: StoreId) -> dict:
    """Set the store's own price of a SKU (null: the base price) and whether the store sells it.

    400 `money.invalid_amount` for a bad amount; 404 for a SKU or store that is not yours.
    """
    merchant = merchant_of(request)
    store = store_get(merchant=merchant, public_id=store_id)
    row = services.store_price_set(
        merchant=merchant,
        sku_id=sku_id,
        store=store,
        price_fen=payload.price_fen,
        is_available=payload.is_available,
        actor=actor_of(request),
    )
    return {
        "sku_id": row.sku.public_id,
        "store_id": store.public_id,
        "price_fen": row.price_fen,
        "is_available": row.is_available,
        "effective_price_fen": selectors.sku_price_at(row.sku, store),
    }


@skus_router.delete("/{sku_id}/store-prices/{store_id}", response={204: None}, summary="Clear a store's price")
def clear_store_price(request: HttpRequest, sku_id: SkuId, store_id: StoreId) -> None:
    """The store sells the SKU at the base price again. Clearing an absent store price is not an error."""
    merchant = merchant_of(request)
    store = store_get(merchant=merchant, public_id=store_id)
    services.store_price_clear(merchant=merchant, sku_id=sku_id, store=store)


# --- categories ---------------------------------------------------------------------------------


def _with_paths(merchant: Merchant, categories: list[Category]) -> list[Category]:
    paths = selectors.category_paths(merchant=merchant)
    for category in categories:
        category.path = paths.get(category.pk, category.name)  # type: ignore[attr-defined]
    return categories


@categories_router.get("", response=list[CategoryOut], summary="List categories")
def list_categories(request: HttpRequest) -> list[Category]:
    """Every category, ordered by position then name; `parent_id` and `path` give the tree."""
    merchant = merchant_of(request)
    return _with_paths(merchant, list(selectors.category_list(merchant=merchant).select_related("parent")))


@categories_router.post("", response={201: CategoryOut}, summary="Create a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Category:
    """Create a category at the top or under `parent_id`.

    400 `catalog.invalid_category` or `catalog.category_name_taken`; 404 for an unknown parent.
    """
    merchant = merchant_of(request)
    category = services.category_create(merchant=merchant, **payload.model_dump())
    return _with_paths(merchant, [category])[0]
