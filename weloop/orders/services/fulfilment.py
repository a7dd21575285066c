"""Fulfilment: preparing, shipping and tracking, pickup codes at the counter, completion."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.db import IntegrityError, transaction

from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.events import publish
from weloop.orders.codes import pickup_open, pickup_seal
from weloop.orders.enums import (
    FulfilmentType,
    OrderStatus,
)
from weloop.orders.errors import (
    InvalidFulfilment,
    InvalidPickupCode,
    InvalidShipment,
)
from weloop.orders.models import (
    Order,
    PickupCode,
    Shipment,
    TrackingEvent,
)
from weloop.orders.services.common import (
    PICKUP_CODE_DIGITS,
    _locked,
    _require_staff,
    order_payload,
)
from weloop.orders.state import ORDER
from weloop.tenants.models import Merchant, StaffMember

logger = logging.getLogger(__name__)


# --- fulfilment -----------------------------------------------------------------------------------


@transaction.atomic
def order_start_fulfilling(*, merchant: Merchant, order: Order, actor: str) -> Order:
    """The merchant starts preparing a paid order."""
    locked = _locked(merchant, order.order_no)
    ORDER.transition(locked, OrderStatus.FULFILLING, actor=actor, reason="preparing")
    return locked


@transaction.atomic
def order_ship(*, merchant: Merchant, order: Order, carrier: str, tracking_no: str, actor: str) -> Shipment:
    """Hand a delivery order to a carrier: paid/fulfilling -> shipped. Emits orders.order_shipped."""
    carrier, tracking_no = str(carrier or "").strip(), str(tracking_no or "").strip()
    if not 0 < len(carrier) <= 40 or not 0 < len(tracking_no) <= 64:
        raise InvalidShipment(extra={"field": "carrier" if not carrier or len(carrier) > 40 else "tracking_no"})
    locked = _locked(merchant, order.order_no)
    if locked.fulfilment_type != FulfilmentType.DELIVERY:
        raise InvalidShipment("Only delivery orders are shipped.", extra={"field": "order"})
    _to_fulfilling(locked, actor)
    ORDER.transition(locked, OrderStatus.SHIPPED, actor=actor, reason=f"{carrier} {tracking_no}")
    shipment = Shipment.objects.create(merchant=merchant, order=locked, carrier=carrier, tracking_no=tracking_no)
    publish(
        merchant=merchant,
        name="orders.order_shipped",
        payload={
            **order_payload(locked),
            "carrier": carrier,
            "tracking_no": tracking_no,
            "shipment_id": shipment.public_id,
        },
    )
    return shipment


@transaction.atomic
def shipment_add_tracking_event(
    *, merchant: Merchant, shipment: Shipment, at: datetime, description: str, location: str = ""
) -> TrackingEvent:
    """Record a carrier's tracking event. Emits orders.shipment_tracking_added."""
    if shipment.merchant_id != merchant.pk:
        raise NotFound("No such shipment.", extra={"what": "shipment"})
    description = str(description or "").strip()
    if not 0 < len(description) <= 200 or at is None or at.tzinfo is None:
        raise InvalidShipment(extra={"field": "description" if at else "at"})
    event = TrackingEvent.objects.create(
        merchant=merchant, shipment=shipment, at=at, description=description, location=str(location or "")[:80]
    )
    publish(
        merchant=merchant,
        name="orders.shipment_tracking_added",
        payload={
            **order_payload(shipment.order),
            "shipment_id": shipment.public_id,
            "carrier": shipment.carrier,
            "tracking_no": shipment.tracking_no,
            "tracking_event_id": event.pk,
            "description": event.description,
            "location": event.location,
            "at": event.at.isoformat(),
        },
    )
    return event


def _to_fulfilling(order: Order, actor: str) -> None:
    if order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
        ORDER.transition(order, OrderStatus.FULFILLING, actor=actor, reason="preparing")


def order_mark_ready_for_pickup(*, merchant: Merchant, order: Order, actor: str) -> tuple[Order, str]:
    """A pickup order waits at its store: returns the order and the pickup code to show the customer.

    The code is stored as a keyed hash (to find it at the counter) and sealed (so the order's member
    can read it on their order page, ``pickup_code_for_member``). Emits orders.order_ready_for_pickup.
    """
    with transaction.atomic():
        locked = _locked(merchant, order.order_no)
        if locked.fulfilment_type != FulfilmentType.PICKUP:
            raise InvalidFulfilment("Only pickup orders wait in a store.", extra={"field": "order"})
        _to_fulfilling(locked, actor)
        ORDER.transition(locked, OrderStatus.READY_FOR_PICKUP, actor=actor, reason="ready for pickup")
        code = _issue_pickup_code(merchant, locked)
        publish(merchant=merchant, name="orders.order_ready_for_pickup", payload=order_payload(locked))
    return locked, code


