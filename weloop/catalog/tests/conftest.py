"""Fixtures for the catalog's tests: a product with size and colour options, and its SKUs."""

from __future__ import annotations

import pytest

from weloop.catalog.services import ProductInput, SkuInput, category_create, product_create, sku_create


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded images and import files go to a per-test folder, never to the data dir.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def shoes(merchant):
    return category_create(merchant=merchant, name="Shoes")


@pytest.fixture
def sneaker(merchant, shoes):
    return product_create(
        merchant=merchant,
        data=ProductInput(name="Canvas sneaker", category_id=shoes.public_id, option_names=["size", "colour"]),
        actor="test",
    )


@pytest.fixture
def make_sku(merchant):
    def make(product, code, price_fen=19900, **options):
        return sku_create(
            merchant=merchant,
            product_id=product.public_id,
            data=SkuInput(code=code, price_fen=price_fen, options=options),
            actor="test",
        )

    return make


@pytest.fixture
def sku38(sneaker, make_sku):
    return make_sku(sneaker, "SNK-38-BLK", size="38", colour="black")
