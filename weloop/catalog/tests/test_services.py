"""Catalog writes: categories, products, images, SKUs and store prices; bad input writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.errors import (
    CategoryInUse,
    CategoryNameTaken,
    InvalidCategory,
    InvalidImage,
    InvalidProduct,
    InvalidSku,
    InvalidSkuOptions,
    OptionsInUse,
    ProductKindNotAvailable,
    ProductNameTaken,
    ProductNotReady,
    SkuCodeTaken,
    SkuOptionsTaken,
)
from weloop.catalog.models import Category, Product, ProductImage, Sku, StorePrice
from weloop.catalog.services import (
    ProductInput,
    ProductPatch,
    SkuInput,
    SkuPatch,
    category_create,
    category_delete,
    category_update,
    product_create,
    product_image_add,
    product_image_remove,
    product_set_status,
    product_update,
    sku_create,
    sku_update,
    store_price_clear,
    store_price_set,
)
from weloop.core.errors import InvalidTransition, NotFound
from weloop.core.models import OutboxEvent
from weloop.core.money import InvalidAmount

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- categories -----------------------------------------------------------------------------


def test_categories_nest_and_names_are_unique_per_parent(merchant, other_merchant, shoes):
    running = category_create(merchant=merchant, name="Running", parent_id=shoes.public_id, position=2)
    category_create(merchant=merchant, name="Running")  # the same name at the top is another category
    category_create(merchant=other_merchant, name="Shoes")  # and another merchant's is theirs

    assert running.parent == shoes
    with pytest.raises(CategoryNameTaken):
        category_create(merchant=merchant, name="Running", parent_id=shoes.public_id)
    with pytest.raises(CategoryNameTaken):
        category_create(merchant=merchant, name="  Shoes ")
    assert Category.objects.for_merchant(merchant).count() == 3


def test_category_update_moves_renames_and_refuses_cycles(merchant, shoes):
    running = category_create(merchant=merchant, name="Running", parent_id=shoes.public_id)
    trail = category_create(merchant=merchant, name="Trail", parent_id=running.public_id)

    with pytest.raises(InvalidCategory):
        category_update(merchant=merchant, category_id=shoes.public_id, parent_id=trail.public_id)
    with pytest.raises(InvalidCategory):
        category_update(merchant=merchant, category_id=shoes.public_id, parent_id=shoes.public_id)
    moved = category_update(merchant=merchant, category_id=trail.public_id, parent_id=None, name="Trail shoes")

    assert (moved.parent, moved.name) == (None, "Trail shoes")
    assert Category.objects.get(pk=shoes.pk).parent is None


def test_category_delete_refuses_a_category_in_use(merchant, shoes, sneaker):
    empty = category_create(merchant=merchant, name="Empty")
    category_create(merchant=merchant, name="Child", parent_id=empty.public_id)

    with pytest.raises(CategoryInUse):
        category_delete(merchant=merchant, category_id=shoes.public_id)  # has a product
    with pytest.raises(CategoryInUse):
        category_delete(merchant=merchant, category_id=empty.public_id)  # has a child
    category_delete(merchant=merchant, category_id=Category.objects.get(name="Child").public_id)
    category_delete(merchant=merchant, category_id=empty.public_id)
    assert list(Category.objects.for_merchant(merchant)) == [shoes]


def test_another_merchants_category_is_not_found(merchant, other_merchant):
    foreign = category_create(merchant=other_merchant, name="Theirs")

    with pytest.raises(NotFound):
        category_create(merchant=merchant, name="Mine", parent_id=foreign.public_id)
    with pytest.raises(NotFound):
        product_create(merchant=merchant, data=ProductInput(name="P", category_id=foreign.public_id), actor="t")
    with pytest.raises(NotFound):
        category_delete(merchant=merchant, category_id=foreign.public_id)


# --- products -------------------------------------------------------------------------------


def test_product_create_makes_a_draft_and_publishes_it(merchant, sneaker, shoes):
    assert (sneaker.status, sneaker.kind, sneaker.category, sneaker.option_names) == (
        ProductStatus.DRAFT,
        ProductKind.PHYSICAL,
        shoes,
        ["size", "colour"],
    )
    assert (sneaker.allows_delivery, sneaker.allows_pickup) == (True, True)
    event = OutboxEvent.objects.get(name="catalog.product_created")
    assert event.payload == {"product_id": sneaker.public_id, "actor": "test"}


def test_virtual_products_are_delivered_as_codes(merchant):
    card = product_create(merchant=merchant, data=ProductInput(name="Top-up ¥50", kind=ProductKind.VIRTUAL), actor="t")

    assert (card.allows_delivery, card.allows_pickup) == (False, False)
    with pytest.raises(InvalidProduct):
        product_create(
            merchant=merchant, data=ProductInput(name="Ticket", kind="virtual", allows_pickup=True), actor="t"
        )


def test_a_physical_product_needs_a_way_to_reach_the_customer(merchant):
    with pytest.raises(InvalidProduct):
        product_create(
            merchant=merchant, data=ProductInput(name="Lost", allows_delivery=False, allows_pickup=False), actor="t"
        )
    pickup_only = product_create(merchant=merchant, data=ProductInput(name="Cake", allows_delivery=False), actor="t")
    assert (pickup_only.allows_delivery, pickup_only.allows_pickup) == (False, True)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("deal", ProductKindNotAvailable), ("service", ProductKindNotAvailable), ("gift", InvalidProduct)],
)
def test_reserved_and_unknown_kinds_are_refused(merchant, kind, error):
    with pytest.raises(error):
        product_create(merchant=merchant, data=ProductInput(name="X", kind=kind), actor="t")
    assert not Product.objects.exists()


def test_product_names_are_unique_per_merchant(merchant, other_merchant, sneaker):
    product_create(merchant=other_merchant, data=ProductInput(name="Canvas sneaker"), actor="t")

    with pytest.raises(ProductNameTaken):
        product_create(merchant=merchant, data=ProductInput(name="Canvas  sneaker"), actor="t")
    with pytest.raises(InvalidProduct):
        product_create(merchant=merchant, data=ProductInput(name="   "), actor="t")


def test_product_update_changes_only_given_fields(merchant, sneaker):
    updated = product_update(
        merchant=merchant,
        product_id=sneaker.public_id,
        patch=ProductPatch(description="Vulcanised sole", category_id=None, allows_delivery=False),
        actor="t",
    )

    assert (updated.name, updated.description, updated.category) == ("Canvas sneaker", "Vulcanised sole", None)
    assert (updated.allows_delivery, updated.allows_pickup) == (False, True)
    event = OutboxEvent.objects.filter(name="catalog.product_updated").get()
    assert event.payload["fields"] == ["description", "category", "fulfilment"]


def test_option_names_change_only_while_there_is_no_sku(merchant, sneaker, make_sku):
    product_update(
        merchant=merchant, product_id=sneaker.public_id, patch=ProductPatch(option_names=["size"]), actor="t"
    )
    make_sku(Product.objects.get(pk=sneaker.pk), "S-38", size="38")

    with pytest.raises(OptionsInUse):
        product_update(
            merchant=merchant, product_id=sneaker.public_id, patch=ProductPatch(option_names=["colour"]), actor="t"
        )
    assert Product.objects.get(pk=sneaker.pk).option_names == ["size"]


def test_a_product_goes_on_sale_only_with_an_active_sku(merchant, sneaker, make_sku):
    with pytest.raises(ProductNotReady):
        product_set_status(merchant=merchant, product_id=sneaker.public_id, status="active", actor="t")
    sku = make_sku(sneaker, "S-1", size="38", colour="black")
    sku_update(merchant=merchant, sku_id=sku.public_id, patch=SkuPatch(is_active=False), actor="t")
    with pytest.raises(ProductNotReady):
        product_set_status(merchant=merchant, product_id=sneaker.public_id, status="active", actor="t")
    sku_update(merchant=merchant, sku_id=sku.public_id, patch=SkuPatch(is_active=True), actor="t")

    on_sale = product_set_status(merchant=merchant, product_id=sneaker.public_id, status="active", actor="owner")

    assert on_sale.status == ProductStatus.ACTIVE
    archived = product_set_status(merchant=merchant, product_id=sneaker.public_id, status="archived", actor="owner")
    assert archived.status == ProductStatus.ARCHIVED
    with pytest.raises(InvalidTransition):
        product_set_status(merchant=merchant, product_id=sneaker.public_id, status="active", actor="owner")
    event = OutboxEvent.objects.filter(name="catalog.product_status_changed").first()
    assert event.payload == {"product_id": sneaker.public_id, "from": "active", "to": "archived", "actor": "owner"}


# --- images ---------------------------------------------------------------------------------


def test_images_are_urls_or_uploaded_pictures(merchant, sneaker, settings):
    by_url = product_image_add(merchant=merchant, product_id=sneaker.public_id, url="https://cdn.example.com/a.jpg")
    upload = product_image_add(
        merchant=merchant, product_id=sneaker.public_id, upload=SimpleUploadedFile("x.png", PNG, "image/png")
    )

    assert (by_url.position, upload.position) == (1, 2)
    assert by_url.src == "https://cdn.example.com/a.jpg"
    assert upload.file.name.startswith("catalog/products/") and upload.file.name.endswith(".png")
    stored = settings.MEDIA_ROOT / upload.file.name
    assert stored.read_bytes() == PNG


@pytest.mark.parametrize(
    "kwargs",
    [
        {"url": "javascript:alert(1)"},
        {"url": "ftp://example.com/a.png"},
        {"upload": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", "image/png")},
        {"upload": SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "image/png")},
        {},
        {"url": "https://e.com/a.png", "upload": SimpleUploadedFile("x.png", PNG)},
    ],
)
def test_bad_images_are_refused(merchant, sneaker, kwargs):
    with pytest.raises(InvalidImage):
        product_image_add(merchant=merchant, product_id=sneaker.public_id, **kwargs)
    assert not ProductImage.objects.exists()


def test_removing_an_image_deletes_its_file_after_commit(
    merchant, sneaker, settings, django_capture_on_commit_callbacks
):
    image = product_image_add(merchant=merchant, product_id=sneaker.public_id, upload=SimpleUploadedFile("x.png", PNG))
    stored = settings.MEDIA_ROOT / image.file.name

    with django_capture_on_commit_callbacks(execute=True):
        product_image_remove(merchant=merchant, product_id=sneaker.public_id, image_id=image.public_id)

    assert not ProductImage.objects.exists()
    assert not stored.exists()


# --- SKUs -----------------------------------------------------------------------------------


def test_sku_create_checks_options_and_stores_their_key(merchant, sneaker, sku38):
    assert (sku38.options, sku38.options_key, sku38.price_fen) == (
        {"size": "38", "colour": "black"},
        "colour=black;size=38",
        19900,
    )
    assert OutboxEvent.objects.filter(name="catalog.sku_created").get().payload["sku_id"] == sku38.public_id


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"size": "39"}, InvalidSkuOptions),  # a missing option
        ({"size": "39", "colour": "red", "fit": "wide"}, InvalidSkuOptions),  # an unknown option
        ({"size": "", "colour": "red"}, InvalidSkuOptions),  # an empty value
        ({"size": "39;40", "colour": "red"}, InvalidSkuOptions),  # the CSV separator
        ({"size": "38", "colour": "black"}, SkuOptionsTaken),  # the combination of SNK-38-BLK
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(merchant, sneaker, sku38, options, error):
    with pytest.raises(error):
        sku_create(
            merchant=merchant,
            product_id=sneaker.public_id,
            data=SkuInput(code="NEW", price_fen=100, options=options),
            actor="t",
        )
    assert Sku.objects.count() == 1
    assert OutboxEvent.objects.filter(name="catalog.sku_created").count() == 1


@pytest.mark.parametrize(
    ("price", "list_price", "error"),
    [
        (19.9, None, InvalidAmount),
        (-1, None, InvalidAmount),
        (True, None, InvalidAmount),
        ("1990", None, InvalidAmount),
        (1990, 19.99, InvalidAmount),
        (1990, 1000, InvalidSku),
    ],
)
def test_fractional_negative_and_inconsistent_prices_are_refused(merchant, sneaker, price, list_price, error):
    with pytest.raises(error) as excinfo:
        sku_create(
            merchant=merchant,
            product_id=sneaker.public_id,
            data=SkuInput(code="S", price_fen=price, list_price_fen=list_price, options={"size": "1", "colour": "c"}),
            actor="t",
        )
    assert excinfo.value.status == 400
    assert not Sku.objects.exists()


def test_sku_codes_are_unique_per_merchant(merchant, other_merchant, sku38, make_sku):
    theirs = product_create(merchant=other_merchant, data=ProductInput(name="Other"), actor="t")
    sku_create(
        merchant=other_merchant, product_id=theirs.public_id, data=SkuInput(code="SNK-38-BLK", price_fen=1), actor="t"
    )

    with pytest.raises(SkuCodeTaken):
        make_sku(sku38.product, "SNK-38-BLK", size="39", colour="black")
    assert Sku.objects.for_merchant(merchant).count() == 1


def test_sku_update_validates_like_create(merchant, sneaker, sku38, make_sku):
    other = make_sku(sneaker, "SNK-39-BLK", size="39", colour="black")

    with pytest.raises(SkuOptionsTaken):
        sku_update(
            merchant=merchant,
            sku_id=other.public_id,
            patch=SkuPatch(options={"size": "38", "colour": "black"}),
            actor="t",
        )
    with pytest.raises(SkuCodeTaken):
        sku_update(merchant=merchant, sku_id=other.public_id, patch=SkuPatch(code="SNK-38-BLK"), actor="t")
    with pytest.raises(InvalidSku):
        sku_update(merchant=merchant, sku_id=other.public_id, patch=SkuPatch(list_price_fen=100), actor="t")
    with pytest.raises(InvalidAmount):
        sku_update(merchant=merchant, sku_id=other.public_id, patch=SkuPatch(price_fen=-5), actor="t")

    updated = sku_update(
        merchant=merchant,
        sku_id=other.public_id,
        patch=SkuPatch(price_fen=17900, list_price_fen=25900, weight_g=820, options={"size": "40", "colour": "black"}),
        actor="t",
    )
    assert (updated.price_fen, updated.list_price_fen, updated.weight_g, updated.options_key) == (
        17900,
        25900,
        820,
        "colour=black;size=40",
    )
    cleared = sku_update(merchant=merchant, sku_id=other.public_id, patch=SkuPatch(list_price_fen=None), actor="t")
    assert cleared.list_price_fen is None
    assert Sku.objects.get(pk=sku38.pk).price_fen == 19900


def test_a_product_without_options_has_one_sku(merchant):
    cake = product_create(merchant=merchant, data=ProductInput(name="Cake"), actor="t")
    sku_create(merchant=merchant, product_id=cake.public_id, data=SkuInput(code="CAKE", price_fen=8800), actor="t")

    with pytest.raises(SkuOptionsTaken):
        sku_create(merchant=merchant, product_id=cake.public_id, data=SkuInput(code="CAKE2", price_fen=1), actor="t")


# --- store prices ---------------------------------------------------------------------------


def test_store_price_set_overrides_and_clears(merchant, sku38, store):
    row = store_price_set(merchant=merchant, sku_id=sku38.public_id, store=store, price_fen=18900, actor="t")
    again = store_price_set(
        merchant=merchant, sku_id=sku38.public_id, store=store, price_fen=None, is_available=False, actor="t"
    )

    assert row.pk == again.pk
    assert (again.price_fen, again.is_available) == (None, False)
    store_price_clear(merchant=merchant, sku_id=sku38.public_id, store=store)
    assert not StorePrice.objects.exists()


def test_store_prices_refuse_other_merchants_stores_and_bad_amounts(merchant, other_merchant, sku38, store, make_store):
    foreign = make_store(other_merchant, name="Rival")

    with pytest.raises(NotFound):
        store_price_set(merchant=merchant, sku_id=sku38.public_id, store=foreign, price_fen=1, actor="t")
    with pytest.raises(NotFound):
        store_price_set(merchant=other_merchant, sku_id=sku38.public_id, store=foreign, price_fen=1, actor="t")
    for bad in (-1, 1.5, True):
        with pytest.raises(InvalidAmount):
            store_price_set(merchant=merchant, sku_id=sku38.public_id, store=store, price_fen=bad, actor="t")
    assert not StorePrice.objects.exists()


def test_deleting_a_merchant_takes_its_catalog_with_it(make_merchant, make_store):
    doomed = make_merchant(name="Closing down").merchant
    shop = make_store(doomed, name="Last shop")
    category = category_create(merchant=doomed, name="All")
    product = product_create(
        merchant=doomed,
        data=ProductInput(name="Last", category_id=category.public_id, option_names=["size"]),
        actor="t",
    )
    sku = sku_create(
        merchant=doomed,
        product_id=product.public_id,
        data=SkuInput(code="L", price_fen=1, options={"size": "M"}),
        actor="t",
    )
    store_price_set(merchant=doomed, sku_id=sku.public_id, store=shop, price_fen=2, actor="t")

    doomed.delete()

    assert not Product.objects.filter(pk=product.pk).exists()
    assert not Sku.objects.filter(pk=sku.pk).exists()
    assert not Category.objects.filter(pk=category.pk).exists()
