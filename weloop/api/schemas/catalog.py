"""The catalog over the API: categories, products, SKUs and per-store prices.

Money fields end in ``_fen`` and are integers of fen (1 yuan = 100 fen). They are typed loosely
here and handed to ``weloop.catalog.services`` unchanged, so a float (12.5), a string or a negative
amount is refused with 400 ``money.invalid_amount`` by the same check the console and the CSV
import use: pydantic never rounds 12.5 down to 12. The JSON schema still says ``integer >= 0``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, WithJsonSchema

from weloop.api.schemas.common import InputSchema, Page
from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.models import Category, Product, Sku
from weloop.catalog.selectors import ProductDetail, SkuOffer
from weloop.catalog.services import UNSET, ProductInput, ProductPatch, SkuInput, SkuPatch

FenIn = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
OptionalFenIn = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]})]

_FEN = (
    "An integer amount of fen (1 yuan = 100 fen); a float, a string or a negative number is 400 `money.invalid_amount`."
)
_KEEP = "Omit to keep the current value."


# --- categories ---------------------------------------------------------------------------------


class CategoryIn(InputSchema):
    name: str = Field(
        description="Category name, unique among its siblings (1-60 characters).",
        examples=["咖啡"],
        json_schema_extra={"maxLength": 60},
    )
    parent_id: str | None = Field(
        None, description="The parent category's public id (`cat_…`); null for a top-level category."
    )
    position: int = Field(0, description="Sort position among its siblings; lower comes first.", examples=[0])


class CategoryOut(Schema):
    id: str = Field(description="The category's public id (`cat_…`).", examples=["cat_4K9QX2M7PA"])
    name: str = Field(description="Category name.", examples=["咖啡"])
    parent_id: str | None = Field(description="The parent category's public id; null at the top level.")
    position: int = Field(description="Sort position among its siblings.", examples=[0])
    path: str = Field(description="Names from the top down, joined by ` > `.", examples=["饮品 > 咖啡"])

    @staticmethod
    def resolve_id(obj: Category) -> str:
        return obj.public_id

    @staticmethod
    def resolve_parent_id(obj: Category) -> str | None:
        return obj.parent.public_id if obj.parent else None

    @staticmethod
    def resolve_path(obj: Category) -> str:
        return getattr(obj, "path", obj.name)


# --- products -----------------------------------------------------------------------------------


class ProductFilters(Schema):
    category_id: str | None = Field(
        None, description="Only products in this category (`cat_…`) or any of its sub-categories."
    )
    status: ProductStatus | None = Field(None, description="Only products with this status.")
    kind: ProductKind | None = Field(None, description="Only products of this kind.")
    q: str | None = Field(None, description="Text searched in the name, the description and the SKU codes.")
    store_id: str | None = Field(
        None, description="Only products with at least one active SKU that this store (`st_…`) sells."
    )


class ProductIn(InputSchema):
    name: str = Field(
        description="Product name, unique among your products (1-120 characters).",
        examples=["拿铁"],
        json_schema_extra={"maxLength": 120},
    )
    kind: ProductKind = Field(
        ProductKind.PHYSICAL,
        description="`physical` (delivered or picked up) or `virtual` (a top-up, ticket or code). "
        "`deal` and `service` are reserved: 400 `catalog.kind_not_available`.",
    )
    description: str = Field("", description="Shown on the product page.", examples=["意式浓缩加鲜牛奶。"])
    category_id: str | None = Field(None, description="The category's public id (`cat_…`), or null for none.")
    option_names: list[str] = Field(
        default_factory=list,
        description="The options its SKUs vary by, in display order; empty for a product with one SKU.",
        examples=[["杯型", "温度"]],
    )
    allows_delivery: bool | None = Field(
        None, description="Physical products: home delivery allowed (default true). Must be false or null for virtual."
    )
    allows_pickup: bool | None = Field(
        None,
        description="Physical products: pickup in store allowed (default true). Must be false or null for virtual.",
    )

    def to_service(self) -> ProductInput:
        return ProductInput(**self.model_dump())


class ProductPatchIn(InputSchema):
    name: str | None = Field(None, description=f"New name. {_KEEP}")
    description: str | None = Field(None, description=f"New description; an empty string clears it. {_KEEP}")
    category_id: str | None = Field(None, description=f"New category (`cat_…`); null removes the category. {_KEEP}")
    option_names: list[str] | None = Field(
        None, description=f"New option names; only while the product has no SKU (else 409). {_KEEP}"
    )
    allows_delivery: bool | None = Field(None, description=f"Home delivery allowed. {_KEEP}")
    allows_pickup: bool | None = Field(None, description=f"Pickup in store allowed. {_KEEP}")

    def to_service(self) -> ProductPatch:
        data = self.model_dump(exclude={"category_id"})
        category = self.category_id if "category_id" in self.model_fields_set else UNSET
        return ProductPatch(**data, category_id=category)


class ProductStatusIn(InputSchema):
    status: ProductStatus = Field(
        description="`active` (on sale; needs an active SKU, else 409 `catalog.product_not_ready`), `draft` or "
        "`archived`. A move the state machine forbids is 409 `state.invalid_transition`.",
        examples=["active"],
    )
    reason: str = Field("", description="Why, kept in the status history.", json_schema_extra={"maxLength": 500})


class ProductSummaryOut(Schema):
    id: str = Field(description="The product's public id (`pr_…`).", examples=["pr_4K9QX2M7PA"])
    name: str = Field(description="Product name.", examples=["拿铁"])
    kind: ProductKind = Field(description="`physical` or `virtual`.")
    status: ProductStatus = Field(description="`draft`, `active` (on sale) or `archived`.")
    category_id: str | None = Field(description="The category's public id; null when it has none.")
    option_names: list[str] = Field(description="The options its SKUs vary by.", examples=[["杯型", "温度"]])
    sku_count: int = Field(description="How many SKUs it has.", examples=[4])
    min_price_fen: int | None = Field(description="Lowest base price of its active SKUs, in fen.", examples=[2800])
    max_price_fen: int | None = Field(description="Highest base price of its active SKUs, in fen.", examples=[3200])
    updated_at: dt.datetime = Field(description="When the product was last changed (ISO 8601).")

    @staticmethod
    def resolve_id(obj: Product) -> str:
        return obj.public_id

    @staticmethod
    def resolve_category_id(obj: Product) -> str | None:
        return obj.category.public_id if obj.category else None

    @staticmethod
    def resolve_sku_count(obj: Product) -> int:
        return len(obj.skus.all())

    @staticmethod
    def resolve_min_price_fen(obj: Product) -> int | None:
        return min((s.price_fen for s in obj.skus.all() if s.is_active), default=None)

    @staticmethod
    def resolve_max_price_fen(obj: Product) -> int | None:
        return max((s.price_fen for s in obj.skus.all() if s.is_active), default=None)


class ProductPage(Page):
    items: list[ProductSummaryOut] = Field(description="This page of products, by name.")


class SkuOut(Schema):
    id: str = Field(description="The SKU's public id (`sku_…`).", examples=["sku_4K9QX2M7PA"])
    product_id: str = Field(description="Its product's public id (`pr_…`).")
    code: str = Field(description="Your SKU code, unique among your SKUs.", examples=["CF-LATTE-M-HOT"])
    options: dict[str, str] = Field(
        description="One value per option name of the product.", examples=[{"杯型": "中杯", "温度": "热"}]
    )
    price_fen: int = Field(description="Base price in fen.", examples=[2800])
    list_price_fen: int | None = Field(description="Crossed-out list price in fen; null when none.", examples=[3200])
    weight_g: int | None = Field(description="Shipping weight in grams; null when unknown.", examples=[350])
    is_active: bool = Field(description="Whether it can be sold at all.")

    @staticmethod
    def resolve_id(obj: Sku) -> str:
        return obj.public_id

    @staticmethod
    def resolve_product_id(obj: Sku) -> str:
        return obj.product.public_id


class OfferOut(Schema):
    sku: SkuOut = Field(description="The SKU.")
    price_fen: int = Field(description="What it costs at the store asked for: its own price or the base price.")
    is_store_price: bool = Field(description="Whether `price_fen` is the store's own price.")
    is_available: bool = Field(description="The SKU is active and the store sells it.")
    is_sellable: bool = Field(description="Available, and the product is on sale.")
    stock: dict[str, int] = Field(
        description="Units available now per stock location (a store's location is named after the store).",
        examples=[{"福田 COCO Park 店": 12}],
    )


class ProductOut(Schema):
    id: str = Field(description="The product's public id (`pr_…`).", examples=["pr_4K9QX2M7PA"])
    name: str = Field(description="Product name.", examples=["拿铁"])
    description: str = Field(description="Shown on the product page.")
    kind: ProductKind = Field(description="`physical` or `virtual`.")
    status: ProductStatus = Field(description="`draft`, `active` (on sale) or `archived`.")
    category_id: str | None = Field(description="The category's public id; null when it has none.")
    category_path: str = Field(description="The category's names from the top, joined by ` > `.", examples=["咖啡"])
    option_names: list[str] = Field(description="The options its SKUs vary by.", examples=[["杯型", "温度"]])
    allows_delivery: bool = Field(description="Home delivery allowed (always false for virtual products).")
    allows_pickup: bool = Field(description="Pickup in store allowed (always false for virtual products).")
    images: list[str] = Field(description="Picture URLs, in display order.")
    store_id: str | None = Field(description="The store the offers are priced for; null for the base prices.")
    offers: list[OfferOut] = Field(description="Every SKU with its price and availability (at `store_id`).")
    created_at: dt.datetime = Field(description="When the product was created (ISO 8601).")
    updated_at: dt.datetime = Field(description="When the product was last changed (ISO 8601).")


def product_out(detail: ProductDetail, *, store: Any, stock: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The ProductOut body of a product detail; ``stock`` is ``{sku public id: {location: units}}``."""
    product = detail.product
    return {
        "id": product.public_id,
        "name": product.name,
        "description": product.description,
        "kind": product.kind,
        "status": product.status,
        "category_id": product.category.public_id if product.category else None,
        "category_path": detail.category_path,
        "option_names": product.option_names,
        "allows_delivery": product.allows_delivery,
        "allows_pickup": product.allows_pickup,
        "images": [image.src for image in detail.images],
        "store_id": store.public_id if store is not None else None,
        "offers": [_offer_out(offer, stock.get(offer.sku.public_id, {})) for offer in detail.offers],
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def _offer_out(offer: SkuOffer, stock: dict[str, int]) -> dict[str, Any]:
    return {
        "sku": offer.sku,
        "price_fen": offer.price_fen,
        "is_store_price": offer.is_store_price,
        "is_available": offer.is_available,
        "is_sellable": offer.is_sellable,
        "stock": stock,
    }


# --- SKUs and store prices ----------------------------------------------------------------------


class SkuIn(InputSchema):
    code: str = Field(
        description="Your SKU code, unique among your SKUs (letters, digits, - _ .).",
        examples=["CF-LATTE-M-HOT"],
        json_schema_extra={"maxLength": 64},
    )
    price_fen: FenIn = Field(description=f"Base price. {_FEN}", examples=[2800])
    options: dict[str, str] = Field(
        default_factory=dict,
        description="Exactly one value per option name of the product (400 `catalog.invalid_options` otherwise).",
        examples=[{"杯型": "中杯", "温度": "热"}],
    )
    list_price_fen: OptionalFenIn = Field(
        None, description=f"Crossed-out list price, at least `price_fen`; null for none. {_FEN}", examples=[3200]
    )
    weight_g: int | None = Field(None, description="Shipping weight in grams; null when unknown.", examples=[350])
    is_active: bool = Field(True, description="Whether it can be sold.")

    def to_service(self) -> SkuInput:
        return SkuInput(**self.model_dump())


class SkuPatchIn(InputSchema):
    code: str | None = Field(None, description=f"New SKU code. {_KEEP}")
    options: dict[str, str] | None = Field(None, description=f"New option values. {_KEEP}")
    price_fen: OptionalFenIn = Field(None, description=f"New base price. {_FEN} {_KEEP}", examples=[3000])
    list_price_fen: OptionalFenIn = Field(None, description=f"New list price; null removes it. {_FEN} {_KEEP}")
    weight_g: int | None = Field(None, description=f"New weight in grams; null clears it. {_KEEP}")
    is_active: bool | None = Field(None, description=f"Whether it can be sold. {_KEEP}")

    def to_service(self) -> SkuPatch:
        given = self.model_fields_set
        return SkuPatch(
            code=self.code,
            options=self.options,
            price_fen=self.price_fen,
            list_price_fen=self.list_price_fen if "list_price_fen" in given else UNSET,
            weight_g=self.weight_g if "weight_g" in given else UNSET,
            is_active=self.is_active,
        )


class StorePriceIn(InputSchema):
    price_fen: OptionalFenIn = Field(
        None, description=f"The store's own price; null sells at the base price. {_FEN}", examples=[3000]
    )
    is_available: bool = Field(True, description="Whether the store sells this SKU at all.")


class StorePriceOut(Schema):
    sku_id: str = Field(description="The SKU's public id.", examples=["sku_4K9QX2M7PA"])
    store_id: str = Field(description="The store's public id.", examples=["st_4K9QX2M7PA"])
    price_fen: int | None = Field(description="The store's own price in fen; null: the base price.", examples=[3000])
    is_available: bool = Field(description="Whether the store sells this SKU.")
    effective_price_fen: int = Field(description="What the SKU costs in this store, in fen.", examples=[3000])
