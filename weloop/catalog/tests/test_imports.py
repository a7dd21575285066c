"""CSV import and export: all or nothing with row-numbered errors, idempotent, and a faithful round trip."""

from __future__ import annotations

import pytest

from weloop.catalog.enums import ImportStatus, ProductKind, ProductStatus
from weloop.catalog.errors import ImportRowsInvalid, InvalidImportFile
from weloop.catalog.exports import catalog_export_csv
from weloop.catalog.imports import (
    STOCK_EVENT,
    catalog_import_csv,
    catalog_import_run,
    catalog_import_start,
    catalog_import_validate,
)
from weloop.catalog.models import CatalogImportJob, Category, Product, Sku
from weloop.catalog.selectors import import_job_progress
from weloop.catalog.services import ProductInput, SkuInput, product_create, sku_create
from weloop.core.events import deliver_due
from weloop.core.models import OutboxEvent
from weloop.inventory.selectors import location_names, sku_stock_by_location

pytestmark = pytest.mark.django_db

HEADER = "product_name,category,kind,description,sku_code,options,price,list_price,weight_g,active"
GOOD = f"""{HEADER},stock:Main warehouse
Canvas sneaker,Shoes > Casual,physical,Vulcanised sole,SNK-38-BLK,size=38;colour=black,199.00,259.00,800,yes,12
Canvas sneaker,,,,SNK-39-BLK,size=39;colour=black,199.00,259.00,820,yes,5
Canvas sneaker,,,,SNK-39-WHT,size=39;colour=white,209.50,,,no,
Top-up ¥50,Cards,virtual,,TOPUP-50,,50.00,,,yes,
"""


def do_import(merchant, text, **kwargs):
    return catalog_import_csv(merchant=merchant, data=text.encode(), actor="ops", **kwargs)


def export(merchant, **kwargs):
    return "".join(catalog_export_csv(merchant=merchant, **kwargs))


def errors_of(excinfo):
    return [(e["row"], e["column"], e["code"]) for e in excinfo.value.extra["errors"]]


def test_import_creates_products_skus_and_categories(merchant):
    result = do_import(merchant, GOOD)

    assert (result.rows, result.products_created, result.skus_created, result.stock_levels) == (4, 2, 4, 2)
    sneaker = Product.objects.get(merchant=merchant, name="Canvas sneaker")
    assert (sneaker.kind, sneaker.status, sneaker.option_names, sneaker.description) == (
        ProductKind.PHYSICAL,
        ProductStatus.DRAFT,
        ["size", "colour"],
        "Vulcanised sole",
    )
    assert (sneaker.category.name, sneaker.category.parent.name) == ("Casual", "Shoes")
    white = Sku.objects.get(code="SNK-39-WHT")
    assert (white.price_fen, white.list_price_fen, white.weight_g, white.is_active, white.options) == (
        20950,
        None,
        None,
        False,
        {"size": "39", "colour": "white"},
    )
    card = Product.objects.get(name="Top-up ¥50")
    assert (card.kind, card.allows_delivery, card.allows_pickup, card.option_names) == ("virtual", False, False, [])


def test_stock_columns_reach_inventory_through_the_outbox(merchant):
    do_import(merchant, GOOD, reference="imp_X")

    (event,) = OutboxEvent.objects.filter(name=STOCK_EVENT)
    sku38 = Sku.objects.get(code="SNK-38-BLK")
    assert event.payload["levels"][0] == {"sku": sku38.public_id, "location": "Main warehouse", "available": 12}
    deliver_due()
    assert location_names(merchant=merchant) == ["Main warehouse"]
    assert sku_stock_by_location(merchant=merchant, sku_ids=[sku38.public_id]) == {
        sku38.public_id: {"Main warehouse": 12}
    }


def test_importing_the_same_file_twice_changes_nothing(merchant):
    do_import(merchant, GOOD)
    before = list(Sku.objects.order_by("code").values())

    result = do_import(merchant, GOOD)

    assert (result.products_created, result.products_updated, result.skus_created, result.skus_updated) == (0, 0, 0, 0)
    assert result.skus_unchanged == 4
    assert list(Sku.objects.order_by("code").values()) == before
    assert Category.objects.count() == 3


def test_import_updates_by_sku_code_and_leaves_absent_columns_alone(merchant):
    do_import(merchant, GOOD)
    sku = Sku.objects.get(code="SNK-38-BLK")

    result = do_import(merchant, "product_name,sku_code,price\nCanvas sneaker,SNK-38-BLK,189.00\n")

    sku.refresh_from_db()
    assert (result.skus_updated, result.skus_created) == (1, 0)
    assert (sku.price_fen, sku.list_price_fen, sku.weight_g, sku.options["size"]) == (18900, 25900, 800, "38")
    assert Product.objects.get(name="Canvas sneaker").description == "Vulcanised sole"


def test_an_empty_optional_cell_clears_the_field(merchant):
    do_import(merchant, GOOD)

    do_import(merchant, f"{HEADER}\nCanvas sneaker,,,,SNK-38-BLK,size=38;colour=black,199.00,,,yes\n")

    sku = Sku.objects.get(code="SNK-38-BLK")
    assert (sku.list_price_fen, sku.weight_g) == (None, None)
    sneaker = Product.objects.get(name="Canvas sneaker")
    assert (sneaker.category, sneaker.description) == (None, "")


