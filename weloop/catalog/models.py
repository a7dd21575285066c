"""The catalog: categories, products with option names, SKUs (one per combination), images and
per-store prices.

A product names its options (``["size", "colour"]``); each SKU gives exactly those keys a value
(``{"size": "38", "colour": "black"}``). ``options_key`` is the canonical text of the values, so
the database refuses two SKUs of one product with the same combination. Money is int fen.

Stores are referenced by model name only: catalog and stores share a layer and do not import each
other. Stock is not here: it lives in ``inventory`` as capacity pools whose subject is
``sku:<public_id>``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.catalog.enums import ImportStatus, ProductKind, ProductStatus
from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel


class Category(TenantModel):
    public_id = public_id_field("cat_")
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey("self", on_delete=models.RESTRICT, null=True, blank=True, related_name="children")
    position = models.IntegerField(_("position"), default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="category_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "parent", "name"],
                condition=Q(parent__isnull=False),
                name="category_name_per_parent",
            ),
            # NULL parents are distinct in a plain unique index, so top-level names need their own.
            models.UniqueConstraint(
                fields=["merchant", "name"], condition=Q(parent__isnull=True), name="category_name_at_top"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TenantModel):
    public_id = public_id_field("pr_")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices, default=ProductKind.PHYSICAL)
    category = models.ForeignKey(
        Category, on_delete=models.RESTRICT, null=True, blank=True, related_name="products", verbose_name=_("category")
    )
    # The names of the options its SKUs vary by, in display order: ["size", "colour"]; [] = one SKU.
    option_names = models.JSONField(_("options"), default=list, blank=True)
    status = models.CharField(max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT)
    allows_delivery = models.BooleanField(_("home delivery"), default=True)
    allows_pickup = models.BooleanField(_("pickup in store"), default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="product_public_id_per_merchant"),
            # Unique names let a CSV row name its product; archive and rename to reuse a name.
            models.UniqueConstraint(fields=["merchant", "name"], name="product_name_per_merchant"),
            models.CheckConstraint(condition=Q(kind__in=ProductKind.values), name="product_kind_known"),
            models.CheckConstraint(condition=Q(status__in=ProductStatus.values), name="product_status_known"),
        ]
        indexes = [models.Index(fields=["merchant", "status", "category"], name="product_listing_idx")]

    def __str__(self) -> str:
        return self.name


class ProductImage(TenantModel):
    """A picture of a product: an uploaded file under MEDIA_ROOT, or an http(s) URL."""

    public_id = public_id_field("img_")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    url = models.URLField(max_length=500, blank=True, default="")
    file = models.FileField(upload_to="catalog/products/%Y/%m/", blank=True, default="")
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="product_image_public_id_per_merchant"),
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="product_image_url_or_file",
            ),
        ]

    @property
    def src(self) -> str:
        return self.url or self.file.url


class Sku(TenantModel):
    """One sellable variant of a product, with its merchant-unique code and its base price."""

    public_id = public_id_field("sku_")
    product = models.ForeignKey(Product, on_delete=models.RESTRICT, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=64)
    options = models.JSONField(_("option values"), default=dict, blank=True)
    # "colour=black;size=38": the values sorted by option name, so equal combinations compare equal.
    options_key = models.CharField(max_length=500, blank=True, default="")
    price_fen = models.BigIntegerField(_("price"))
    list_price_fen = models.BigIntegerField(_("list price"), null=True, blank=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["product_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="sku_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "code"], name="sku_code_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "product", "options_key"], name="sku_options_per_product"),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="sku_price_not_negative"),
            models.CheckConstraint(
                condition=Q(list_price_fen__isnull=True) | Q(list_price_fen__gte=F("price_fen")),
                name="sku_list_price_not_below_price",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class StorePrice(TenantModel):
    """A store's own price for a SKU (``None`` = the base price) and whether the store sells it."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="store_prices")
    store = models.ForeignKey("stores.Store", on_delete=models.CASCADE, related_name="+")
    price_fen = models.BigIntegerField(_("store price"), null=True, blank=True)
    is_available = models.BooleanField(_("sold in this store"), default=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "sku", "store"], name="store_price_once_per_store"),
            models.CheckConstraint(
                condition=Q(price_fen__isnull=True) | Q(price_fen__gte=0), name="store_price_not_negative"
            ),
        ]


class CatalogImportJob(TenantModel):
    """One CSV import, run by the queue; the console polls it for progress and row errors."""

    URL_KWARG = "import_job_id"

    public_id = public_id_field("imp_")
    file = models.FileField(upload_to="catalog/imports/%Y/%m/")
    filename = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "price", "code": "money.invalid_amount", "message": "..."}], at most 500.
    errors = models.JSONField(default=list, blank=True)
    # The location names ``stock:<name>`` columns may use (None: any name, see services.catalog_import_start).
    stock_locations = models.JSONField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="catalog_import_public_id_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.public_id