def _hash_code(merchant: Merchant, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"pickup:{merchant.pk}:{code}".encode(), hashlib.sha256).hexdigest()


def _issue_pickup_code(merchant: Merchant, order: Order) -> str:
    for _ in range(10):
        code = f"{secrets.randbelow(10**PICKUP_CODE_DIGITS):0{PICKUP_CODE_DIGITS}d}"
        try:
            with transaction.atomic():
                PickupCode.objects.create(
                    merchant=merchant,
                    order=order,
                    code_hash=_hash_code(merchant, code),
                    code_sealed=pickup_seal(merchant.pk, order.order_no, code),
                )
            return code
        except IntegrityError:
            continue  # another live order has this code: draw again
    raise IntegrityError("could not draw a free pickup code")


def pickup_code_for_member(*, merchant: Merchant, order: Order) -> str | None:
    """The live pickup code of an order waiting in its store, in clear, for the order's member.

    The caller has checked that the person asking owns the order. None when the order is not
    waiting for pickup, the code was used, or it was issued before codes were sealed (or under
    another SECRET_KEY).
    """
    if order.merchant_id != merchant.pk or order.status != OrderStatus.READY_FOR_PICKUP:
        return None
    pickup = PickupCode.objects.for_merchant(merchant).filter(order=order, used_at__isnull=True).first()
    if pickup is None or not pickup.code_sealed:
        return None
    try:
        return pickup_open(merchant.pk, order.order_no, pickup.code_sealed)
    except (InvalidTag, ValueError):
        logger.warning("pickup code of order %s does not open (SECRET_KEY rotated?)", order.order_no)
        return None


def pickup_verify(*, merchant: Merchant, store: Any, code: str, staff: StaffMember) -> Order:
    """The customer shows the code at ``store``'s counter: the order is handed over, exactly once.

    Raises InvalidPickupCode for a wrong or used code, NotFound when the order waits in another
    store. Emits orders.order_completed.
    """
    _require_staff(merchant, staff)
    code = str(code or "").strip()
    if not code.isdigit() or len(code) != PICKUP_CODE_DIGITS:
        raise InvalidPickupCode()
    with transaction.atomic():
        pickup = (
            PickupCode.objects.for_merchant(merchant)
            .select_related("order")
            .filter(code_hash=_hash_code(merchant, code), used_at__isnull=True)
            .first()
        )
        if pickup is None:
            raise InvalidPickupCode()
        if store is None or pickup.order.store_id != store.pk:
            raise NotFound("No such order.", extra={"what": "order"})
        # Compare-and-set: of two counters scanning the code at once, exactly one hands it over.
        if not PickupCode.objects.filter(pk=pickup.pk, used_at__isnull=True).update(used_at=clock.now(), used_by=staff):
            raise InvalidPickupCode()
        return _complete(merchant, pickup.order.order_no, f"staff:{staff.public_id}", "picked up")


@transaction.atomic
def order_complete(*, merchant: Merchant, order: Order, actor: str) -> Order:
    """Close a fulfilled order: shipped (delivered), or an in-store order served. Emits orders.order_completed."""
    locked = _locked(merchant, order.order_no)
    if locked.status == OrderStatus.READY_FOR_PICKUP:
        raise InvalidFulfilment("A pickup order completes when its code is verified.", extra={"field": "order"})
    if locked.fulfilment_type == FulfilmentType.IN_STORE:
        _to_fulfilling(locked, actor)
    elif locked.status == OrderStatus.FULFILLING:
        raise InvalidFulfilment("Ship the order first.", extra={"field": "order"})
    return _complete(merchant, locked.order_no, actor, "completed")


def _complete(merchant: Merchant, order_no: str, actor: str, reason: str) -> Order:
    locked = _locked(merchant, order_no)
    ORDER.transition(
        locked, OrderStatus.COMPLETED, actor=actor, reason=reason, extra_updates={"completed_at": clock.now()}
    )
    publish(merchant=merchant, name="orders.order_completed", payload=order_payload(locked))
    return locked