def test_two_skus_may_trade_their_combinations(merchant):
    do_import(merchant, GOOD)

    swapped = GOOD.replace("SNK-38-BLK,size=38", "SNK-38-BLK,size=TMP").replace(
        "SNK-39-BLK,size=39", "SNK-39-BLK,size=38"
    )
    do_import(merchant, swapped.replace("size=TMP", "size=39"))

    assert Sku.objects.get(code="SNK-38-BLK").options["size"] == "39"
    assert Sku.objects.get(code="SNK-39-BLK").options["size"] == "38"


def test_one_bad_row_writes_nothing_and_every_error_names_its_row(merchant):
    bad = f"""{HEADER}
Canvas sneaker,Shoes,physical,,SNK-38-BLK,size=38;colour=black,199.00,,,yes
Canvas sneaker,,,,SNK-39-BLK,size=39,199.00,,,yes
Canvas sneaker,,,,SNK-40-BLK,size=40;colour=black,19.999,,,yes
Canvas sneaker,,,,SNK-41-BLK,size=41;colour=black,-3,,,yes
Canvas sneaker,,,,SNK-38-BLK,size=42;colour=black,199.00,,,yes
Canvas sneaker,,,,SNK-43-BLK,size=38;colour=black,199.00,,,yes
Canvas sneaker,,,,bad code,size=44;colour=black,199.00,,,maybe
Canvas sneaker,,,,SNK-45-BLK,size=45;colour=black,199.00,99.00,1.5,yes
Deal,,deal,,DEAL-1,,10.00,,,yes
"""

    with pytest.raises(ImportRowsInvalid) as excinfo:
        do_import(merchant, bad)

    assert excinfo.value.code == "catalog.import_rows_invalid"
    assert errors_of(excinfo) == [
        (3, "options", "catalog.invalid_options"),
        (4, "price", "money.invalid_amount"),
        (5, "price", "money.invalid_amount"),
        (6, "sku_code", "catalog.sku_code_taken"),
        (7, "options", "catalog.sku_options_taken"),
        (8, "active", "catalog.invalid_product"),
        (8, "sku_code", "catalog.invalid_sku"),
        (9, "weight_g", "catalog.invalid_product"),
        (10, "kind", "catalog.kind_not_available"),
    ]
    assert excinfo.value.extra["error_count"] == 9
    assert not Product.objects.exists() and not Sku.objects.exists() and not Category.objects.exists()
    assert not OutboxEvent.objects.filter(name__startswith="catalog.").exists()


def test_the_file_is_checked_against_the_catalog_too(merchant):
    other = product_create(merchant=merchant, data=ProductInput(name="Other", option_names=["size"]), actor="t")
    sku_create(
        merchant=merchant,
        product_id=other.public_id,
        data=SkuInput(code="TAKEN", price_fen=1, options={"size": "1"}),
        actor="t",
    )
    text = f"""{HEADER}
Canvas sneaker,,,,TAKEN,size=38;colour=black,199.00,,,yes
Other,,,,OTHER-2,colour=red,1.00,,,yes
Other,,virtual,,OTHER-3,size=1,1.00,,,yes
"""

    with pytest.raises(ImportRowsInvalid) as excinfo:
        do_import(merchant, text)

    assert errors_of(excinfo) == [
        (2, "sku_code", "catalog.sku_code_taken"),  # the code belongs to the product Other
        (3, "options", "catalog.invalid_options"),  # Other varies by size only
        (4, "kind", "catalog.conflicting_product"),  # the product's rows disagree on its kind
        (4, "options", "catalog.sku_options_taken"),  # TAKEN already is size=1
    ]
    assert Sku.objects.count() == 1


def test_header_problems_are_row_one(merchant):
    with pytest.raises(ImportRowsInvalid) as excinfo:
        do_import(
            merchant,
            "product_name,price,colour,price,stock:Nowhere\nA,1.00,red,1.00,3\n",
            stock_locations=["Main warehouse"],
        )

    assert errors_of(excinfo) == [
        (1, "colour", "catalog.unknown_column"),
        (1, "price", "catalog.duplicate_column"),
        (1, "sku_code", "catalog.missing_column"),
        (1, "stock:Nowhere", "catalog.unknown_location"),
    ]


@pytest.mark.parametrize("data", [b"", b"\xff\xfe\x00bad", b"product_name,sku_code,price\n"])
def test_files_that_are_not_a_catalog(merchant, data):
    errors = catalog_import_validate(merchant=merchant, data=data)

    assert errors and errors[0].code.startswith("catalog.")
    if data:
        with pytest.raises((ImportRowsInvalid, InvalidImportFile)):
            catalog_import_csv(merchant=merchant, data=data, actor="t")


