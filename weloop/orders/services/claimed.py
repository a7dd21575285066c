"""Orders for units already held elsewhere: a flash-sale winner's order.

The flash-sale claim path (``weloop.flashsales``) takes the unit first, through the inventory
engine's combining writer, with a hold whose reference is an order number drawn beforehand
(``new_order_no``). ``order_place_for_hold`` then writes the Order with that number and a line
pointing at the hold. From there the order is like any other: ``order_start_payment`` /
``order_apply_payment`` confirm the hold (found by reference), ``order_cancel`` and
``orders_expire_due`` release it, which puts the unit back on sale.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from weloop.catalog.enums import ProductKind
from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.core.events import publish
from weloop.members.enums import TouchKind
from weloop.members.models import Member
from weloop.members.services import member_touch
from weloop.orders.calculations import line_total, order_totals
from weloop.orders.enums import FulfilmentType
from weloop.orders.errors import InvalidFulfilment
from weloop.orders.models import Order, OrderLine
from weloop.orders.services.checkout import _address_fields
from weloop.orders.services.common import Fulfilment, _quantity, _require_member, order_payload
from weloop.tenants.models import Merchant


def new_order_no() -> str:
    """A fresh order number, in the format checkout uses (unique per merchant, checked on insert)."""
    return f"O{clock.now():%Y%m%d}{secrets.randbelow(10**8):08d}"


@dataclass(frozen=True)
class HeldLine:
    sku: Sku
    quantity: int
    unit_price_fen: int
    hold_id: str  # the public id of the inventory Hold that already has the units


@transaction.atomic
def order_place_for_hold(
    *,
    merchant: Merchant,
    member: Member,
    order_no: str,
    line: HeldLine,
    fulfilment: Fulfilment,
    expires_at: datetime,
    actor: str,
    channel: str = "",
) -> Order:
    """Write the ``pending_payment`` order ``order_no`` for units held by ``line.hold_id``.

    No stock is taken here: the caller's hold (reference ``order_no``) already has it. The line
    records the product's kind: a virtual product (or a deal) makes the order ``virtual``, and
    paying it delivers codes (or vouchers) like any other order. No shipping
    fee and no discount: the price is the one the caller offered. Raises InvalidQuantity,
    InvalidFulfilment; an order number already taken raises IntegrityError (the caller releases
    its hold). Emits orders.order_placed.
    """
    _require_member(merchant, member)
    quantity = _quantity(line.quantity, 0)
    kind = line.sku.product.kind
    if kind in (ProductKind.VIRTUAL, ProductKind.DEAL):
        # Delivered as codes (or vouchers) when paid, whatever the caller planned: nothing is
        # shipped or picked up; a store, if any, stays as attribution.
        fulfilment = Fulfilment(type=FulfilmentType.VIRTUAL, store=fulfilment.store)
    if fulfilment.type not in FulfilmentType.values or (
        fulfilment.type not in (FulfilmentType.DELIVERY, FulfilmentType.VIRTUAL) and fulfilment.store is None
    ):
        raise InvalidFulfilment(extra={"field": "fulfilment", "value": str(fulfilment.type)})
    totals = order_totals(line_totals=[line_total(line.unit_price_fen, quantity)], shipping_fen=0)
    now = clock.now()
    order = Order.objects.create(
        merchant=merchant,
        member=member,
        order_no=order_no,
        fulfilment_type=fulfilment.type,
        store=fulfilment.store,
        subtotal_fen=totals.subtotal_fen,
        shipping_fen=totals.shipping_fen,
        discount_fen=totals.discount_fen,
        total_fen=totals.total_fen,
        source_store=fulfilment.store,
        channel=channel[:64],
        placed_at=now,
        expires_at=expires_at,
        **_address_fields(fulfilment),
    )
    sku = line.sku
    OrderLine.objects.create(
        merchant=merchant,
        order=order,
        sku=sku,
        product_id_snapshot=sku.product.public_id,
        product_name=sku.product.name,
        product_kind=kind,
        sku_code=sku.code,
        options=sku.options,
        unit_price_fen=line.unit_price_fen,
        quantity=quantity,
        line_total_fen=line.unit_price_fen * quantity,
        discount_fen=totals.line_discounts_fen[0],
        hold_id=line.hold_id,
    )
    member_touch(
        merchant=merchant,
        openid=member.openid,
        kind=TouchKind.PURCHASE,
        at=now,
        store=order.source_store,
        channel=order.channel,
        detail={"order_no": order.order_no},
    )
    order.member = member
    publish(merchant=merchant, name="orders.order_placed", payload=order_payload(order))
    return order
