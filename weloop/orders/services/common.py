"""Inputs, constants and helpers shared by the order services."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings

from weloop.catalog.models import Sku
from weloop.core.db import get_or_not_found
from weloop.core.errors import NotFound
from weloop.inventory.models import CapacityPool
from weloop.members.models import Member
from weloop.orders.errors import (
    EmptyOrder,
    InvalidQuantity,
    UnknownSku,
)
from weloop.orders.models import (
    Order,
)
from weloop.tenants.models import Merchant, StaffMember

logger = logging.getLogger(__name__)

MAX_LINES = 50
MAX_QUANTITY = 9999
# Holds outlive the order by this much: the order sweep releases them at the order's deadline, the
# inventory sweep is only the backstop, so a payment that lands at the last second still finds them.
HOLD_GRACE = timedelta(minutes=5)
PICKUP_CODE_DIGITS = 8


def payment_window() -> timedelta:
    return timedelta(minutes=getattr(settings, "WELOOP_ORDER_PAYMENT_MINUTES", 15))


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    sku_id: str
    quantity: Any


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Attribution:
    source_store: Any = None
    guide: StaffMember | None = None
    qr_scene: str = ""
    channel: str = ""


@dataclass(frozen=True)
class Fulfilment:
    type: str
    store: Any = None
    address: Address | None = None
    table_code: str = ""


@dataclass
class _Priced:
    sku: Sku
    quantity: int
    unit_price_fen: int
    pool: CapacityPool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _quantity(value: object, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_QUANTITY:
        raise InvalidQuantity(extra={"field": f"lines[{index}].quantity", "value": repr(value)})
    return value


def _lines(lines: Sequence[LineInput | tuple[str, Any]]) -> list[LineInput]:
    if not lines:
        raise EmptyOrder()
    if len(lines) > MAX_LINES:
        raise EmptyOrder(f"An order has at most {MAX_LINES} lines.", extra={"field": "lines"})
    merged: dict[str, int] = {}
    for i, line in enumerate(lines):
        item = line if isinstance(line, LineInput) else LineInput(*line)
        quantity = _quantity(item.quantity, i)
        if not isinstance(item.sku_id, str):
            raise UnknownSku(extra={"sku": repr(item.sku_id)})
        merged[item.sku_id] = merged.get(item.sku_id, 0) + quantity
    return [LineInput(sku_id, _quantity(q, i)) for i, (sku_id, q) in enumerate(merged.items())]


# --- helpers --------------------------------------------------------------------------------------


def order_payload(order: Order) -> dict[str, Any]:
    """What every orders.* event carries."""
    return {
        "order_no": order.order_no,
        "status": order.status,
        "member_id": order.member.public_id,
        "openid": order.member.openid,
        "fulfilment_type": order.fulfilment_type,
        "total_fen": order.total_fen,
        "refunded_fen": order.refunded_fen,
        "store_id": order.store.public_id if order.store else None,
        "attribution": _attribution_of(order),
        # What was bought (auto-tag rules such as "bought size 38" read it).
        "lines": [
            {
                "product_id": line.product_id_snapshot,
                "sku_code": line.sku_code,
                "options": line.options,
                "quantity": line.quantity,
            }
            for line in order.lines.all()
        ],
    }


def _attribution_of(order: Order) -> dict[str, Any]:
    return {
        "source_store": order.source_store.public_id if order.source_store else None,
        "guide": order.guide.public_id if order.guide else None,
        "qr_scene": order.qr_scene,
        "channel": order.channel,
    }


def _description(order: Order) -> str:
    first = order.lines.first()
    return (first.product_name if first else order.order_no)[:100]


def _fresh(merchant: Merchant, order: Order) -> Order:
    return get_or_not_found(
        Order.objects.for_merchant(merchant).select_related("member"), what="order", order_no=order.order_no
    )


def _locked(merchant: Merchant, order_no: str) -> Order:
    return get_or_not_found(
        Order.objects.for_merchant(merchant).select_for_update().select_related("member"),
        what="order",
        order_no=order_no,
    )


def _require_member(merchant: Merchant, member: Member) -> None:
    if not isinstance(member, Member) or member.merchant_id != merchant.pk:
        raise NotFound("No such member.", extra={"what": "member"})


def _require_staff(merchant: Merchant, staff: StaffMember) -> None:
    if not isinstance(staff, StaffMember) or staff.merchant_id != merchant.pk or not staff.is_active:
        raise NotFound("No such staff member.", extra={"what": "staff"})
