"""Catalog pages: products with their SKUs, store prices and stock, categories, CSV import and export.

Owners and admins manage the catalog (``catalog.manage``); store managers read it (``catalog.view``).
Stock is shown read-only from inventory: it changes through stock counts and orders, not here.
Every page works as a plain form post; htmx polls the import's progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from weloop.catalog import selectors, services
from weloop.catalog.enums import ProductStatus
from weloop.catalog.exports import catalog_export_csv
from weloop.catalog.imports import catalog_import_start, catalog_import_validate
from weloop.catalog.models import Product, Sku
from weloop.catalog.selectors import ProductDetail
from weloop.catalog.state import PRODUCT
from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_text
from weloop.dashboard.catalog_forms import (
    CategoryForm,
    ImportForm,
    ProductFilterForm,
    ProductForm,
    SkuForm,
    StorePriceForm,
    fen_or_none,
)
from weloop.dashboard.web import actor_of, attach_error, error_context, render_page, render_partial
from weloop.inventory.selectors import location_list, location_names, sku_stock_by_location
from weloop.stores.models import Store
from weloop.stores.selectors import store_get, store_list
from weloop.tenants.access import staff_view
from weloop.tenants.models import Merchant
from weloop.tenants.permissions import has_permission

PAGE_SIZE = 50


def _category_choices(merchant: Merchant) -> list[tuple[str, str]]:
    paths = selectors.category_paths(merchant=merchant)
    return sorted(((c.public_id, paths[c.pk]) for c in selectors.category_list(merchant=merchant)), key=lambda x: x[1])


# --- list ---------------------------------------------------------------------------------------


@staff_view("catalog.view")
def product_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    form = ProductFilterForm(request.GET, categories=_category_choices(merchant))
    filters = form.cleaned_data if form.is_valid() else {}
    products = selectors.product_list(
        merchant=merchant,
        q=filters.get("q") or None,
        category_id=filters.get("category_id") or None,
        status=filters.get("status") or None,
    ).prefetch_related("skus")
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "products": list(page),
        "can_manage": has_permission(request.staff, "catalog.manage"),  # type: ignore[attr-defined]
    }
    return render_page(request, "dashboard/catalog/list.html", context)


# --- detail: SKUs, store prices, stock ----------------------------------------------------------


@dataclass(frozen=True)
class StoreCell:
    store: Store
    price_fen: int  # what the SKU costs there
    is_store_price: bool
    is_available: bool
    stock: int | None  # None: the store never stocked it

    @property
    def price_yuan(self) -> str:
        return yuan_text(self.price_fen)


@dataclass(frozen=True)
class SkuRow:
    sku: Sku
    stores: list[StoreCell]


def _sku_rows(merchant: Merchant, detail: ProductDetail, stores: list[Store]) -> list[SkuRow]:
    stock = sku_stock_by_location(merchant=merchant, sku_ids=[o.sku.public_id for o in detail.offers])
    location_of = _store_location_names(merchant, stores)
    rows = []
    for offer in detail.offers:
        cells = []
        for store in stores:
            at_store = selectors.sku_offer_at(sku=offer.sku, store=store)
            units = stock.get(offer.sku.public_id, {}).get(location_of.get(store.pk, ""))
            cells.append(StoreCell(store, at_store.price_fen, at_store.is_store_price, at_store.is_available, units))
        rows.append(SkuRow(offer.sku, cells))
    return rows


def _store_location_names(merchant: Merchant, stores: list[Store]) -> dict[int, str]:
    rows = location_list(merchant=merchant).filter(store__in=stores).values_list("store_id", "name")
    return dict(rows)


def _detail_page(
    request: HttpRequest,
    product_id: str,
    *,
    sku_form: SkuForm | None = None,
    error: WeloopError | None = None,
    status: int = 200,
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    detail = selectors.product_detail(merchant=merchant, product_id=product_id)
    product = detail.product
    stores = list(store_list(merchant=merchant))
    context = {
        "detail": detail,
        "product": product,
        "rows": _sku_rows(merchant, detail, stores),
        "stores": stores,
        "sku_form": sku_form or SkuForm(option_names=product.option_names),
        "status_targets": _status_targets(product),
        "can_manage": has_permission(request.staff, "catalog.manage"),  # type: ignore[attr-defined]
        **error_context(error),
    }
    return render_page(request, "dashboard/catalog/detail.html", context, status=status)


def _status_targets(product: Product) -> list[tuple[str, str]]:
    allowed = PRODUCT.allowed_from(product.status)
    return [(value, str(label)) for value, label in ProductStatus.choices if value in allowed]


@staff_view("catalog.view")
def product_detail(request: HttpRequest, product_id: str) -> HttpResponse:
    return _detail_page(request, product_id)


# --- create and edit ----------------------------------------------------------------------------


def _form_page(
    request: HttpRequest, form: ProductForm, *, product: Product | None = None, error: WeloopError | None = None
) -> HttpResponse:
    status = error.status if error else (400 if form.is_bound else 200)
    context = {"form": form, "product": product, **error_context(error)}
    return render_page(request, "dashboard/catalog/form.html", context, status=status)


@staff_view("catalog.manage")
def product_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    categories = _category_choices(merchant)
    if request.method != "POST":
        return _form_page(request, ProductForm(categories=categories))
    form = ProductForm(request.POST, categories=categories)
    if not form.is_valid():
        return _form_page(request, form)
    delivery, pickup = form.fulfilment()
    data = services.ProductInput(
        name=form.cleaned_data["name"],
        kind=form.cleaned_data["kind"],
        description=form.cleaned_data["description"],
        category_id=form.cleaned_data["category_id"] or None,
        option_names=form.option_name_list(),
        allows_delivery=delivery,
        allows_pickup=pickup,
    )
    try:
        product = services.product_create(merchant=merchant, data=data, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code=ProductForm.FIELDS_BY_ERROR)
        return _form_page(request, form, error=error)
    messages.success(request, gettext("Product “%(name)s” created. Add its SKUs below.") % {"name": product.name})
    return redirect("dashboard:product_detail", product_id=product.public_id)


@staff_view("catalog.manage")
def product_edit(request: HttpRequest, product_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    product = selectors.product_get(merchant=merchant, product_id=product_id)
    categories = _category_choices(merchant)
    if request.method != "POST":
        initial = {
            "name": product.name,
            "description": product.description,
            "category_id": product.category.public_id if product.category else "",
            "option_names": ", ".join(product.option_names),
            "allows_delivery": product.allows_delivery,
            "allows_pickup": product.allows_pickup,
        }
        return _form_page(request, ProductForm(initial=initial, categories=categories, editing=True), product=product)
    form = ProductForm(request.POST, categories=categories, editing=True)
    if not form.is_valid():
        return _form_page(request, form, product=product)
    virtual = product.kind == "virtual"
    patch = services.ProductPatch(
        name=form.cleaned_data["name"],
        description=form.cleaned_data["description"],
        category_id=form.cleaned_data["category_id"] or None,
        option_names=form.option_name_list(),
        allows_delivery=None if virtual else form.cleaned_data["allows_delivery"],
        allows_pickup=None if virtual else form.cleaned_data["allows_pickup"],
    )
    try:
        services.product_update(merchant=merchant, product_id=product.public_id, patch=patch, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code=ProductForm.FIELDS_BY_ERROR)
        return _form_page(request, form, product=product, error=error)
    messages.success(request, gettext("Product saved."))
    return redirect("dashboard:product_detail", product_id=product.public_id)


@require_POST
@staff_view("catalog.manage")
def product_set_status(request: HttpRequest, product_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    product = selectors.product_get(merchant=merchant, product_id=product_id)
    try:
        services.product_set_status(
            merchant=merchant,
            product_id=product.public_id,
            status=request.POST.get("status", ""),
            actor=actor_of(request),
        )
    except WeloopError as error:
        return _detail_page(request, product.public_id, error=error, status=error.status)
    messages.success(request, gettext("Status changed."))
    return redirect("dashboard:product_detail", product_id=product.public_id)


# --- SKUs and store prices ----------------------------------------------------------------------


@require_POST
@staff_view("catalog.manage")
def sku_create(request: HttpRequest, product_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    product = selectors.product_get(merchant=merchant, product_id=product_id)
    form = SkuForm(request.POST, option_names=product.option_names)
    if not form.is_valid():
        return _detail_page(request, product.public_id, sku_form=form, status=400)
    try:
        price, list_price = form.prices_fen()
        if form.errors:
            return _detail_page(request, product.public_id, sku_form=form, status=400)
        data = services.SkuInput(
            code=form.cleaned_data["code"],
            price_fen=price,
            options=form.options(),
            list_price_fen=list_price,
            is_active=form.cleaned_data["is_active"],
        )
        services.sku_create(merchant=merchant, product_id=product.public_id, data=data, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code=SkuForm.FIELDS_BY_ERROR)
        return _detail_page(request, product.public_id, sku_form=form, error=error, status=error.status)
    messages.success(request, gettext("SKU added."))
    return redirect("dashboard:product_detail", product_id=product.public_id)


def _sku_form_page(request: HttpRequest, sku: Sku, form: SkuForm, error: WeloopError | None = None) -> HttpResponse:
    status = error.status if error else (400 if form.is_bound else 200)
    context = {"sku": sku, "product": sku.product, "form": form, **error_context(error)}
    return render_page(request, "dashboard/catalog/sku_form.html", context, status=status)


@staff_view("catalog.manage")
def sku_edit(request: HttpRequest, sku_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    sku = selectors.sku_get(merchant=merchant, sku_id=sku_id)
    option_names = sku.product.option_names
    if request.method != "POST":
        initial = {
            "code": sku.code,
            "price": yuan_text(sku.price_fen),
            "list_price": yuan_text(sku.list_price_fen),
            "is_active": sku.is_active,
            **{f"option_{i}": sku.options.get(name, "") for i, name in enumerate(option_names)},
        }
        return _sku_form_page(request, sku, SkuForm(initial=initial, option_names=option_names))
    form = SkuForm(request.POST, option_names=option_names)
    if not form.is_valid():
        return _sku_form_page(request, sku, form)
    try:
        price, list_price = form.prices_fen()
        if form.errors:
            return _sku_form_page(request, sku, form)
        patch = services.SkuPatch(
            code=form.cleaned_data["code"],
            options=form.options(),
            price_fen=price,
            list_price_fen=list_price,
            is_active=form.cleaned_data["is_active"],
        )
        services.sku_update(merchant=merchant, sku_id=sku.public_id, patch=patch, actor=actor_of(request))
    except WeloopError as error:
        attach_error(form, error, field_by_code=SkuForm.FIELDS_BY_ERROR)
        return _sku_form_page(request, sku, form, error)
    messages.success(request, gettext("SKU saved."))
    return redirect("dashboard:product_detail", product_id=sku.product.public_id)


@require_POST
@staff_view("catalog.manage")
def sku_store_price(request: HttpRequest, sku_id: str) -> HttpResponse:
    """Set (or, with ``clear``, drop) one store's own price and availability of a SKU."""
    merchant = request.merchant  # type: ignore[attr-defined]
    sku = selectors.sku_get(merchant=merchant, sku_id=sku_id)
    form = StorePriceForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, sku.product.public_id, status=400)
    try:
        store = store_get(merchant=merchant, public_id=form.cleaned_data["store_id"])
        if "clear" in request.POST:
            services.store_price_clear(merchant=merchant, sku_id=sku.public_id, store=store)
        else:
            services.store_price_set(
                merchant=merchant,
                sku_id=sku.public_id,
                store=store,
                price_fen=fen_or_none(form.cleaned_data["price"], field="price"),
                is_available=form.cleaned_data["is_available"],
                actor=actor_of(request),
            )
    except WeloopError as error:
        return _detail_page(request, sku.product.public_id, error=error, status=error.status)
    messages.success(request, gettext("Store price saved."))
    return redirect("dashboard:product_detail", product_id=sku.product.public_id)


