"""CSV import of products and SKUs: every row checked first, then all written in one transaction.

- Idempotent by ``sku_code``: a known code updates its SKU, an unknown one creates it (and its
  product, found by name or created as a draft). Importing the same file twice changes nothing.
- All or nothing: when any row is wrong, nothing is written and every error is reported with its
  row number (the header is row 1) and column.
- Stock columns are not written here: inventory owns stock. The import publishes the figures as
  ``catalog.stock_levels_imported`` events in the same transaction, and inventory's handler makes
  them the available stock (so they exist exactly when the import committed).
- Big files run in the queue (``catalog_import_start`` + the ``catalog_import_task``) with progress
  on a CatalogImportJob; ``catalog_import_csv`` does the same work inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction

from weloop.catalog import csv_format
from weloop.catalog.calculations import clean_option_names, clean_options, options_key
from weloop.catalog.csv_format import ABSENT, CsvRow, RowError
from weloop.catalog.enums import SELLABLE_KINDS, ImportStatus, ProductKind
from weloop.catalog.errors import ImportRowsInvalid, InvalidImportFile
from weloop.catalog.models import CatalogImportJob, Category, Product, Sku
from weloop.catalog.selectors import progress_cache_key
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.events import publish
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
MAX_ERRORS_KEPT = 500
CHUNK = 500
LEVELS_PER_EVENT = 1000
STOCK_EVENT = "catalog.stock_levels_imported"


@dataclass
class ImportResult:
    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    skus_created: int = 0
    skus_updated: int = 0
    skus_unchanged: int = 0
    stock_levels: int = 0


@dataclass
class _Group:
    """The rows of one product, and what the product will look like."""

    name: str
    rows: list[CsvRow]
    product: Product | None = None  # the existing product, if any
    option_names: list[str] = field(default_factory=list)
    kind: str = ProductKind.PHYSICAL
    category: Any = ABSENT  # list of names, or ABSENT
    description: Any = ABSENT


@dataclass
class _Plan:
    groups: list[_Group]
    skus: dict[str, Sku]  # existing SKUs of the file's codes
    options_present: bool


# --- entry points ---------------------------------------------------------------------------


def catalog_import_csv(
    *,
    merchant: Merchant,
    data: bytes | str,
    actor: str,
    stock_locations: Iterable[str] | None = None,
    reference: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row of ``data``, then write them all. Raises ImportRowsInvalid
    (``catalog.import_rows_invalid``, extra ``{"errors": [...], "error_count": n}``) or
    InvalidImportFile, and then writes nothing.

    ``stock_locations``: the location names ``stock:<name>`` columns may use (the caller asks
    inventory); None accepts any name, and inventory makes unknown names warehouses.
    """
    rows, errors, plan = _check(merchant, data, stock_locations, progress=None)
    if errors:
        raise ImportRowsInvalid(
            extra={"errors": [e.as_dict() for e in errors[:MAX_ERRORS_KEPT]], "error_count": len(errors)}
        )
    with transaction.atomic():
        return _apply(merchant, plan, actor=actor, reference=reference, progress=progress, rows=len(rows))


def catalog_import_validate(
    *, merchant: Merchant, data: bytes | str, stock_locations: Iterable[str] | None = None
) -> list[RowError]:
    """Every problem of the file, writing nothing (a dry run)."""
    try:
        return _check(merchant, data, stock_locations, progress=None)[1]
    except InvalidImportFile as exc:
        return [RowError(0, "", exc.code, exc.detail)]


def catalog_import_start(
    *, merchant: Merchant, data: bytes, filename: str, actor: str, stock_locations: Iterable[str] | None = None
) -> CatalogImportJob:
    """Store the file and queue its import; the console polls the job (selectors.import_job_progress)."""
    if len(data) > csv_format.MAX_BYTES:
        raise InvalidImportFile(extra={"bytes": len(data)})
    job = CatalogImportJob(
        merchant=merchant,
        filename=(filename or "catalog.csv")[-255:],
        actor=actor[:150],
        stock_locations=None if stock_locations is None else list(stock_locations),
    )
    job.file.save(f"{job.public_id}.csv", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_pk: int) -> None:
    from weloop.catalog.tasks import catalog_import_task

    catalog_import_task(job_pk)


def catalog_import_run(*, job_pk: int) -> CatalogImportJob:
    """Run a queued import once (a second run of the same job does nothing) and record the outcome."""
    claimed = CatalogImportJob.objects.filter(pk=job_pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, started_at=clock.now()
    )
    job = CatalogImportJob.objects.select_related("merchant").get(pk=job_pk)
    if not claimed:
        return job
    try:
        _run(job)
    except WeloopError as exc:
        _finish(job, ImportStatus.FAILED, errors=[RowError(0, "", exc.code, exc.detail)])
    except Exception:
        logger.exception("catalog import %s failed", job.public_id)
        _finish(job, ImportStatus.FAILED, errors=[RowError(0, "", "catalog.import_failed", "The import failed.")])
    job.refresh_from_db()
    return job


def _run(job: CatalogImportJob) -> None:
    with job.file.open("rb") as handle:
        data = handle.read()

    def validated(n: int) -> None:
        CatalogImportJob.objects.filter(pk=job.pk).update(processed=n)

    rows, errors, plan = _check(job.merchant, data, job.stock_locations, progress=validated, job=job)
    if errors:
        _finish(job, ImportStatus.FAILED, errors=errors)
        return
    CatalogImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, processed=0)
    key = progress_cache_key(job.pk)
    with transaction.atomic():
        result = _apply(
            job.merchant,
            plan,
            actor=job.actor,
            reference=job.public_id,
            progress=lambda n: cache.set(key, n, 3600),
            rows=len(rows),
        )
    cache.delete(key)
    CatalogImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.SUCCEEDED,
        processed=len(rows),
        created_count=result.skus_created,
        updated_count=result.skus_updated,
        finished_at=clock.now(),
    )


def _finish(job: CatalogImportJob, status: str, *, errors: list[RowError]) -> None:
    CatalogImportJob.objects.filter(pk=job.pk).update(
        status=status, errors=[e.as_dict() for e in errors[:MAX_ERRORS_KEPT]], finished_at=clock.now()
    )


# --- checking -------------------------------------------------------------------------------


def _check(
    merchant: Merchant,
    data: bytes | str,
    stock_locations: Iterable[str] | None,
    *,
    progress: Progress | None,
    job: CatalogImportJob | None = None,
) -> tuple[list[CsvRow], list[RowError], _Plan]:
    header, records = csv_format.read(csv_format.decode(data))
    if job is not None:
        CatalogImportJob.objects.filter(pk=job.pk).update(total=len(records))
    empty = _Plan([], {}, "options" in header)
    errors = csv_format.check_header(header, None if stock_locations is None else list(stock_locations))
    if errors:
        return [], sorted(errors, key=lambda e: (e.row, e.column)), empty
    rows: list[CsvRow] = []
    for i, (number, cells) in enumerate(records, start=1):
        row, row_errors = csv_format.parse_row(header, number, cells)
        errors += row_errors
        if row is not None:
            rows.append(row)
        if progress and i % 1000 == 0:
            progress(i)
    if not records:
        errors.append(RowError(2, "", "catalog.no_rows", "The file has a header but no rows."))
    groups = _groups(rows, errors)
    plan = _Plan(groups, _existing_skus(merchant, rows), "options" in header)
    _check_against_catalog(merchant, plan, errors)
    if progress:
        progress(len(records))
    return rows, sorted(errors, key=lambda e: (e.row, e.column)), plan


def _groups(rows: list[CsvRow], errors: list[RowError]) -> list[_Group]:
    """Rows by product name; the first row of a product sets its kind, category and description."""
    groups: dict[str, _Group] = {}
    seen_codes: dict[str, int] = {}
    for row in rows:
        if row.sku_code in seen_codes:
            message = f"The SKU code {row.sku_code} is already on row {seen_codes[row.sku_code]}."
            errors.append(RowError(row.number, "sku_code", "catalog.sku_code_taken", message))
            continue
        seen_codes[row.sku_code] = row.number
        group = groups.get(row.product_name)
        if group is None:
            groups[row.product_name] = _Group(row.product_name, [row], option_names=list(row.options))
            continue
        for column in ("kind", "category", "description"):
            value, first = getattr(row, column), getattr(group.rows[0], column)
            if value not in (ABSENT, "", []) and value != first:
                message = f"{row.product_name} has another {column} on row {group.rows[0].number}."
                errors.append(RowError(row.number, column, "catalog.conflicting_product", message))
        group.rows.append(row)
    for group in groups.values():
        first = group.rows[0]
        group.category, group.description = first.category, first.description
    return list(groups.values())


def _existing_skus(merchant: Merchant, rows: list[CsvRow]) -> dict[str, Sku]:
    codes = [row.sku_code for row in rows]
    found: dict[str, Sku] = {}
    for start in range(0, len(codes), CHUNK):
        chunk = (
            Sku.objects.for_merchant(merchant).filter(code__in=codes[start : start + CHUNK]).select_related("product")
        )
        found.update({sku.code: sku for sku in chunk})
    return found


