"""Console forms of the catalog: they read and shape input; the catalog services hold every rule.

Prices are typed in yuan ("12.30") and turned into fen with ``weloop.core.money.yuan_to_fen``,
which refuses negative amounts and more than two decimals (``money.invalid_amount``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from weloop.catalog.enums import SELLABLE_KINDS, ProductKind, ProductStatus
from weloop.core.errors import WeloopError
from weloop.core.money import yuan_to_fen


def _tag(form: forms.Form, prefix: str) -> None:
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("data-testid", f"{prefix}-{name}")


def fen_or_none(text: str, *, field: str) -> int | None:
    """A yuan amount typed in a box, as fen; an empty box is None. Raises money.invalid_amount."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return yuan_to_fen(text)
    except WeloopError as error:
        error.extra["field"] = field
        raise


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category_id = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *ProductStatus.choices])

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = [("", _("All")), *categories]  # type: ignore[attr-defined]
        _tag(self, "product-filter")


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in ProductKind if k in SELLABLE_KINDS], initial="physical"
    )
    category_id = forms.ChoiceField(label=_("Category"), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    option_names = forms.CharField(
        label=_("Options"),
        required=False,
        max_length=200,
        help_text=_("The options the SKUs vary by, separated by commas, e.g. size, temperature. Empty for one SKU."),
    )
    allows_delivery = forms.BooleanField(label=_("Home delivery"), required=False, initial=True)
    allows_pickup = forms.BooleanField(label=_("Pickup in store"), required=False, initial=True)

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {
        "catalog.product_name_taken": ("name",),
        "catalog.options_in_use": ("option_names",),
        "catalog.invalid_category": ("category_id",),
    }

    def __init__(self, *args: Any, categories: list[tuple[str, str]], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = [("", _("No category")), *categories]  # type: ignore[attr-defined]
        if editing:  # the kind of a product never changes
            del self.fields["kind"]
        _tag(self, "product")

    def option_name_list(self) -> list[str]:
        return [
            name.strip() for name in self.cleaned_data["option_names"].replace("，", ",").split(",") if name.strip()
        ]

    def fulfilment(self) -> tuple[bool | None, bool | None]:
        """Virtual products are never shipped: leave both to the service rather than refuse the form."""
        if self.cleaned_data.get("kind") == ProductKind.VIRTUAL:
            return None, None
        return self.cleaned_data["allows_delivery"], self.cleaned_data["allows_pickup"]


class SkuForm(forms.Form):
    """A SKU; its option values come as ``option_<n>`` boxes, one per option name of the product."""

    code = forms.CharField(label=_("SKU code"), max_length=64)
    price = forms.CharField(label=_("Price (yuan)"), max_length=20, help_text=_("e.g. 12.30"))
    list_price = forms.CharField(label=_("List price (yuan)"), max_length=20, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {
        "catalog.sku_code_taken": ("code",),
        "catalog.invalid_sku": ("code",),
        "money.invalid_amount": ("price",),
    }

    def __init__(self, *args: Any, option_names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_names = option_names
        for i, name in enumerate(option_names):
            self.fields[f"option_{i}"] = forms.CharField(label=name, max_length=60)
        _tag(self, "sku")
        for field in ("price", "list_price"):
            self.fields[field].widget.attrs["inputmode"] = "decimal"

    @property
    def option_fields(self) -> list[forms.BoundField]:
        return [self[f"option_{i}"] for i in range(len(self.option_names))]

    def options(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"option_{i}"] for i, name in enumerate(self.option_names)}

    def prices_fen(self) -> tuple[int, int | None]:
        price = fen_or_none(self.cleaned_data["price"], field="price")
        if price is None:
            self.add_error("price", _("Enter a price."))
        return price or 0, fen_or_none(self.cleaned_data["list_price"], field="list_price")


class StorePriceForm(forms.Form):
    store_id = forms.CharField(max_length=40, widget=forms.HiddenInput)
    price = forms.CharField(label=_("Store price (yuan)"), max_length=20, required=False)
    is_available = forms.BooleanField(label=_("Sold in this store"), required=False)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    parent_id = forms.ChoiceField(label=_("Parent"), required=False)
    position = forms.IntegerField(label=_("Position"), required=False, initial=0)

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {"catalog.category_name_taken": ("name",)}

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent_id"].choices = [("", _("(top level)")), *categories]  # type: ignore[attr-defined]
        _tag(self, "category")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8 or GB18030, one row per SKU, as the export writes it.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tag(self, "import")
