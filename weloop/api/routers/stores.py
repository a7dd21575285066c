"""/stores: a merchant's offline stores, their weekly hours, dated exceptions and status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.stores import (
    HoursExceptionIn,
    HoursExceptionOut,
    StoreFilters,
    StoreIn,
    StoreOut,
    StorePage,
    StorePatchIn,
    StoreStatusIn,
)
from weloop.stores import selectors, services
from weloop.stores.models import HoursException, Store

router = Router(tags=["Stores"])

StoreId = Annotated[str, Path(description="The store's public id (`st_…`).", example="st_4K9QX2M7PA")]
Day = Annotated[dt.date, Path(description="The local date (YYYY-MM-DD).", example="2026-02-17")]


@router.get("", response=StorePage, summary="List stores")
def list_stores(request: HttpRequest, filters: Query[StoreFilters], page: Query[PageIn]) -> dict:
    """Your stores, oldest first, optionally filtered by status, city or a text search."""
    stores = selectors.store_list(
        merchant=merchant_of(request), status=filters.status, city=filters.city, search=filters.q
    )
    result = paginate(stores, page)
    result["items"] = selectors.stores_with_open_state(result["items"])
    return result


@router.post("", response={201: StoreOut}, summary="Create a store")
def create_store(request: HttpRequest, payload: StoreIn) -> Store:
    """Create a store with its regular weekly hours; it starts `active`.

    Refused with 400 `stores.invalid_coordinates`, `stores.invalid_opening_hours` (bad time,
    weekday or overlapping periods), `stores.invalid_store` (a required text is empty or too long,
    a bad phone) or `stores.name_taken`. Nothing is written when it is refused.
    """
    return services.store_create(merchant=merchant_of(request), data=payload.to_service(), actor=actor_of(request))


@router.get("/{store_id}", response=StoreOut, summary="Get a store")
def get_store(request: HttpRequest, store_id: StoreId) -> Store:
    """One store with its weekly hours and whether it is open now."""
    return selectors.store_get(merchant=merchant_of(request), public_id=store_id)


@router.patch("/{store_id}", response=StoreOut, summary="Update a store")
def update_store(request: HttpRequest, payload: StorePatchIn, store_id: StoreId) -> Store:
    """Change the given fields only; `hours`, when given, replaces the whole week.

    Same 400 errors as creating a store.
    """
    return services.store_update(
        merchant=merchant_of(request), public_id=store_id, patch=payload.to_service(), actor=actor_of(request)
    )


@router.post("/{store_id}/status", response=StoreOut, summary="Change a store's status")
def change_store_status(request: HttpRequest, payload: StoreStatusIn, store_id: StoreId) -> Store:
    """Open, pause or close a store. A move the store's state machine forbids (e.g. to the status
    it already has) is refused with 409 `state.invalid_transition`, its `extra` naming both states."""
    return services.store_set_status(
        merchant=merchant_of(request),
        public_id=store_id,
        status=payload.status,
        actor=actor_of(request),
        reason=payload.reason,
    )


@router.get("/{store_id}/exceptions", response=list[HoursExceptionOut], summary="List a store's exceptions")
def list_store_exceptions(
    request: HttpRequest,
    store_id: StoreId,
    since: Annotated[dt.date | None, Query(description="Only exceptions on or after this date (YYYY-MM-DD).")] = None,
) -> list[HoursException]:
    """Dates on which the store is closed or has special hours, sorted by date."""
    store = selectors.store_get(merchant=merchant_of(request), public_id=store_id)
    return list(selectors.store_exceptions(store, from_day=since))


@router.put("/{store_id}/exceptions/{date}", response=HoursExceptionOut, summary="Set a date's exception")
def set_store_exception(
    request: HttpRequest, payload: HoursExceptionIn, store_id: StoreId, date: Day
) -> HoursException:
    """Close the store on `date`, or open it with special hours, replacing any earlier exception that day.

    Special hours need `opens` and `closes`, else 400 `stores.invalid_opening_hours`.
    """
    return services.store_set_exception(
        merchant=merchant_of(request), public_id=store_id, day=date, **payload.model_dump()
    )


@router.delete("/{store_id}/exceptions/{date}", response={204: None}, summary="Remove a date's exception")
def delete_store_exception(request: HttpRequest, store_id: StoreId, date: Day) -> None:
    """The store keeps its regular hours on `date` again. Removing an absent exception is not an error."""
    services.store_remove_exception(merchant=merchant_of(request), public_id=store_id, day=date)
