"""Writes of the catalog: categories, products, images, SKUs and per-store prices.

Every function takes ``merchant=`` and public ids, validates everything before it writes, and
writes nothing when it raises (one transaction each). Money is int fen: a float, a bool or a
negative amount raises ``money.invalid_amount``.

Stores are passed in as objects the caller fetched through ``stores.selectors`` (catalog and
stores share a layer and do not import each other); another merchant's store is a NotFound.

Events: ``catalog.product_created``, ``catalog.product_updated``, ``catalog.product_status_changed``,
``catalog.sku_created``, ``catalog.sku_updated``, ``catalog.store_price_changed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from weloop.catalog.calculations import (
    clean_description,
    clean_option_names,
    clean_options,
    clean_prices,
    clean_sku_code,
    clean_text,
    clean_weight,
    options_key,
)
from weloop.catalog.enums import SELLABLE_KINDS, ProductKind, ProductStatus
from weloop.catalog.errors import (
    CategoryInUse,
    CategoryNameTaken,
    InvalidCategory,
    InvalidImage,
    InvalidProduct,
    OptionsInUse,
    ProductKindNotAvailable,
    ProductNameTaken,
    ProductNotReady,
    SkuCodeTaken,
    SkuOptionsTaken,
)
from weloop.catalog.models import Category, Product, ProductImage, Sku, StorePrice
from weloop.catalog.state import PRODUCT
from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.core.money import require_fen
from weloop.tenants.models import Merchant


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# "Leave this field as it is", for fields where None is a value (no category, no list price).
UNSET: Any = _Unset()

MAX_IMAGE_BYTES = 5 * 1024 * 1024
_IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}
_url_validator = URLValidator(schemes=["http", "https"])


# --- categories -----------------------------------------------------------------------------


@transaction.atomic
def category_create(*, merchant: Merchant, name: str, parent_id: str | None = None, position: int = 0) -> Category:
    """Create a category, at the top or under ``parent_id``. Raises InvalidCategory or CategoryNameTaken."""
    category = Category(
        merchant=merchant,
        name=clean_text(name, field="name", max_length=60, required=True, error=InvalidCategory),
        parent=_category(merchant, parent_id) if parent_id else None,
        position=_position(position),
    )
    _save_category(category)
    return category


@transaction.atomic
def category_update(
    *,
    merchant: Merchant,
    category_id: str,
    name: str | None = None,
    parent_id: Any = UNSET,
    position: int | None = None,
) -> Category:
    """Rename, move (``parent_id``: a public id, or None for the top) or reorder a category.

    Refuses a move under itself or one of its descendants (InvalidCategory).
    """
    category = get_or_not_found(
        Category.objects.for_merchant(merchant).select_for_update(), what="category", public_id=category_id
    )
    if name is not None:
        category.name = clean_text(name, field="name", max_length=60, required=True, error=InvalidCategory)
    if parent_id is not UNSET:
        parent = _category(merchant, parent_id) if parent_id else None
        if parent is not None and _is_within(parent, category):
            raise InvalidCategory("A category cannot move under itself.", extra={"field": "parent"})
        category.parent = parent
    if position is not None:
        category.position = _position(position)
    _save_category(category)
    return category


@transaction.atomic
def category_delete(*, merchant: Merchant, category_id: str) -> None:
    """Delete an empty category. Raises CategoryInUse while it has products or sub-categories."""
    category = get_or_not_found(
        Category.objects.for_merchant(merchant).select_for_update(), what="category", public_id=category_id
    )
    if category.children.exists() or category.products.exists():
        raise CategoryInUse(extra={"category": category.public_id})
    category.delete()


def _category(merchant: Merchant, category_id: str) -> Category:
    return get_or_not_found(Category.objects.for_merchant(merchant), what="category", public_id=category_id)


def _is_within(candidate: Category, ancestor: Category) -> bool:
    node: Category | None = candidate
    while node is not None:
        if node.pk == ancestor.pk:
            return True
        node = node.parent
    return False


def _position(position: object) -> int:
    if isinstance(position, bool) or not isinstance(position, int) or abs(position) > 1_000_000:
        raise InvalidCategory("The position is a whole number.", extra={"field": "position"})
    return position


def _save_category(category: Category) -> None:
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise CategoryNameTaken(extra={"name": category.name}) from exc


# --- products -------------------------------------------------------------------------------


@dataclass
class ProductInput:
    name: str
    kind: str = ProductKind.PHYSICAL
    description: str = ""
    category_id: str | None = None
    # The names its SKUs vary by, in display order, e.g. ["size", "colour"]; empty = a single SKU.
    option_names: Sequence[str] = ()
    # None: the kind's default (physical: both allowed; virtual: neither, it is delivered as a code).
    allows_delivery: bool | None = None
    allows_pickup: bool | None = None


@dataclass
class ProductPatch:
    """Fields left at their default do not change; ``category_id=None`` removes the category."""

    name: str | None = None
    description: str | None = None
    category_id: Any = UNSET
    option_names: Sequence[str] | None = None
    allows_delivery: bool | None = None
    allows_pickup: bool | None = None
    changed: list[str] = field(default_factory=list)


@transaction.atomic
def product_create(*, merchant: Merchant, data: ProductInput, actor: str) -> Product:
    """Create a draft product. Raises InvalidProduct, ProductKindNotAvailable (deal and service
    kinds are reserved for the O2O apps), InvalidSkuOptions or ProductNameTaken. Emits
    catalog.product_created."""
    if data.kind not in SELLABLE_KINDS:
        if data.kind in ProductKind.values:
            raise ProductKindNotAvailable(extra={"kind": data.kind})
        raise InvalidProduct("Unknown product kind.", extra={"field": "kind", "value": str(data.kind)})
    delivery, pickup = _fulfilment(data.kind, data.allows_delivery, data.allows_pickup)
    product = Product(
        merchant=merchant,
        name=clean_text(data.name, field="name", max_length=120, required=True),
        description=clean_description(data.description),
        kind=data.kind,
        category=_category(merchant, data.category_id) if data.category_id else None,
        option_names=clean_option_names(data.option_names),
        allows_delivery=delivery,
        allows_pickup=pickup,
    )
    _save_product(product)
    publish(
        merchant=merchant, name="catalog.product_created", payload={"product_id": product.public_id, "actor": actor}
    )
    return product


@transaction.atomic
def deal_product_create(*, merchant: Merchant, name: str, description: str = "", actor: str) -> Product:
    """Create the draft product of kind ``deal`` a deal sells (for ``orders.deals.deal_launch`` only).

    A deal product is delivered as vouchers: neither shipped nor picked up. Raises InvalidProduct
    or ProductNameTaken. Emits catalog.product_created.
    """
    product = Product(
        merchant=merchant,
        name=clean_text(name, field="name", max_length=120, required=True),
        description=clean_description(description),
        kind=ProductKind.DEAL,
        option_names=[],
        allows_delivery=False,
        allows_pickup=False,
    )
    _save_product(product)
    publish(
        merchant=merchant, name="catalog.product_created", payload={"product_id": product.public_id, "actor": actor}
    )
    return product


def service_product_create(*, merchant: Merchant, name: str, description: str = "", actor: str) -> Product:
    """Create the draft product of kind ``service`` a bookable service sells (for ``weloop.bookings`` only).

    A service is neither shipped nor picked up: its orders are bookings paid online. The product
    stays a draft (not in the shop); bookings place its orders directly. Raises InvalidProduct or
    ProductNameTaken. Emits catalog.product_created.
    """
    product = Product(
        merchant=merchant,
        name=clean_text(name, field="name", max_length=120, required=True),
        description=clean_description(description),
        kind=ProductKind.SERVICE,
        option_names=[],
        allows_delivery=False,
        allows_pickup=False,
    )
    _save_product(product)
    publish(
        merchant=merchant, name="catalog.product_created", payload={"product_id": product.public_id, "actor": actor}
    )
    return product


@transaction.atomic
def product_update(*, merchant: Merchant, product_id: str, patch: ProductPatch, actor: str) -> Product:
    """Change the given fields. Option names change only while the product has no SKU
    (OptionsInUse). Same errors as product_create. Emits catalog.product_updated."""
    product = _product_for_update(merchant, product_id)
    changed = []
    if patch.name is not None:
        product.name = clean_text(patch.name, field="name", max_length=120, required=True)
        changed.append("name")
    if patch.description is not None:
        product.description = clean_description(patch.description)
        changed.append("description")
    if patch.category_id is not UNSET:
        product.category = _category(merchant, patch.category_id) if patch.category_id else None
        changed.append("category")
    if patch.option_names is not None:
        names = clean_option_names(patch.option_names)
        if names != product.option_names:
            if Sku.objects.for_merchant(merchant).filter(product=product).exists():
                raise OptionsInUse(extra={"product": product.public_id})
            product.option_names = names
            changed.append("option_names")
    if patch.allows_delivery is not None or patch.allows_pickup is not None:
        product.allows_delivery, product.allows_pickup = _fulfilment(
            product.kind,
            product.allows_delivery if patch.allows_delivery is None else patch.allows_delivery,
            product.allows_pickup if patch.allows_pickup is None else patch.allows_pickup,
        )
        changed.append("fulfilment")
    product.updated_at = clock.now()
    _save_product(product)
    publish(
        merchant=merchant,
        name="catalog.product_updated",
        payload={"product_id": product.public_id, "fields": changed, "actor": actor},
    )
    return product


def product_set_status(*, merchant: Merchant, product_id: str, status: str, actor: str, reason: str = "") -> Product:
    """Put a product on sale, back to draft, or archive it, through the PRODUCT machine.

    Going on sale needs at least one active SKU (ProductNotReady). Raises InvalidTransition for a
    move the machine forbids. Emits catalog.product_status_changed.
    """
    with transaction.atomic():
        product = _product_for_update(merchant, product_id)
        if status == ProductStatus.ACTIVE and not product.skus.filter(is_active=True).exists():
            raise ProductNotReady(extra={"product": product.public_id})
        previous = product.status
        PRODUCT.transition(product, status, actor=actor, reason=reason, extra_updates={"updated_at": clock.now()})
        publish(
            merchant=merchant,
            name="catalog.product_status_changed",
            payload={"product_id": product.public_id, "from": previous, "to": status, "actor": actor},
        )
    return product


def _product_for_update(merchant: Merchant, product_id: str) -> Product:
    return get_or_not_found(
        Product.objects.for_merchant(merchant).select_for_update(), what="product", public_id=product_id
    )


def _fulfilment(kind: str, delivery: bool | None, pickup: bool | None) -> tuple[bool, bool]:
    if kind == ProductKind.VIRTUAL:
        if delivery or pickup:
            raise InvalidProduct("A virtual product is delivered as a code, not shipped or picked up.")
        return False, False
    delivery = True if delivery is None else bool(delivery)
    pickup = True if pickup is None else bool(pickup)
    if not (delivery or pickup):
        raise InvalidProduct("A physical product needs home delivery, pickup in store, or both.")
    return delivery, pickup


def _save_product(product: Product) -> None:
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise ProductNameTaken(extra={"name": product.name}) from exc


# --- images ---------------------------------------------------------------------------------


@transaction.atomic
def product_image_add(
    *,
    merchant: Merchant,
    product_id: str,
    url: str | None = None,
    upload: File | None = None,
    position: int | None = None,
) -> ProductImage:
    """Add a picture: an http(s) ``url`` or an ``upload`` (PNG, JPEG, GIF or WebP, at most 5 MB,
    saved under MEDIA_ROOT). Exactly one of the two. Raises InvalidImage."""
    product = _product_for_update(merchant, product_id)
    if (url is None) == (upload is None):
        raise InvalidImage("Give either an image URL or a file.")
    if position is None:
        position = (product.images.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    image = ProductImage(merchant=merchant, product=product, position=_position(position))
    if url is not None:
        image.url = _clean_image_url(url)
        image.save()
    else:
        assert upload is not None
        extension = _image_extension(upload)
        image.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=True)
    return image


@transaction.atomic
def product_image_remove(*, merchant: Merchant, product_id: str, image_id: str) -> None:
    product = _product_for_update(merchant, product_id)
    image = get_or_not_found(
        ProductImage.objects.for_merchant(merchant).filter(product=product), what="image", public_id=image_id
    )
    stored = image.file.name if image.file else ""
    image.delete()
    if stored:
        transaction.on_commit(lambda: image.file.storage.delete(stored))


def _clean_image_url(url: str) -> str:
    url = (url or "").strip()
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise InvalidImage(extra={"field": "url"}) from exc
    if len(url) > 500:
        raise InvalidImage(extra={"field": "url"})
    return url


def _image_extension(upload: File) -> str:
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise InvalidImage(extra={"field": "file", "size": upload.size})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, extension in _IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    raise InvalidImage(extra={"field": "file"})


# --- SKUs -----------------------------------------------------------------------------------


@dataclass
class SkuInput:
    code: str
    price_fen: int
    options: Mapping[str, str] = field(default_factory=dict)
    list_price_fen: int | None = None
    weight_g: int | None = None
    is_active: bool = True


@dataclass
class SkuPatch:
    """Fields left at their default do not change; ``list_price_fen=None`` removes the list price."""

    code: str | None = None
    options: Mapping[str, str] | None = None
    price_fen: int | None = None
    list_price_fen: Any = UNSET
    weight_g: Any = UNSET
    is_active: bool | None = None


@transaction.atomic
def sku_create(*, merchant: Merchant, product_id: str, data: SkuInput, actor: str) -> Sku:
    """Add a SKU to a product: one value per option name of the product, a merchant-unique code,
    prices in fen. Raises InvalidSku, InvalidSkuOptions, InvalidAmount, SkuCodeTaken or
    SkuOptionsTaken; writes nothing then. Emits catalog.sku_created."""
    product = _product_for_update(merchant, product_id)
    options = clean_options(product.option_names, data.options)
    price, list_price = clean_prices(data.price_fen, data.list_price_fen)
    sku = Sku(
        merchant=merchant,
        product=product,
        code=clean_sku_code(data.code),
        options=options,
        options_key=options_key(options),
        price_fen=price,
        list_price_fen=list_price,
        weight_g=clean_weight(data.weight_g),
        is_active=bool(data.is_active),
    )
    _save_sku(sku)
    publish(
        merchant=merchant,
        name="catalog.sku_created",
        payload={"sku_id": sku.public_id, "product_id": product.public_id, "actor": actor},
    )
    return sku


@transaction.atomic
def sku_update(*, merchant: Merchant, sku_id: str, patch: SkuPatch, actor: str) -> Sku:
    """Change the given fields of a SKU. Same errors as sku_create. Emits catalog.sku_updated."""
    sku = get_or_not_found(
        Sku.objects.for_merchant(merchant).select_related("product").select_for_update(), what="SKU", public_id=sku_id
    )
    changed = []
    if patch.code is not None:
        sku.code = clean_sku_code(patch.code)
        changed.append("code")
    if patch.options is not None:
        sku.options = clean_options(sku.product.option_names, patch.options)
        sku.options_key = options_key(sku.options)
        changed.append("options")
    if patch.price_fen is not None or patch.list_price_fen is not UNSET:
        sku.price_fen, sku.list_price_fen = clean_prices(
            sku.price_fen if patch.price_fen is None else patch.price_fen,
            sku.list_price_fen if patch.list_price_fen is UNSET else patch.list_price_fen,
        )
        changed.append("price")
    if patch.weight_g is not UNSET:
        sku.weight_g = clean_weight(patch.weight_g)
        changed.append("weight_g")
    if patch.is_active is not None:
        sku.is_active = bool(patch.is_active)
        changed.append("is_active")
    sku.updated_at = clock.now()
    _save_sku(sku)
    publish(
        merchant=merchant,
        name="catalog.sku_updated",
        payload={"sku_id": sku.public_id, "fields": changed, "actor": actor},
    )
    return sku


def _save_sku(sku: Sku) -> None:
    # Check first to name the clash; the unique indexes still decide when two writers race.
    siblings = Sku.objects.for_merchant(sku.merchant).exclude(pk=sku.pk)
    if siblings.filter(code=sku.code).exists():
        raise SkuCodeTaken(extra={"code": sku.code})
    if siblings.filter(product_id=sku.product_id, options_key=sku.options_key).exists():
        raise SkuOptionsTaken(extra={"options": sku.options})
    try:
        with transaction.atomic():
            sku.save()
    except IntegrityError as exc:
        raise SkuCodeTaken(extra={"code": sku.code}) from exc


# --- per-store prices -----------------------------------------------------------------------


@transaction.atomic
def store_price_set(
    *, merchant: Merchant, sku_id: str, store: Any, price_fen: int | None, is_available: bool = True, actor: str
) -> StorePrice:
    """Set ``store``'s own price of a SKU (None: the base price) and whether the store sells it.

    ``store`` is a stores.Store of the merchant (NotFound otherwise). Emits catalog.store_price_changed.
    """
    _require_own_store(merchant, store)
    sku = get_or_not_found(Sku.objects.for_merchant(merchant), what="SKU", public_id=sku_id)
    price = None if price_fen is None else require_fen(price_fen, field="price_fen")
    store_price, _ = StorePrice.objects.update_or_create(
        merchant=merchant,
        sku=sku,
        store_id=store.pk,
        defaults={"price_fen": price, "is_available": bool(is_available), "updated_at": clock.now()},
    )
    publish(
        merchant=merchant,
        name="catalog.store_price_changed",
        payload={
            "sku_id": sku.public_id,
            "store_id": store.public_id,
            "price_fen": price,
            "is_available": bool(is_available),
            "actor": actor,
        },
    )
    return store_price


@transaction.atomic
def store_price_clear(*, merchant: Merchant, sku_id: str, store: Any) -> None:
    """Drop a store's own price and availability: the store sells the SKU at the base price again."""
    _require_own_store(merchant, store)
    sku = get_or_not_found(Sku.objects.for_merchant(merchant), what="SKU", public_id=sku_id)
    StorePrice.objects.for_merchant(merchant).filter(sku=sku, store_id=store.pk).delete()


def _require_own_store(merchant: Merchant, store: Any) -> None:
    if store is None or getattr(store, "merchant_id", None) != merchant.pk or store.pk is None:
        raise NotFound("No such store.", extra={"what": "store"})
