"""The H5 product pages: /m/<slug>/products/ and /m/<slug>/products/<product_id>/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from weloop.catalog.services import (
    ProductInput,
    SkuInput,
    category_create,
    product_create,
    product_set_status,
    sku_create,
    store_price_set,
)
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import PoolKind

pytestmark = pytest.mark.django_db


def on_sale(merchant, name, skus, *, option_names=(), category=None, kind="physical"):
    data = ProductInput(name=name, kind=kind, option_names=list(option_names), category_id=category)
    product = product_create(merchant=merchant, data=data, actor="t")
    for code, options, price in skus:
        sku_create(
            merchant=merchant,
            product_id=product.public_id,
            data=SkuInput(code=code, price_fen=price, options=options),
            actor="t",
        )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="t")
    return product


def stock(merchant, store, product, code, units):
    sku = product.skus.get(code=code)
    location = inventory.location_for_store(merchant=merchant, store=store)
    pool, _ = inventory.capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id), location=location
    )
    inventory.capacity_set_available(merchant=merchant, pool=pool, available=units, reason="count", actor="t")


@pytest.fixture
def coffee(merchant, store):
    category = category_create(merchant=merchant, name="Coffee")
    product = on_sale(
        merchant,
        "Latte",
        [
            ("L-M-HOT", {"size": "M", "temp": "hot"}, 1230),
            ("L-L-HOT", {"size": "L", "temp": "hot"}, 1530),
            ("L-L-ICE", {"size": "L", "temp": "ice"}, 1530),
        ],
        option_names=["size", "temp"],
        category=category.public_id,
    )
    stock(merchant, store, product, "L-M-HOT", 4)
    return product


def list_url(merchant):
    return reverse("storefront:product_list", kwargs={"merchant_slug": merchant.slug})


def detail_url(merchant, product, query=""):
    url = reverse("storefront:product_detail", kwargs={"merchant_slug": merchant.slug, "product_id": product.public_id})
    return url + query


def test_list_groups_by_category_with_yuan_price_and_sold_out_mark(client, merchant, store, coffee):
    cake = on_sale(merchant, "Cake", [("CAKE", {}, 16800)])  # never stocked: sold out
    topup = on_sale(merchant, "Top-up", [("TOPUP", {}, 10000)], kind="virtual")  # no stock: never sold out
    product_create(merchant=merchant, data=ProductInput(name="Draft thing"), actor="t")  # not on sale
    html = client.get(list_url(merchant)).content.decode()
    cards = dict(re.findall(r'data-product-id="([^"]+)" data-sold-out="(\w+)"', html))
    assert cards == {coffee.public_id: "no", cake.public_id: "yes", topup.public_id: "no"}
    assert re.search(r'data-testid="product-price">¥12\.30<', html)
    assert html.count('data-testid="product-category"') == 2  # Coffee, then the uncategorised
    assert 'data-testid="tab-products"' in html


def test_detail_shows_the_chosen_skus_price_and_stock_per_store(client, merchant, store, coffee):
    html = client.get(detail_url(merchant, coffee)).content.decode()
    # the default choice is the SKU in stock
    assert re.search(r'data-testid="sku-price" data-sku-id="[^"]+">¥12\.30', html)
    assert f'data-store-id="{store.public_id}" data-units="4"' in html
    # choosing large + iced shows that SKU's price, out of stock in the store
    iced = client.get(detail_url(merchant, coffee, "?o0=L&o1=ice")).content.decode()
    assert re.search(r'data-testid="sku-price" data-sku-id="[^"]+">¥15\.30', iced)
    assert f'data-store-id="{store.public_id}" data-units="0"' in iced
    assert re.findall(r'data-value="(\w+)" data-selected="yes"', iced) == ["L", "ice"]
    # the buy area offers the chosen SKU (the cart and checkout are tested in the shop's tests)
    assert 'data-testid="buy-area"' in html


def test_a_missing_combination_says_so(client, merchant, coffee):
    html = client.get(detail_url(merchant, coffee, "?o0=M&o1=ice")).content.decode()
    assert 'data-testid="sku-unavailable"' in html
    assert 'data-testid="sku-price"' not in html


def test_store_price_shows_per_store(client, merchant, store, coffee):
    sku = coffee.skus.get(code="L-M-HOT")
    store_price_set(merchant=merchant, sku_id=sku.public_id, store=store, price_fen=1330, actor="t")
    html = client.get(detail_url(merchant, coffee)).content.decode()
    row = re.search(rf'data-store-id="{store.public_id}" data-units="4">(.*?)</li>', html, re.DOTALL).group(1)
    assert "¥13.30" in row


def test_draft_and_other_merchants_products_are_404(client, merchant, other_merchant):
    draft = product_create(merchant=merchant, data=ProductInput(name="Draft"), actor="t")
    assert client.get(detail_url(merchant, draft)).status_code == 404
    theirs = on_sale(other_merchant, "Theirs", [("THEIRS", {}, 100)])
    assert client.get(detail_url(merchant, theirs)).status_code == 404


def test_the_demo_menu_on_the_h5(client):
    from weloop.demo.seed import demo_seed

    merchant = demo_seed().merchant
    html = client.get(list_url(merchant)).content.decode()
    assert html.count('data-testid="product-card"') == 8
    assert html.count('data-testid="product-category"') == 4
    assert "¥12.00" in html  # 法式可颂
    cake = merchant_product(merchant, "草莓奶油蛋糕")
    eight_inch = client.get(detail_url(merchant, cake, "?o0=8寸")).content.decode()
    units = re.findall(r'data-store-id="[^"]+" data-units="(\d+)"', eight_inch)
    assert len(units) == 5 and units[1:] == ["0", "0", "0", "0"] and int(units[0]) > 0


def merchant_product(merchant, name):
    from weloop.catalog.models import Product

    return Product.objects.get(merchant=merchant, name=name)
