from __future__ import annotations

from typing import ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from weloop.tenants.enums import MerchantStatus


class MerchantCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.CharField(
        label=_("Slug"),
        max_length=40,
        help_text=_("3-40 lowercase letters, digits and hyphens, starting with a letter: the address /m/<slug>/."),
    )
    owner_username = forms.CharField(
        label=_("Owner login"), max_length=150, required=False, help_text=_("Leave empty for <slug>-owner.")
    )
    status = forms.ChoiceField(
        label=_("Start as"),
        choices=[(MerchantStatus.ACTIVE, _("Active")), (MerchantStatus.PENDING, _("Pending approval"))],
        initial=MerchantStatus.ACTIVE,
    )

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {
        "tenants.invalid_slug": ("slug",),
        "tenants.slug_taken": ("slug",),
        "tenants.username_taken": ("owner_username",),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"merchant-{name.replace('_', '-')}")
