"""Outbox subscribers: the nearby index follows store creation, moves and closures (idempotent)."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.discovery.services import location_sync


@subscribe("stores.store_created")
@subscribe("stores.store_updated")
@subscribe("stores.store_status_changed")
def sync_store_location(event: OutboxEvent) -> None:
    location_sync(merchant=event.merchant, store_public_id=str(event.payload.get("store_id", "")))
