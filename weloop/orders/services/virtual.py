"""Virtual goods (top-ups, tickets, gift codes): delivered as codes when the order is paid.

When a paid order has ``virtual`` lines, ``virtual_deliver`` (called by ``order_apply_payment`` in
the same transaction) issues one code per unit. An order of virtual lines only
(fulfilment ``virtual``) is then completed at once: paid -> fulfilling -> completed, with no
shipment. A mixed order keeps going through its physical fulfilment; its codes are already there.

A refund voids codes: every issued code of a fully refunded order, or the units of a virtual line
named in the refund's ``return_lines``. Staff never see a code in clear (only its last four
characters); the member sees it in their order (``virtual_codes_for_member``) and so does the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from weloop.catalog.enums import ProductKind
from weloop.core import clock
from weloop.core.events import publish
from weloop.orders.codes import code_hash, code_new, code_open, code_seal
from weloop.orders.enums import FulfilmentType, OrderStatus, VirtualCodeStatus
from weloop.orders.models import Order, OrderLine, VirtualCode
from weloop.orders.services.common import order_payload
from weloop.orders.state import ORDER
from weloop.tenants.models import Merchant


def virtual_deliver(*, merchant: Merchant, order: Order, actor: str) -> int:
    """Issue the codes of ``order``'s virtual lines (idempotent); complete a virtual-only order.

    The caller holds the order's row lock (``select_for_update``) inside a transaction and the order
    is ``paid``. Returns how many codes were issued now. Emits orders.virtual_delivered (without the
    codes) and, for a virtual-only order, orders.order_completed.
    """
    lines = list(OrderLine.objects.filter(order=order, product_kind=ProductKind.VIRTUAL))
    if not lines:
        return 0
    issued = 0
    for line in lines:
        have = VirtualCode.objects.filter(line=line).count()
        for _ in range(line.quantity - have):
            _issue(merchant, order, line)
            issued += 1
    if issued:
        publish(
            merchant=merchant,
            name="orders.virtual_delivered",
            payload={**order_payload(order), "codes": issued},
        )
    if order.fulfilment_type == FulfilmentType.VIRTUAL and order.status == OrderStatus.PAID:
        ORDER.transition(order, OrderStatus.FULFILLING, actor=actor, reason="codes delivered")
        ORDER.transition(
            order,
            OrderStatus.COMPLETED,
            actor=actor,
            reason="codes delivered",
            extra_updates={"completed_at": clock.now()},
        )
        publish(merchant=merchant, name="orders.order_completed", payload=order_payload(order))
    return issued


def _issue(merchant: Merchant, order: Order, line: OrderLine) -> VirtualCode:
    for _ in range(10):
        code = code_new()
        try:
            with transaction.atomic():
                return VirtualCode.objects.create(
                    merchant=merchant,
                    order=order,
                    line=line,
                    code_hash=code_hash(merchant.pk, code),
                    code_sealed=code_seal(merchant.pk, line.public_id, code),
                    last4=code[-4:],
                )
        except IntegrityError:
            continue  # 80 random bits collided: draw again
    raise IntegrityError("could not draw a free virtual code")


def virtual_void(*, merchant: Merchant, order: Order, returned: dict[str, int], everything: bool) -> int:
    """Void issued codes after a refund succeeded: all of them, or ``returned`` units per line id."""
    codes = VirtualCode.objects.for_merchant(merchant).filter(order=order, status=VirtualCodeStatus.ISSUED)
    now = clock.now()
    if everything:
        return codes.update(status=VirtualCodeStatus.VOID, voided_at=now)
    voided = 0
    for line_id, units in returned.items():
        pks = list(codes.filter(line__public_id=line_id).order_by("-id").values_list("pk", flat=True)[:units])
        voided += VirtualCode.objects.filter(pk__in=pks).update(status=VirtualCodeStatus.VOID, voided_at=now)
    return voided


@dataclass(frozen=True)
class DeliveredCode:
    id: str
    line_id: str
    product_name: str
    code: str  # in clear: show it only to the order's member (or the merchant's API client)
    status: str
    issued_at: datetime
    first_shown_at: datetime | None


def virtual_codes_for_member(*, merchant: Merchant, order: Order, mark_shown: bool = True) -> list[DeliveredCode]:
    """The order's codes in clear, for its member's order page (or the API); records the first showing.

    The caller has checked that the person asking owns the order (or is the merchant's API client).
    """
    rows = list(VirtualCode.objects.for_merchant(merchant).filter(order=order).select_related("line"))
    if mark_shown:
        unseen = [row.pk for row in rows if row.first_shown_at is None]
        if unseen:
            VirtualCode.objects.filter(pk__in=unseen, first_shown_at__isnull=True).update(first_shown_at=clock.now())
    return [
        DeliveredCode(
            id=row.public_id,
            line_id=row.line.public_id,
            product_name=row.line.product_name,
            code=code_open(merchant.pk, row.line.public_id, row.code_sealed),
            status=row.status,
            issued_at=row.issued_at,
            first_shown_at=row.first_shown_at,
        )
        for row in rows
    ]
