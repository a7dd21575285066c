"""Writes of the nearby index: keep one StoreLocation per visitable store."""

from __future__ import annotations

from django.db import transaction

from weloop.core import clock
from weloop.discovery.calculations import cell_of
from weloop.discovery.models import StoreLocation
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.models import Merchant


def location_sync(*, merchant: Merchant, store_public_id: str) -> StoreLocation | None:
    """Make the index row of one store match the store as it is now (idempotent).

    A store closed for good, or gone, has no row. Reads the store rather than the event's payload,
    so events delivered late or out of order still leave the current position.
    """
    store = Store.objects.for_merchant(merchant).filter(public_id=store_public_id).first()
    if store is None or store.status == StoreStatus.CLOSED:
        StoreLocation.objects.for_merchant(merchant).filter(store__public_id=store_public_id).delete()
        return None
    lat, lng = float(store.latitude), float(store.longitude)
    location, _ = StoreLocation.objects.update_or_create(
        store=store,
        defaults={
            "merchant": merchant,
            "latitude": lat,
            "longitude": lng,
            "cell": cell_of(lat, lng),
            "updated_at": clock.now(),
        },
    )
    return location


@transaction.atomic
def location_reindex(*, merchant: Merchant, batch_size: int = 5000) -> int:
    """Rebuild the merchant's whole index from its stores (after a bulk import, or to repair); returns rows."""
    StoreLocation.objects.for_merchant(merchant).delete()
    now, count, batch = clock.now(), 0, []
    stores = Store.objects.for_merchant(merchant).exclude(status=StoreStatus.CLOSED)
    for pk, lat_d, lng_d in stores.values_list("pk", "latitude", "longitude").iterator(chunk_size=batch_size):
        lat, lng = float(lat_d), float(lng_d)
        batch.append(
            StoreLocation(
                store_id=pk, merchant=merchant, latitude=lat, longitude=lng, cell=cell_of(lat, lng), updated_at=now
            )
        )
        if len(batch) >= batch_size:
            StoreLocation.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    StoreLocation.objects.bulk_create(batch)
    return count + len(batch)