def test_excel_files_in_gb18030_with_chinese_names_import(merchant):
    text = "product_name,sku_code,options,price\n帆布鞋,FBX-38,尺码=38,99.00\n"

    do_import(merchant, text.encode("utf-8").decode("utf-8"))
    catalog_import_csv(
        merchant=merchant, data=text.replace("FBX-38", "FBX-39").replace("=38", "=39").encode("gb18030"), actor="t"
    )

    assert sorted(Sku.objects.values_list("code", "options")) == [
        ("FBX-38", {"尺码": "38"}),
        ("FBX-39", {"尺码": "39"}),
    ]


def test_export_then_import_into_a_new_merchant_gives_the_same_export(merchant, other_merchant):
    do_import(merchant, GOOD.replace("Vulcanised sole", '"=HYPERLINK(""x""), with a comma\nand a line"'))
    deliver_due()

    def stock_of(m):
        return lambda ids: sku_stock_by_location(merchant=m, sku_ids=ids)

    first = export(merchant, stock_levels=stock_of(merchant), locations=location_names(merchant=merchant))
    catalog_import_csv(merchant=other_merchant, data=first.encode("utf-8"), actor="t")
    deliver_due()
    second = export(
        other_merchant, stock_levels=stock_of(other_merchant), locations=location_names(merchant=other_merchant)
    )

    assert second == first
    assert first.startswith("\ufeff" + HEADER + ",stock:Main warehouse\r\n")
    assert "'=HYPERLINK" in first  # a formula is written as text
    assert Product.objects.get(merchant=other_merchant, name="Canvas sneaker").description.startswith("=HYPERLINK")
    assert "Canvas sneaker,Shoes > Casual,physical" in first
    assert ",SNK-39-WHT,size=39;colour=white,209.50,,,no," in first


def test_export_without_stock_has_no_stock_columns(merchant):
    do_import(merchant, GOOD)

    lines = export(merchant).splitlines()

    assert lines[0] == "\ufeff" + HEADER
    assert len(lines) == 5


def test_a_queued_import_runs_with_progress(merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the queue runs tasks at once in tests
        job = catalog_import_start(merchant=merchant, data=GOOD.encode(), filename="shoes.csv", actor="ops")

    job.refresh_from_db()
    progress = import_job_progress(job)
    assert (job.status, job.total, job.processed, job.created_count) == (ImportStatus.SUCCEEDED, 4, 4, 4)
    assert (progress.percent, progress.finished, progress.errors) == (100, True, [])
    assert job.started_at and job.finished_at
    assert Sku.objects.count() == 4
    assert catalog_import_run(job_pk=job.pk).status == ImportStatus.SUCCEEDED  # a second run does nothing
    assert Sku.objects.count() == 4


def test_a_queued_import_with_bad_rows_fails_with_its_errors_and_writes_nothing(merchant):
    job = catalog_import_start(
        merchant=merchant,
        data=(GOOD + "Cake,,,,CAKE,,free,,,yes\n").encode(),
        filename="bad.csv",
        actor="ops",
        stock_locations=["Main warehouse"],
    )

    job = catalog_import_run(job_pk=job.pk)

    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {
            "row": 6,
            "column": "price",
            "code": "money.invalid_amount",
            "message": "The amount is not a valid, non-negative amount of money.",
        }
    ]
    assert import_job_progress(job).finished
    assert not Sku.objects.exists()


def test_a_queued_file_that_is_not_csv_fails_cleanly(merchant):
    job = catalog_import_start(merchant=merchant, data=b"", filename="empty.csv", actor="ops")

    job = catalog_import_run(job_pk=job.pk)

    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["code"] == "catalog.invalid_import_file"
    assert CatalogImportJob.objects.for_merchant(merchant).get() == job


def test_a_big_file_imports_in_one_go(merchant):
    lines = [HEADER] + [
        f"Tee {i // 10},Tees,physical,,TEE-{i:05d},size=S{i % 10},{i % 500}.{i % 100:02d},,,yes" for i in range(3000)
    ]

    result = do_import(merchant, "\n".join(lines) + "\n")

    assert (result.products_created, result.skus_created) == (300, 3000)
    assert Sku.objects.get(code="TEE-01234").price_fen == 234 * 100 + 34
    assert do_import(merchant, "\n".join(lines) + "\n").skus_unchanged == 3000


def test_an_existing_products_kind_is_not_changed_by_a_file(merchant):
    product_create(merchant=merchant, data=ProductInput(name="Cake"), actor="t")

    with pytest.raises(ImportRowsInvalid) as excinfo:
        do_import(merchant, "product_name,kind,sku_code,price\nCake,virtual,CAKE-1,88.00\n")

    assert errors_of(excinfo) == [(2, "kind", "catalog.conflicting_product")]


def test_progress_while_rows_are_written_comes_from_the_cache(merchant):
    from django.core.cache import cache

    from weloop.catalog.selectors import progress_cache_key

    job = catalog_import_start(merchant=merchant, data=GOOD.encode(), filename="shoes.csv", actor="ops")
    CatalogImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, total=4, processed=0)
    job.refresh_from_db()
    cache.set(progress_cache_key(job.pk), 3)
    try:
        progress = import_job_progress(job)
    finally:
        cache.delete(progress_cache_key(job.pk))

    assert (progress.processed, progress.percent, progress.finished) == (3, 75, False)
