"""Outbox subscribers of inventory (autodiscovered by core at start-up)."""

from __future__ import annotations

from django.db import transaction

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.inventory import services
from weloop.inventory.calculations import sku_subject
from weloop.inventory.enums import LocationKind, PoolKind
from weloop.inventory.models import Location

STOCK_LEVELS_IMPORTED = "catalog.stock_levels_imported"


@subscribe(STOCK_LEVELS_IMPORTED)
def apply_imported_stock_levels(event: OutboxEvent) -> None:
    """Make the ``stock:<location>`` figures of a catalog CSV import the available stock.

    Payload: ``{"import_job": "imp_…", "actor": "...", "levels": [{"sku": "sku_…", "location":
    "<name>", "available": 12}, …]}``. A location name nobody has yet becomes a warehouse (the
    console offers only existing names; an API import may bring new ones). Setting an available
    figure is idempotent, so a redelivered event changes nothing.
    """
    merchant = event.merchant
    payload = event.payload
    reference = f"import:{payload.get('import_job', '')}"
    actor = str(payload.get("actor", ""))
    with transaction.atomic():
        locations = {loc.name: loc for loc in Location.objects.for_merchant(merchant)}
        for level in payload.get("levels", []):
            location = locations.get(level["location"])
            if location is None:
                location = services.location_create(
                    merchant=merchant, name=level["location"], kind=LocationKind.WAREHOUSE
                )
                locations[location.name] = location
            pool, _ = services.capacity_pool_get_or_create(
                merchant=merchant, kind=PoolKind.GOODS_STOCK, subject=sku_subject(level["sku"]), location=location
            )
            services.capacity_set_available(
                merchant=merchant,
                pool=pool,
                available=int(level["available"]),
                reason="CSV import",
                actor=actor,
                reference=reference,
            )
