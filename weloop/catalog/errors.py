from weloop.core.errors import Conflict, ValidationFailed


class InvalidProduct(ValidationFailed):
    code = "catalog.invalid_product"
    message = "Some product fields are not valid."


class ProductNameTaken(ValidationFailed):
    code = "catalog.product_name_taken"
    message = "Another product of yours already has this name."


class ProductKindNotAvailable(ValidationFailed):
    code = "catalog.kind_not_available"
    message = "Products of this kind cannot be created yet."


class ProductNotReady(Conflict):
    code = "catalog.product_not_ready"
    message = "A product needs at least one active SKU before it goes on sale."


class OptionsInUse(Conflict):
    code = "catalog.options_in_use"
    message = "The option names cannot change while the product has SKUs."


class InvalidSku(ValidationFailed):
    code = "catalog.invalid_sku"
    message = "Some SKU fields are not valid."


class InvalidSkuOptions(ValidationFailed):
    code = "catalog.invalid_options"
    message = "A SKU must give exactly one value for each option of its product."


class SkuCodeTaken(ValidationFailed):
    code = "catalog.sku_code_taken"
    message = "Another SKU of yours already has this code."


class SkuOptionsTaken(ValidationFailed):
    code = "catalog.sku_options_taken"
    message = "The product already has a SKU with these option values."


class InvalidCategory(ValidationFailed):
    code = "catalog.invalid_category"
    message = "The category is not valid."


class CategoryNameTaken(ValidationFailed):
    code = "catalog.category_name_taken"
    message = "This category already has a sub-category with this name."


class CategoryInUse(Conflict):
    code = "catalog.category_in_use"
    message = "The category still has products or sub-categories."


class InvalidImage(ValidationFailed):
    code = "catalog.invalid_image"
    message = "An image is a PNG, JPEG, GIF or WebP file of at most 5 MB, or an http(s) URL."


class InvalidImportFile(ValidationFailed):
    code = "catalog.invalid_import_file"
    message = "The file is not a catalog CSV that can be imported."


class ImportRowsInvalid(ValidationFailed):
    code = "catalog.import_rows_invalid"
    message = "Some rows are not valid; nothing was imported."
