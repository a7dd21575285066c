"""The catalog API: /api/v1/products, /skus, /categories, with bad input refused and nothing written."""

from __future__ import annotations

import json

import pytest

from weloop.catalog.models import Product, Sku, StorePrice
from weloop.catalog.services import ProductInput, SkuInput, product_create, sku_create
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import PoolKind

pytestmark = pytest.mark.django_db


def post(client, url: str, body: dict, method: str = "post"):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def latte(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Latte", option_names=["size"]), actor="test")
    sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(code="LATTE-M", price_fen=2800, options={"size": "M"}),
        actor="test",
    )
    return product


def test_create_category_product_sku_and_put_on_sale(api_client):
    # given a category
    category = post(api_client, "/api/v1/categories", {"name": "Coffee"})
    assert category.status_code == 201, category.content
    category_id = category.json()["id"]
    # when a product, a SKU and the status are posted
    product = post(
        api_client,
        "/api/v1/products",
        {"name": "Latte", "category_id": category_id, "option_names": ["size", "temperature"]},
    )
    assert product.status_code == 201, product.content
    product_id = product.json()["id"]
    assert product.json()["status"] == "draft"
    sku = post(
        api_client,
        f"/api/v1/products/{product_id}/skus",
        {"code": "LATTE-M-HOT", "price_fen": 2800, "options": {"size": "M", "temperature": "hot"}},
    )
    assert sku.status_code == 201, sku.content
    on_sale = post(api_client, f"/api/v1/products/{product_id}/status", {"status": "active"})
    # then the product is on sale with its SKU's price in fen
    assert on_sale.status_code == 200, on_sale.content
    body = api_client.get(f"/api/v1/products/{product_id}").json()
    assert body["status"] == "active"
    assert body["category_path"] == "Coffee"
    assert [o["sku"]["code"] for o in body["offers"]] == ["LATTE-M-HOT"]
    assert body["offers"][0]["price_fen"] == 2800


def test_list_products_filters_and_paginates(api_client, merchant, latte):
    product_create(merchant=merchant, data=ProductInput(name="Top-up card", kind="virtual"), actor="test")
    everything = api_client.get("/api/v1/products?limit=1").json()
    assert everything["count"] == 2 and len(everything["items"]) == 1
    virtual = api_client.get("/api/v1/products?kind=virtual").json()
    assert [p["name"] for p in virtual["items"]] == ["Top-up card"]
    by_code = api_client.get("/api/v1/products?q=latte-m").json()
    assert [p["name"] for p in by_code["items"]] == ["Latte"]
    assert by_code["items"][0]["min_price_fen"] == 2800
    assert api_client.get("/api/v1/products?status=active").json()["count"] == 0


