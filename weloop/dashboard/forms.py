"""Console forms: they read and shape input; every rule about the data lives in the services.

Fields carry stable ``data-testid`` attributes for the browser tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import ClassVar, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weloop.stores.enums import WEEKDAY_NAMES
from weloop.stores.errors import InvalidOpeningHours
from weloop.stores.services import HoursInput
from weloop.tenants.enums import StaffRole

_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s*$")


def _tag(form: forms.Form, prefix: str) -> None:
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("data-testid", f"{prefix}-{name}")


# --- stores -----------------------------------------------------------------------------------


class StoreForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    city = forms.CharField(label=_("City"), max_length=40)
    district = forms.CharField(label=_("District"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    # Text, not decimals: the service validates coordinates and says what is wrong with them.
    latitude = forms.CharField(label=_("Latitude"), max_length=32, help_text=_("GCJ-02, e.g. 22.543096"))
    longitude = forms.CharField(label=_("Longitude"), max_length=32, help_text=_("GCJ-02, e.g. 114.057865"))

    # Which fields a service error code is about, when the error does not name one itself.
    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {
        "stores.invalid_coordinates": ("latitude", "longitude"),
        "stores.name_taken": ("name",),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "store")
        self.fields["latitude"].widget.attrs["inputmode"] = "decimal"
        self.fields["longitude"].widget.attrs["inputmode"] = "decimal"


@dataclass
class HoursDay:
    weekday: int
    name: str
    periods: list[str]
    has_error: bool = False


def hours_days(periods_by_day: dict[int, list[str]], *, error_weekday: int | None = None) -> list[HoursDay]:
    """One editor row per weekday; a day without periods shows one empty box to type into."""
    return [
        HoursDay(
            weekday=weekday,
            name=str(WEEKDAY_NAMES[weekday]),
            periods=periods_by_day.get(weekday) or [""],
            has_error=weekday == error_weekday,
        )
        for weekday in range(7)
    ]


def hours_from_post(data: QueryDict) -> dict[int, list[str]]:
    """The typed periods per weekday (``hours_0`` … ``hours_6``), empty boxes dropped."""
    return {weekday: [v.strip() for v in data.getlist(f"hours_{weekday}") if v.strip()] for weekday in range(7)}


def hours_from_periods(periods: list[tuple[int, time, time]]) -> dict[int, list[str]]:
    days: dict[int, list[str]] = {}
    for weekday, opens, closes in periods:
        days.setdefault(weekday, []).append(f"{opens:%H:%M}-{closes:%H:%M}")
    return days


def hours_inputs(days: dict[int, list[str]]) -> list[HoursInput]:
    """Turn "HH:MM-HH:MM" boxes into service input; a box may hold several periods, comma-separated.

    Raises InvalidOpeningHours naming the weekday when a box cannot be read.
    """
    inputs = []
    for weekday, texts in sorted(days.items()):
        for text in texts:
            for part in re.split(r"[,，;；]", text):
                if not part.strip():
                    continue
                match = _PERIOD.match(part)
                if not match:
                    raise InvalidOpeningHours(
                        gettext("%(day)s: write each period as HH:MM-HH:MM, e.g. 09:00-21:30 (got “%(value)s”).")
                        % {"day": WEEKDAY_NAMES[weekday], "value": part.strip()},
                        extra={"weekday": weekday, "value": part.strip()},
                    )
                h1, m1, h2, m2 = match.groups()
                inputs.append(HoursInput(weekday, f"{int(h1):02d}:{m1}", f"{int(h2):02d}:{m2}"))
    return inputs


class HoursExceptionForm(forms.Form):
    CLOSED, SPECIAL = "closed", "special"

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=_("That day"),
        choices=[(CLOSED, _("Closed all day")), (SPECIAL, _("Special hours"))],
        initial=CLOSED,
        widget=forms.RadioSelect,
    )
    opens = forms.CharField(label=_("Opens"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.CharField(label=_("Closes"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(label=_("Note"), max_length=100, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "exception")


# --- staff, API keys, accounts ----------------------------------------------------------------


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=True))
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices)
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    stores = forms.MultipleChoiceField(
        label=_("Limit to stores"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to let the staff member work in every store."),
    )

    def __init__(self, *args: object, store_choices: list[tuple[str, str]], roles: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["stores"]).choices = store_choices
        cast(forms.ChoiceField, self.fields["role"]).choices = [
            (v, label) for v, label in StaffRole.choices if v in roles
        ]
        _tag(self, "staff")


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("Who uses it, e.g. “POS sync”."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "api-key")


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password_again = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    FIELDS_BY_ERROR: ClassVar[dict[str, tuple[str, ...]]] = {
        "tenants.wrong_password": ("current_password",),
        "tenants.weak_password": ("new_password",),
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _tag(self, "password")

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") and cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned
