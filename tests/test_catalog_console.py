"""Console catalog pages: products, SKUs with yuan prices, store prices, stock, categories, CSV import/export.

Assertions read data-testid attributes, codes and numbers, never English words (translations).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from weloop.catalog.enums import ImportStatus
from weloop.catalog.models import CatalogImportJob, Category, Product, Sku, StorePrice
from weloop.catalog.selectors import progress_cache_key
from weloop.catalog.services import ProductInput, SkuInput, category_create, product_create, sku_create
from weloop.inventory import services as inventory
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import PoolKind

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "product_name,category,kind,description,sku_code,options,price,list_price,weight_g,active\n"
    "Latte,Coffee,physical,,LATTE-M,size=M,28.00,,,yes\n"
    "Latte,Coffee,physical,,LATTE-L,size=L,32.00,,,yes\n"
)
BAD_CSV = (
    "product_name,category,kind,description,sku_code,options,price,list_price,weight_g,active\n"
    "Latte,Coffee,physical,,LATTE-M,size=M,28.00,,,yes\n"
    "Latte,Coffee,physical,,LATTE-L,size=L,-3,,,yes\n"
)


@pytest.fixture
def latte(merchant):
    product = product_create(merchant=merchant, data=ProductInput(name="Latte", option_names=["size"]), actor="t")
    sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(code="LATTE-M", price_fen=2800, options={"size": "M"}),
        actor="t",
    )
    return product


def detail_url(product) -> str:
    return reverse("dashboard:product_detail", kwargs={"product_id": product.public_id})


def test_owner_creates_a_product_and_a_sku_priced_in_yuan(owner_client, merchant):
    category = category_create(merchant=merchant, name="Coffee")
    response = owner_client.post(
        reverse("dashboard:product_create"),
        {
            "name": "Latte",
            "kind": "physical",
            "category_id": category.public_id,
            "option_names": "size, temperature",
            "allows_delivery": "on",
            "allows_pickup": "on",
        },
    )
    assert response.status_code == 302, response.content[:800]
    product = Product.objects.get(merchant=merchant, name="Latte")
    assert product.option_names == ["size", "temperature"]
    added = owner_client.post(
        reverse("dashboard:sku_create", kwargs={"product_id": product.public_id}),
        {"code": "LATTE-M-HOT", "price": "12.30", "option_0": "M", "option_1": "hot", "is_active": "on"},
    )
    assert added.status_code == 302, added.content[:800]
    assert Sku.objects.get(code="LATTE-M-HOT").price_fen == 1230
    page = owner_client.get(detail_url(product)).content.decode()
    assert re.search(r'data-testid="sku-price">¥12\.30<', page)


@pytest.mark.parametrize("price", ["12.345", "-1", "abc"])
def test_a_bad_yuan_price_is_shown_and_nothing_written(owner_client, latte, price):
    response = owner_client.post(
        reverse("dashboard:sku_create", kwargs={"product_id": latte.public_id}),
        {"code": "LATTE-L", "price": price, "option_0": "L", "is_active": "on"},
    )
    assert response.status_code == 400
    assert 'data-error-code="money.invalid_amount"' in response.content.decode()
    assert not Sku.objects.filter(code="LATTE-L").exists()


def test_list_filters_by_search_and_status(owner_client, merchant, latte):
    product_create(merchant=merchant, data=ProductInput(name="Croissant"), actor="t")
    url = reverse("dashboard:product_list")
    names = re.findall(r'data-testid="product-row-name">([^<]+)<', owner_client.get(url + "?q=crois").content.decode())
    assert names == ["Croissant"]
    drafts = owner_client.get(url + "?status=draft").content.decode()
    assert drafts.count('data-testid="product-row"') == 2
    assert owner_client.get(url + "?status=active").content.decode().count('data-testid="product-row"') == 0


def test_status_change_and_not_ready_error(owner_client, merchant, latte):
    empty = product_create(merchant=merchant, data=ProductInput(name="Empty"), actor="t")
    refused = owner_client.post(
        reverse("dashboard:product_set_status", kwargs={"product_id": empty.public_id}), {"status": "active"}
    )
    assert refused.status_code == 409
    assert 'data-error-code="catalog.product_not_ready"' in refused.content.decode()
    done = owner_client.post(
        reverse("dashboard:product_set_status", kwargs={"product_id": latte.public_id}), {"status": "active"}
    )
    assert done.status_code == 302
    latte.refresh_from_db()
    assert latte.status == "active"


def test_store_price_override_and_stock_shown(owner_client, merchant, latte, store):
    sku = latte.skus.get()
    location = inventory.location_for_store(merchant=merchant, store=store)
    pool, _ = inventory.capacity_pool_get_or_create(
        merchant=merchant, kind=PoolKind.GOODS_STOCK, subject=sku_subject(sku.public_id), location=location
    )
    inventory.capacity_set_available(merchant=merchant, pool=pool, available=9, reason="count", actor="t")
    url = reverse("dashboard:sku_store_price", kwargs={"sku_id": sku.public_id})
    response = owner_client.post(url, {"store_id": store.public_id, "price": "30.00", "is_available": "on"})
    assert response.status_code == 302
    assert StorePrice.objects.get(sku=sku, store=store).price_fen == 3000
    page = owner_client.get(detail_url(latte)).content.decode()
    assert re.search(r'data-testid="store-price">¥30\.00', page)
    assert re.search(r'data-testid="store-stock">9<', page)
    cleared = owner_client.post(url, {"store_id": store.public_id, "clear": "1"})
    assert cleared.status_code == 302
    assert not StorePrice.objects.filter(sku=sku).exists()


def test_store_manager_reads_but_cannot_edit(staff_client, merchant, latte):
    client = staff_client(merchant, "store_manager")
    page = client.get(detail_url(latte))
    assert page.status_code == 200
    assert 'data-testid="sku-form"' not in page.content.decode()
    assert client.get(reverse("dashboard:product_create")).status_code == 403
    clerk = staff_client(merchant, "clerk")
    assert clerk.get(reverse("dashboard:product_list")).status_code == 403


def test_categories_create_and_delete(owner_client, merchant):
    url = reverse("dashboard:category_list")
    assert owner_client.post(url, {"name": "Cakes", "position": "1"}).status_code == 302
    duplicate = owner_client.post(url, {"name": "Cakes"})
    assert duplicate.status_code == 400
    assert 'data-error-code="catalog.category_name_taken"' in duplicate.content.decode()
    category = Category.objects.get(merchant=merchant, name="Cakes")
    deleted = owner_client.post(reverse("dashboard:category_delete", kwargs={"category_id": category.public_id}))
    assert deleted.status_code == 302
    assert not Category.objects.filter(pk=category.pk).exists()


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("catalog.csv", text.encode(), content_type="text/csv")


def test_import_check_shows_row_numbered_errors_and_writes_nothing(owner_client):
    response = owner_client.post(reverse("dashboard:product_import"), {"file": upload(BAD_CSV), "action": "import"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.findall(r'data-testid="import-error" data-row="(\d+)" data-column="(\w+)"', html) == [("3", "price")]
    assert not Product.objects.exists()
    assert not CatalogImportJob.objects.exists()


def test_import_check_of_a_good_file_writes_nothing(owner_client):
    response = owner_client.post(reverse("dashboard:product_import"), {"file": upload(GOOD_CSV), "action": "check"})
    assert response.status_code == 200
    assert 'data-testid="import-ok"' in response.content.decode()
    assert not Product.objects.exists()


def test_import_runs_as_a_job_with_a_polled_progress_bar(owner_client, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("dashboard:product_import"), {"file": upload(GOOD_CSV), "action": "import"}
        )
    assert response.status_code == 302
    job = CatalogImportJob.objects.get(merchant=merchant)
    assert response["Location"] == reverse("dashboard:product_import_job", kwargs={"import_job_id": job.public_id})
    assert Sku.objects.filter(merchant=merchant).count() == 2
    progress = owner_client.get(
        reverse("dashboard:product_import_progress", kwargs={"import_job_id": job.public_id})
    ).content.decode()
    assert 'data-status="succeeded" data-percent="100"' in progress
    assert "hx-trigger" not in progress  # finished: the polling stops


def test_a_running_import_keeps_polling(owner_client, merchant):
    job = CatalogImportJob.objects.create(merchant=merchant, file="x.csv", status=ImportStatus.IMPORTING, total=4)
    cache.set(progress_cache_key(job.pk), 1)
    try:
        page = owner_client.get(reverse("dashboard:product_import_job", kwargs={"import_job_id": job.public_id}))
    finally:
        cache.delete(progress_cache_key(job.pk))
    html = page.content.decode()
    assert 'data-percent="25"' in html
    assert 'hx-trigger="every 1s"' in html


def test_export_downloads_csv_with_stock_columns(owner_client, merchant, latte, store):
    inventory.location_for_store(merchant=merchant, store=store)
    response = owner_client.get(reverse("dashboard:product_export"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.endswith(f"stock:{store.name}")
    assert first.startswith("Latte,") and "LATTE-M" in first and "28.00" in first


def test_the_demo_catalog_shows_in_the_console(client):
    from weloop.demo.seed import demo_seed

    ctx = demo_seed()
    client.force_login(get_user_model().objects.get(username="demo-owner"))
    html = client.get(reverse("dashboard:product_list")).content.decode()
    assert html.count('data-testid="product-row"') == 8
    latte = Product.objects.get(merchant=ctx.merchant, name="拿铁")
    detail = client.get(detail_url(latte)).content.decode()
    flagship = ctx.stores[0].public_id
    assert re.search(rf'data-store-id="{flagship}"[^>]*>\s*<td>CF-LATTE-M-HOT</td>', detail)
    assert "¥30.00" in detail  # the flagship's own price: 28.00 + 2.00
    assert CatalogImportJob.objects.filter(merchant=ctx.merchant).count() == 1


def test_edit_product_and_sku_pages(owner_client, latte):
    sku = latte.skus.get()
    edit_url = reverse("dashboard:product_edit", kwargs={"product_id": latte.public_id})
    form = owner_client.get(edit_url).content.decode()
    assert 'data-testid="product-name"' in form and 'value="Latte"' in form
    saved = owner_client.post(
        edit_url, {"name": "Caffe latte", "option_names": "size", "allows_delivery": "on", "allows_pickup": ""}
    )
    assert saved.status_code == 302
    latte.refresh_from_db()
    assert (latte.name, latte.allows_delivery, latte.allows_pickup) == ("Caffe latte", True, False)
    # option names cannot change while the product has SKUs
    refused = owner_client.post(edit_url, {"name": "Caffe latte", "option_names": "cup", "allows_delivery": "on"})
    assert 'data-error-code="catalog.options_in_use"' in refused.content.decode()
    sku_url = reverse("dashboard:sku_edit", kwargs={"sku_id": sku.public_id})
    assert 'value="28.00"' in owner_client.get(sku_url).content.decode()
    changed = owner_client.post(sku_url, {"code": "LATTE-M", "option_0": "M", "price": "29.90", "list_price": ""})
    assert changed.status_code == 302
    sku.refresh_from_db()
    assert (sku.price_fen, sku.is_active) == (2990, False)