# --- categories ---------------------------------------------------------------------------------


def _categories_page(
    request: HttpRequest, form: CategoryForm | None = None, error: WeloopError | None = None, status: int = 200
) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    context = {
        "tree": _flatten(selectors.category_tree(merchant=merchant)),
        "form": form or CategoryForm(categories=_category_choices(merchant)),
        **error_context(error),
    }
    return render_page(request, "dashboard/catalog/categories.html", context, status=status)


def _flatten(nodes: list) -> list:
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(_flatten(node.children))
    return flat


@staff_view("catalog.manage")
def category_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    if request.method != "POST":
        return _categories_page(request)
    form = CategoryForm(request.POST, categories=_category_choices(merchant))
    if not form.is_valid():
        return _categories_page(request, form, status=400)
    try:
        services.category_create(
            merchant=merchant,
            name=form.cleaned_data["name"],
            parent_id=form.cleaned_data["parent_id"] or None,
            position=form.cleaned_data["position"] or 0,
        )
    except WeloopError as error:
        attach_error(form, error, field_by_code=CategoryForm.FIELDS_BY_ERROR)
        return _categories_page(request, form, error, status=error.status)
    messages.success(request, gettext("Category created."))
    return redirect("dashboard:category_list")


@require_POST
@staff_view("catalog.manage")
def category_delete(request: HttpRequest, category_id: str) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    category = selectors.category_get(merchant=merchant, category_id=category_id)
    try:
        services.category_delete(merchant=merchant, category_id=category.public_id)
    except WeloopError as error:
        return _categories_page(request, error=error, status=error.status)
    messages.success(request, gettext("Category deleted."))
    return redirect("dashboard:category_list")


