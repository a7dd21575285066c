"""Offline stores: where customers pick up, redeem, book and pay at the counter.

Coordinates are GCJ-02, the datum WeChat's location messages and JS-SDK ``getLocation`` (type
``gcj02``) report in mainland China, so distances need no conversion.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.stores.enums import StoreStatus


class Store(TenantModel):
    public_id = public_id_field("st_")
    name = models.CharField(_("name"), max_length=80)
    address = models.CharField(_("address"), max_length=200)
    city = models.CharField(_("city"), max_length=40)
    district = models.CharField(_("district"), max_length=40, blank=True, default="")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=StoreStatus.choices, default=StoreStatus.ACTIVE)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="store_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "name"], name="store_name_per_merchant"),
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="store_latitude_in_range"),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="store_longitude_in_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(TenantModel):
    """One opening period on a weekday (0 = Monday). ``closes <= opens`` runs past midnight."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_hours_weekday_range"),
            models.UniqueConstraint(
                fields=["merchant", "store", "weekday", "opens"], name="opening_hours_unique_start"
            ),
        ]


class HoursException(TenantModel):
    """A date that differs from the weekly hours: a holiday closure or special hours."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="hours_exceptions")
    date = models.DateField()
    is_closed = models.BooleanField(default=True)
    opens = models.TimeField(null=True, blank=True)
    closes = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "store", "date"], name="hours_exception_once_a_day"),
            models.CheckConstraint(
                condition=Q(is_closed=True) | (Q(opens__isnull=False) & Q(closes__isnull=False)),
                name="hours_exception_open_needs_times",
            ),
        ]


class StoreAssignment(TenantModel):
    """Limits a staff member (a store manager or clerk) to particular stores."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey("tenants.StaffMember", on_delete=models.CASCADE, related_name="store_assignments")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "store", "staff"], name="store_assignment_once"),
        ]