def _existing_products(merchant: Merchant, names: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(names), CHUNK):
        found.update(
            {p.name: p for p in Product.objects.for_merchant(merchant).filter(name__in=names[start : start + CHUNK])}
        )
    return found


def _check_against_catalog(merchant: Merchant, plan: _Plan, errors: list[RowError]) -> None:
    products = _existing_products(merchant, [g.name for g in plan.groups])
    siblings = _skus_of(merchant, products.values())
    for group in plan.groups:
        group.product = products.get(group.name)
        _check_kind(group, errors)
        _check_option_names(group, siblings.get(group.product.pk, []) if group.product else [], plan, errors)
        for row in group.rows:
            sku = plan.skus.get(row.sku_code)
            if sku is not None and sku.product.name != group.name:
                message = f"The SKU {row.sku_code} belongs to the product {sku.product.name}."
                errors.append(RowError(row.number, "sku_code", "catalog.sku_code_taken", message))
        _check_combinations(group, siblings.get(group.product.pk, []) if group.product else [], plan, errors)


def _skus_of(merchant: Merchant, products: Iterable[Product]) -> dict[int, list[Sku]]:
    ids = [p.pk for p in products]
    by_product: dict[int, list[Sku]] = {}
    for start in range(0, len(ids), CHUNK):
        for sku in Sku.objects.for_merchant(merchant).filter(product_id__in=ids[start : start + CHUNK]):
            by_product.setdefault(sku.product_id, []).append(sku)
    return by_product


def _check_kind(group: _Group, errors: list[RowError]) -> None:
    given = group.rows[0].kind
    row = group.rows[0].number
    if given in (ABSENT, ""):
        group.kind = group.product.kind if group.product else ProductKind.PHYSICAL
    elif given not in ProductKind.values:
        errors.append(RowError(row, "kind", "catalog.invalid_product", f"Unknown kind: {given}."))
    elif given not in SELLABLE_KINDS:
        errors.append(
            RowError(row, "kind", "catalog.kind_not_available", f"Products of kind {given} cannot be made yet.")
        )
    elif group.product is not None and given != group.product.kind:
        message = f"{group.name} is a {group.product.kind} product; change its kind in the console."
        errors.append(RowError(row, "kind", "catalog.conflicting_product", message))
    else:
        group.kind = given


def _check_option_names(group: _Group, siblings: list[Sku], plan: _Plan, errors: list[RowError]) -> None:
    """Every row gives the same option names, and they are the product's while it has SKUs."""
    first = group.rows[0]
    if group.product is not None and (siblings or not plan.options_present):
        group.option_names = list(group.product.option_names)
    else:
        try:
            group.option_names = clean_option_names(list(first.options))
        except WeloopError as exc:
            errors.append(RowError(first.number, "options", exc.code, exc.detail))
            return
    for row in group.rows:
        existing = plan.skus.get(row.sku_code)
        if not plan.options_present and existing is not None:
            continue  # no options column: a known SKU keeps its options
        if set(row.options) != set(group.option_names):
            names = ", ".join(group.option_names) or "none"
            message = f"Every SKU of {group.name} gives exactly these options: {names}."
            errors.append(RowError(row.number, "options", "catalog.invalid_options", message))
            continue
        try:
            row.options = clean_options(group.option_names, row.options)
        except WeloopError as exc:
            errors.append(RowError(row.number, "options", exc.code, exc.detail))


def _check_combinations(group: _Group, siblings: list[Sku], plan: _Plan, errors: list[RowError]) -> None:
    """No two SKUs of the product, as it will be after the import, share a combination."""
    in_file = {row.sku_code for row in group.rows}
    taken = {s.options_key: f"SKU {s.code}" for s in siblings if s.code not in in_file}
    for row in group.rows:
        existing = plan.skus.get(row.sku_code)
        key = options_key(row.options) if plan.options_present or existing is None else existing.options_key
        if key in taken:
            message = f"{taken[key]} of {group.name} already has these options."
            errors.append(RowError(row.number, "options", "catalog.sku_options_taken", message))
        taken.setdefault(key, f"Row {row.number}")


# --- writing --------------------------------------------------------------------------------