# --- CSV import and export ----------------------------------------------------------------------


def _import_page(
    request: HttpRequest, form: ImportForm, *, row_errors: list | None = None, checked: bool = False, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "row_errors": row_errors or [],
        "checked": checked,
        "jobs": list(selectors.import_job_list(merchant=request.merchant)[:10]),  # type: ignore[attr-defined]
    }
    return render_page(request, "dashboard/catalog/import.html", context, status=status)


@staff_view("catalog.manage")
def product_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV: "check" lists every row error and writes nothing; "import" checks, then queues it."""
    if request.method != "POST":
        return _import_page(request, ImportForm())
    merchant = request.merchant  # type: ignore[attr-defined]
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    stock_locations = location_names(merchant=merchant)
    row_errors = catalog_import_validate(merchant=merchant, data=data, stock_locations=stock_locations)
    if row_errors or request.POST.get("action") != "import":
        return _import_page(request, form, row_errors=row_errors, checked=True, status=400 if row_errors else 200)
    try:
        job = catalog_import_start(
            merchant=merchant, data=data, filename=upload.name, actor=actor_of(request), stock_locations=stock_locations
        )
    except WeloopError as error:
        return _import_page(request, form, row_errors=[{"row": 0, "column": "", "message": gettext(error.detail)}])
    return redirect("dashboard:product_import_job", import_job_id=job.public_id)


def _progress_context(request: HttpRequest, import_job_id: str) -> dict:
    job = selectors.import_job_get(merchant=request.merchant, import_job_id=import_job_id)  # type: ignore[attr-defined]
    return {"job": job, "progress": selectors.import_job_progress(job)}


@require_safe
@staff_view("catalog.manage")
def product_import_job(request: HttpRequest, import_job_id: str) -> HttpResponse:
    return render_page(request, "dashboard/catalog/import_job.html", _progress_context(request, import_job_id))


@require_safe
@staff_view("catalog.manage")
def product_import_progress(request: HttpRequest, import_job_id: str) -> HttpResponse:
    """The progress bar alone; it asks to be polled again until the job is finished."""
    return render_partial(request, "dashboard/catalog/_import_progress.html", _progress_context(request, import_job_id))


@require_safe
@staff_view("catalog.manage")
def product_export(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    rows = catalog_export_csv(
        merchant=merchant,
        stock_levels=lambda sku_ids: sku_stock_by_location(merchant=merchant, sku_ids=sku_ids),
        locations=location_names(merchant=merchant),
    )
    # Joined, not streamed: the file is at most a few MB, and a plain response has a Content-Length.
    response = HttpResponse("".join(rows), content_type="text/csv; charset=utf-8")
    filename = f"catalog-{merchant.slug}-{clock.now():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