@pytest.mark.parametrize("price", [12.5, -1, "1200", True, 12.0])
def test_bad_prices_are_400_money_errors_and_write_nothing(api_client, latte, price):
    response = post(
        api_client,
        f"/api/v1/products/{latte.public_id}/skus",
        {"code": "LATTE-L", "price_fen": price, "options": {"size": "L"}},
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "money.invalid_amount"
    assert Sku.objects.filter(code="LATTE-L").count() == 0


def test_patch_sku_price_float_is_refused_and_price_kept(api_client, latte):
    sku = latte.skus.get()
    response = post(api_client, f"/api/v1/skus/{sku.public_id}", {"price_fen": 12.5}, method="patch")
    assert response.status_code == 400
    assert response.json()["code"] == "money.invalid_amount"
    sku.refresh_from_db()
    assert sku.price_fen == 2800


def test_patch_sku_and_clear_list_price(api_client, latte):
    sku = latte.skus.get()
    post(api_client, f"/api/v1/skus/{sku.public_id}", {"list_price_fen": 3500}, method="patch")
    response = post(api_client, f"/api/v1/skus/{sku.public_id}", {"list_price_fen": None}, method="patch")
    assert response.status_code == 200, response.content
    assert response.json()["list_price_fen"] is None
    assert response.json()["price_fen"] == 2800


def test_wrong_options_are_refused(api_client, latte):
    response = post(
        api_client, f"/api/v1/products/{latte.public_id}/skus", {"code": "X-1", "price_fen": 100, "options": {}}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "catalog.invalid_options"


def test_going_on_sale_without_sku_is_409(api_client, merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Empty"), actor="test")
    response = post(api_client, f"/api/v1/products/{product.public_id}/status", {"status": "active"})
    assert response.status_code == 409
    assert response.json()["code"] == "catalog.product_not_ready"


def test_patch_product_removes_category_only_when_asked(api_client, merchant, latte):
    category = post(api_client, "/api/v1/categories", {"name": "Drinks"}).json()
    post(api_client, f"/api/v1/products/{latte.public_id}", {"category_id": category["id"]}, method="patch")
    renamed = post(api_client, f"/api/v1/products/{latte.public_id}", {"name": "Caffe latte"}, method="patch")
    assert renamed.json()["category_id"] == category["id"]
    cleared = post(api_client, f"/api/v1/products/{latte.public_id}", {"category_id": None}, method="patch")
    assert cleared.json()["category_id"] is None
    assert cleared.json()["name"] == "Caffe latte"


def test_store_price_and_stock_in_detail(api_client, merchant, latte, store):
    sku = latte.skus.get()
    response = post(
        api_client, f"/api/v1/skus/{sku.public_id}/store-prices/{store.public_id}", {"price_fen": 3000}, method="put"
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_price_fen"] == 3000
    location = inventory.location_for_store(merchant=merchant, store=store)
    pool, _ = inventory.capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id), location=location
    )
    inventory.capacity_set_available(merchant=merchant, pool=pool, available=7, reason="count", actor="t")
    detail = api_client.get(f"/api/v1/products/{latte.public_id}?store_id={store.public_id}").json()
    offer = detail["offers"][0]
    assert offer["price_fen"] == 3000 and offer["is_store_price"] is True
    assert offer["stock"] == {location.name: 7}
    assert api_client.get(f"/api/v1/products/{latte.public_id}").json()["offers"][0]["price_fen"] == 2800
    # a negative store price is a money error and changes nothing
    bad = post(
        api_client, f"/api/v1/skus/{sku.public_id}/store-prices/{store.public_id}", {"price_fen": -5}, method="put"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "money.invalid_amount"
    assert StorePrice.objects.get(sku=sku).price_fen == 3000
    cleared = api_client.delete(f"/api/v1/skus/{sku.public_id}/store-prices/{store.public_id}")
    assert cleared.status_code == 204
    assert not StorePrice.objects.filter(sku=sku).exists()


def test_another_merchants_product_is_404(api_client, other_merchant):
    theirs = product_create(merchant=other_merchant, data=ProductInput(name="Secret"), actor="test")
    assert api_client.get(f"/api/v1/products/{theirs.public_id}").status_code == 404
    patch = post(api_client, f"/api/v1/products/{theirs.public_id}", {"name": "Mine"}, method="patch")
    assert patch.status_code == 404
    assert Product.objects.get(pk=theirs.pk).name == "Secret"


def test_unknown_field_and_unknown_kind_are_refused(api_client):
    typo = post(api_client, "/api/v1/products", {"name": "A", "price": 1})
    assert typo.status_code in (400, 422) and typo.json()["code"].startswith("request.")
    deal = post(api_client, "/api/v1/products", {"name": "A", "kind": "deal"})
    assert deal.status_code == 400 and deal.json()["code"] == "catalog.kind_not_available"
    assert not Product.objects.exists()


def test_every_catalog_field_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for name in ("ProductIn", "ProductOut", "SkuIn", "SkuOut", "StorePriceIn", "CategoryIn", "OfferOut"):
        for field, sub in schemas[name]["properties"].items():
            assert sub.get("description"), f"{name}.{field} has no description"
    assert schemas["SkuIn"]["properties"]["price_fen"]["type"] == "integer"
