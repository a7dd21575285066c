"""Console forms of orders and payments: they read and shape input; the services hold every rule.

Amounts are typed in yuan ("12.30") and become fen through ``fen_or_none`` (``money.invalid_amount``
for negative amounts or more than two decimals).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weloop.dashboard.catalog_forms import _tag
from weloop.orders.enums import AfterSalesStatus, FulfilmentType, OrderStatus
from weloop.orders.models import Order

VALET_LINES = 5  # SKU rows on the valet form
PEM_MAX_BYTES = 16 * 1024


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order number"), required=False, max_length=24)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices])
    fulfilment_type = forms.ChoiceField(
        label=_("Fulfilment"), required=False, choices=[("", _("All")), *FulfilmentType.choices]
    )
    store = forms.ChoiceField(label=_("Store"), required=False)
    member = forms.CharField(label=_("Member id"), required=False, max_length=24)
    placed_from = forms.DateField(
        label=_("Placed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    placed_to = forms.DateField(label=_("Placed until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, stores: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All")), *stores]  # type: ignore[attr-defined]
        _tag(self, "order-filter")


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tag(self, "ship")


class TrackingEventForm(forms.Form):
    description = forms.CharField(label=_("What happened"), max_length=200)
    location = forms.CharField(label=_("Where"), required=False, max_length=80)
    at = forms.DateTimeField(
        label=_("When (empty: now)"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tag(self, "tracking")


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=16)
    reason = forms.CharField(label=_("Reason"), max_length=80)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for line in order.lines.all():
            left = line.quantity - line.returned_quantity
            self.fields[f"return_{line.public_id}"] = forms.IntegerField(
                label=line.product_name, required=False, min_value=0, max_value=left
            )
        _tag(self, "refund")

    def return_lines(self) -> dict[str, int]:
        return {
            name.removeprefix("return_"): units
            for name, units in self.cleaned_data.items()
            if name.startswith("return_") and units
        }


OFFLINE_CHOICES = [("offline_cash", _("Cash")), ("offline_card", _("Card"))]


class OfflinePaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("Paid with"), choices=OFFLINE_CHOICES)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note to the customer"), required=False, max_length=200)


class AfterSalesFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *AfterSalesStatus.choices])


class ValetForm(forms.Form):
    member = forms.CharField(
        label=_("Member"), max_length=128, help_text=_("Member id (mb_…), openid or phone number.")
    )
    fulfilment_type = forms.ChoiceField(label=_("Fulfilment"), choices=FulfilmentType.choices)
    store = forms.ChoiceField(label=_("Store"), required=False)
    table_code = forms.CharField(label=_("Table or shelf"), required=False, max_length=32)
    ship_name = forms.CharField(label=_("Recipient"), required=False, max_length=40)
    ship_phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    ship_city = forms.CharField(label=_("City"), required=False, max_length=40)
    ship_detail = forms.CharField(label=_("Address"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, stores: list[tuple[str, str]], skus: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", "—"), *stores]  # type: ignore[attr-defined]
        for i in range(VALET_LINES):
            self.fields[f"sku_{i}"] = forms.ChoiceField(label=_("Product"), required=False, choices=[("", "—"), *skus])
            self.fields[f"qty_{i}"] = forms.IntegerField(
                label=_("Quantity"), required=False, min_value=1, max_value=9999
            )
        _tag(self, "valet")

    def line_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"sku_{i}"], self[f"qty_{i}"]) for i in range(VALET_LINES)]

    def lines(self) -> list[tuple[str, int]]:
        rows = []
        for i in range(VALET_LINES):
            sku, qty = self.cleaned_data.get(f"sku_{i}"), self.cleaned_data.get(f"qty_{i}")
            if sku:
                rows.append((sku, qty or 1))
        return rows


class ShippingRuleForm(forms.Form):
    flat_fee = forms.CharField(label=_("Delivery fee (yuan)"), max_length=16)
    free_above = forms.CharField(
        label=_("Free delivery from (yuan)"), required=False, max_length=16, help_text=_("Empty: never free.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tag(self, "shipping")


class PurchaseLimitForm(forms.Form):
    product_id = forms.ChoiceField(label=_("Product"))
    max_per_member = forms.IntegerField(
        label=_("Limit per member"), required=False, min_value=1, max_value=9999, help_text=_("Empty: no limit.")
    )

    def __init__(self, *args: Any, products: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_id"].choices = products  # type: ignore[attr-defined]
        _tag(self, "limit")


def _pem(upload: Any, field: str) -> str:
    if upload is None:
        return ""
    if upload.size > PEM_MAX_BYTES:
        raise forms.ValidationError(_("A PEM file is a few kilobytes; this one is too large."), code=field)
    try:
        return upload.read().decode("ascii")
    except UnicodeDecodeError:
        raise forms.ValidationError(_("This is not a PEM text file."), code=field) from None


class PaySettingsForm(forms.Form):
    """The same fields as ``weloop merchant set-pay``; secrets are write-only (never shown back)."""

    mchid = forms.CharField(label=_("Merchant id (商户号)"), max_length=12)
    apiv3_key = forms.CharField(
        label=_("APIv3 key"),
        max_length=32,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    merchant_private_key = forms.FileField(label=_("Merchant API private key (apiclient_key.pem)"))
    merchant_serial = forms.CharField(label=_("Merchant certificate serial"), max_length=64)
    platform_public_key = forms.FileField(label=_("WeChat Pay public key (pub_key.pem)"))
    platform_public_key_id = forms.CharField(label=_("WeChat Pay public key id (PUB_KEY_ID_…)"), max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tag(self, "pay")

    def clean_merchant_private_key(self) -> str:
        return _pem(self.cleaned_data.get("merchant_private_key"), "merchant_private_key")

    def clean_platform_public_key(self) -> str:
        return _pem(self.cleaned_data.get("platform_public_key"), "platform_public_key")


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