def _apply(
    merchant: Merchant, plan: _Plan, *, actor: str, reference: str, progress: Progress | None, rows: int
) -> ImportResult:
    result = ImportResult(rows=rows)
    now = clock.now()
    categories = _CategoryResolver(merchant)
    products = _write_products(merchant, plan, categories, result, now)
    levels: list[dict] = []
    done = 0
    for group in plan.groups:
        product = products[group.name]
        _write_skus(merchant, product, group, plan, result, now)
        for row in group.rows:
            sku_id = plan.skus[row.sku_code].public_id
            levels += [{"sku": sku_id, "location": loc, "available": n} for loc, n in row.stock.items()]
        done += len(group.rows)
        if progress:
            progress(done)
    for start in range(0, len(levels), LEVELS_PER_EVENT):
        payload = {"import_job": reference, "actor": actor, "levels": levels[start : start + LEVELS_PER_EVENT]}
        publish(merchant=merchant, name=STOCK_EVENT, payload=payload)
    result.stock_levels = len(levels)
    publish(
        merchant=merchant,
        name="catalog.products_imported",
        payload={"import_job": reference, "actor": actor, **result.__dict__},
    )
    return result


def _write_products(
    merchant, plan: _Plan, categories: _CategoryResolver, result: ImportResult, now
) -> dict[str, Product]:
    products: dict[str, Product] = {}
    new, changed = [], []
    for group in plan.groups:
        product = group.product
        if product is None:
            physical = group.kind == ProductKind.PHYSICAL
            product = Product(
                merchant=merchant,
                name=group.name,
                kind=group.kind,
                option_names=group.option_names,
                allows_delivery=physical,
                allows_pickup=physical,
                created_at=now,
                updated_at=now,
            )
            new.append(product)
        before = (product.category_id, product.description, product.option_names)
        if group.category is not ABSENT:
            product.category = categories.resolve(group.category)
        if group.description is not ABSENT:
            product.description = group.description
        product.option_names = group.option_names
        if group.product is not None and before != (product.category_id, product.description, product.option_names):
            product.updated_at = now
            changed.append(product)
        products[group.name] = product
    Product.objects.bulk_create(new, batch_size=CHUNK)
    Product.objects.bulk_update(changed, ["category", "description", "option_names", "updated_at"], batch_size=CHUNK)
    result.products_created, result.products_updated = len(new), len(changed)
    return products


_SKU_FIELDS = ["options", "options_key", "price_fen", "list_price_fen", "weight_g", "is_active", "updated_at"]


def _write_skus(merchant, product: Product, group: _Group, plan: _Plan, result: ImportResult, now) -> None:
    new, changed, moved_keys = [], [], []
    for row in group.rows:
        sku = plan.skus.get(row.sku_code)
        is_new = sku is None
        if sku is None:
            sku = Sku(merchant=merchant, product=product, code=row.sku_code, created_at=now, updated_at=now)
            plan.skus[row.sku_code] = sku
        before = [getattr(sku, name) for name in _SKU_FIELDS[:-1]]
        if plan.options_present or is_new:
            sku.options, sku.options_key = row.options, options_key(row.options)
        sku.price_fen = row.price_fen
        if row.list_price_fen is not ABSENT or is_new:
            sku.list_price_fen = None if row.list_price_fen is ABSENT else row.list_price_fen
        if row.weight_g is not ABSENT:
            sku.weight_g = row.weight_g
        if row.active is not ABSENT or is_new:
            sku.is_active = True if row.active is ABSENT else row.active
        if is_new:
            new.append(sku)
        elif before != [getattr(sku, name) for name in _SKU_FIELDS[:-1]]:
            sku.updated_at = now
            changed.append(sku)
            if sku.options_key != before[1]:
                moved_keys.append(sku)
    _park_keys(moved_keys)
    Sku.objects.bulk_create(new, batch_size=CHUNK)
    Sku.objects.bulk_update(changed, _SKU_FIELDS, batch_size=CHUNK)
    result.skus_created += len(new)
    result.skus_updated += len(changed)
    result.skus_unchanged += len(group.rows) - len(new) - len(changed)


def _park_keys(skus: list[Sku]) -> None:
    """Two SKUs may trade combinations (38 <-> 39): give the moving ones a temporary key first,
    or the unique index would see a duplicate half-way through the update."""
    if not skus:
        return
    final = {sku.pk: sku.options_key for sku in skus}
    for sku in skus:
        sku.options_key = f"~{sku.pk}"
    Sku.objects.bulk_update(skus, ["options_key"])
    for sku in skus:
        sku.options_key = final[sku.pk]


class _CategoryResolver:
    """Finds a category by its path of names, creating the missing ones."""

    def __init__(self, merchant: Merchant) -> None:
        self.merchant = merchant
        self.known: dict[tuple[int | None, str], Category] = {
            (c.parent_id, c.name): c for c in Category.objects.for_merchant(merchant)
        }

    def resolve(self, names: list[str]) -> Category | None:
        parent: Category | None = None
        for name in names:
            key = (parent.pk if parent else None, name)
            category = self.known.get(key)
            if category is None:
                category = Category.objects.create(merchant=self.merchant, name=name, parent=parent)
                self.known[key] = category
            parent = category
        return parent
