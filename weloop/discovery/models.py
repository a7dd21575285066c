"""The nearby index: one row per visitable store, maintained from the stores' events.

A row exists while its store is not closed for good. ``cell`` is the grid cell (calculations.py)
used on SQLite; on PostgreSQL the migration adds a generated ``location point`` column
(x = longitude, y = latitude) with an SP-GiST index on it covering merchant_id and store_id, for
index-only ``<->`` ordering (migrations 0002 and 0003).
The column is not declared here: Django has no ``point`` field and SQLite has no such type.
"""

from __future__ import annotations

from django.db import models

from weloop.core import clock
from weloop.core.models import TenantModel


class StoreLocation(TenantModel):
    store = models.OneToOneField("stores.Store", on_delete=models.CASCADE, primary_key=True, related_name="+")
    latitude = models.FloatField()
    longitude = models.FloatField()
    cell = models.BigIntegerField()
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["merchant", "cell"], name="discovery_loc_merchant_cell")]

    def __str__(self) -> str:
        return f"{self.store_id}@{self.latitude},{self.longitude}"
