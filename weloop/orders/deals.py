"""Deals (团购) across apps: the catalog SKU, the quota pool, buying, issuing and refunding vouchers.

``vouchers`` (L2) owns deals and vouchers but may not import catalog, inventory or orders; this
module (orders, L3) may, so it holds the glue:

- ``deal_launch`` / ``deal_revise`` / ``deal_change_status``: a deal is a catalog product of kind
  ``deal`` with one SKU (price = deal price), an inventory pool of kind ``deal_quota`` (subject
  ``deal:<public_id>``, no location) whose capacity is the quota, and an orders purchase limit
  (the per-member limit). Checkout holds the quota like stock (``_stock_pool``) and the payment
  confirms it.
- ``deal_buy``: an order of the deal's SKU, fulfilment ``virtual``, credited to the first store of
  the deal (or the one given), channel ``deal``.
- outbox handlers (registered from ``orders/handlers.py``):
  ``orders.order_paid`` issues the vouchers of each deal line (idempotent per line);
  ``orders.order_refunded`` voids unused vouchers of refunded units, or settles a voucher refund;
  ``vouchers.refund_requested`` (随时退 or 过期退) refunds the voucher's unused share of its order;
  ``orders.refund_failed`` of such a refund (payments refused it) puts the voucher back in use;
  ``vouchers.voucher_redeemed`` records the redemption on the member's timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import transaction
from huey.contrib.djhuey import db_task

from weloop.catalog import services as catalog
from weloop.catalog.enums import ProductKind, ProductStatus
from weloop.catalog.models import Sku
from weloop.catalog.services import ProductPatch, SkuInput, SkuPatch
from weloop.core.errors import InvalidTransition, WeloopError
from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.inventory import services as inventory
from weloop.inventory.enums import PoolKind
from weloop.inventory.models import CapacityPool
from weloop.members.enums import TouchKind
from weloop.members.models import Member
from weloop.members.services import member_touch
from weloop.orders.enums import FulfilmentType
from weloop.orders.models import Order, OrderLine, OrderRefund
from weloop.orders.services import Attribution, Fulfilment, LineInput, checkout_place, order_refund, purchase_limit_set
from weloop.stores.enums import StoreStatus
from weloop.stores.models import Store
from weloop.tenants.models import Merchant
from weloop.vouchers import selectors as vouchers_selectors
from weloop.vouchers import services as vouchers
from weloop.vouchers.enums import DealStatus, VoucherStatus
from weloop.vouchers.errors import InvalidDeal
from weloop.vouchers.models import Deal

logger = logging.getLogger(__name__)

VOUCHER_REFUND_PREFIX = "voucher:"
_PRODUCT_STATUS = {DealStatus.ACTIVE: ProductStatus.ACTIVE, DealStatus.ENDED: ProductStatus.DRAFT}


# --- defining deals -------------------------------------------------------------------------------


def quota_pool(*, merchant: Merchant, deal: Deal) -> CapacityPool | None:
    return (
        CapacityPool.objects.for_merchant(merchant)
        .filter(kind=PoolKind.DEAL_QUOTA, subject=deal.quota_subject, location__isnull=True)
        .first()
    )


@transaction.atomic
def deal_launch(
    *, merchant: Merchant, data: vouchers.DealInput, stores: Sequence[Any], actor: str, description: str = ""
) -> Deal:
    """Create a draft deal with its product, SKU, quota pool and per-member limit, all or nothing.

    Raises InvalidDeal, money.invalid_amount, catalog errors (a product name already taken).
    """
    vouchers.deal_clean(data)  # refuse bad input before writing anything
    product = catalog.deal_product_create(merchant=merchant, name=data.name, description=description, actor=actor)
    sku = catalog.sku_create(
        merchant=merchant,
        product_id=product.public_id,
        data=SkuInput(
            code=f"DEAL-{product.public_id[3:]}",
            price_fen=data.deal_price_fen,
            list_price_fen=data.list_price_fen,
        ),
        actor=actor,
    )
    deal = vouchers.deal_create(merchant=merchant, sku=sku, data=data, stores=stores, actor=actor)
    inventory.capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.DEAL_QUOTA,
        subject=deal.quota_subject,
        initial_capacity=deal.quota,
        actor=actor,
        reason="deal quota",
    )
    purchase_limit_set(merchant=merchant, product=product, max_per_member=deal.per_member_limit)
    return deal


@transaction.atomic
def deal_revise(
    *, merchant: Merchant, deal_id: str, data: vouchers.DealInput, stores: Sequence[Any], actor: str
) -> Deal:
    """Change a deal, its SKU's prices, its quota (never below what is held or sold) and its limit."""
    deal = vouchers.deal_update(merchant=merchant, deal_id=deal_id, data=data, stores=stores, actor=actor)
    sku = Sku.objects.select_related("product").get(pk=deal.sku_id)
    if sku.product.name != deal.name:
        catalog.product_update(
            merchant=merchant, product_id=sku.product.public_id, patch=ProductPatch(name=deal.name), actor=actor
        )
    catalog.sku_update(
        merchant=merchant,
        sku_id=sku.public_id,
        patch=SkuPatch(price_fen=deal.deal_price_fen, list_price_fen=deal.list_price_fen),
        actor=actor,
    )
    pool = quota_pool(merchant=merchant, deal=deal)
    if pool is not None and deal.quota != pool.capacity:
        inventory.capacity_adjust(
            merchant=merchant, pool=pool, delta=deal.quota - pool.capacity, reason="deal quota", actor=actor
        )
    purchase_limit_set(merchant=merchant, product=sku.product, max_per_member=deal.per_member_limit)
    return deal


@transaction.atomic
def deal_change_status(*, merchant: Merchant, deal_id: str, status: str, actor: str) -> Deal:
    """Put a deal on sale (its product too) or end it (its product back to draft; vouchers stay valid)."""
    deal = vouchers.deal_set_status(merchant=merchant, deal_id=deal_id, status=status, actor=actor)
    product = Sku.objects.select_related("product").get(pk=deal.sku_id).product
    target = _PRODUCT_STATUS.get(DealStatus(deal.status))
    if target is not None and product.status != target:
        catalog.product_set_status(merchant=merchant, product_id=product.public_id, status=target, actor=actor)
    return deal


# --- buying ---------------------------------------------------------------------------------------


def deal_buy(
    *,
    merchant: Merchant,
    member: Member,
    deal_id: str,
    quantity: int = 1,
    store: Any = None,
    actor: str,
    idempotency_key: str = "",
    channel: str = "deal",
) -> Order:
    """Place an order of ``quantity`` vouchers of a deal on sale; pay it like any order.

    The deal's quota is held until payment; vouchers are issued when the order is paid. Raises
    InvalidDeal (not on sale), the checkout errors (orders.insufficient_stock when the quota is
    gone, orders.purchase_limit over the per-member limit).
    """
    deal = vouchers_selectors.deal_get(merchant=merchant, deal_id=deal_id)
    if deal.status != DealStatus.ACTIVE:
        raise InvalidDeal("This deal is not on sale.", extra={"deal": deal.public_id})
    allowed = vouchers_selectors.deal_stores(deal)
    if store is not None and store not in allowed:
        store = None
    credited = store or next((s for s in allowed if s.status == StoreStatus.ACTIVE), None)
    return checkout_place(
        merchant=merchant,
        member=member,
        lines=[LineInput(deal.sku.public_id, quantity)],
        fulfilment=Fulfilment(type=FulfilmentType.VIRTUAL, store=credited),
        attribution=Attribution(source_store=credited, qr_scene=f"deal:{deal.public_id}", channel=channel),
        actor=actor,
        idempotency_key=idempotency_key,
    )


def deal_lines(order: Order) -> list[OrderLine]:
    return list(
        OrderLine.objects.filter(order=order, sku__product__kind=ProductKind.DEAL).select_related("sku").order_by("id")
    )


# --- handlers -------------------------------------------------------------------------------------


def _order(merchant: Merchant, order_no: str) -> Order | None:
    return Order.objects.for_merchant(merchant).select_related("member").filter(order_no=order_no).first()


def deal_order_issue(*, merchant: Merchant, order_no: str) -> int:
    """Issue the vouchers of a paid order's deal lines, one per unit; idempotent. Returns how many exist."""
    order = _order(merchant, order_no)
    if order is None:
        return 0
    issued = 0
    for line in deal_lines(order):
        deal = vouchers_selectors.deal_for_sku(merchant=merchant, sku=line.sku)
        if deal is None:
            continue
        issued += len(
            vouchers.vouchers_issue(
                merchant=merchant,
                deal=deal,
                member=order.member,
                order_no=order.order_no,
                order_line_id=line.public_id,
                quantity=line.quantity,
                line_paid_fen=line.net_fen,
                actor="orders",
            )
        )
    return issued


@subscribe("orders.order_paid")
def issue_vouchers(event: OutboxEvent) -> None:
    """A paid order's deal lines become vouchers (a repeated delivery issues nothing new)."""
    deal_order_issue(merchant=event.merchant, order_no=str(event.payload.get("order_no", "")))


@subscribe("orders.order_refunded")
def void_refunded_vouchers(event: OutboxEvent) -> None:
    """A refund either settles a voucher's own refund, or takes refunded units' vouchers out of use."""
    merchant = event.merchant
    refund = (
        OrderRefund.objects.for_merchant(merchant)
        .filter(out_refund_no=str(event.payload.get("out_refund_no", "")))
        .first()
    )
    if refund is not None and refund.reason.startswith(VOUCHER_REFUND_PREFIX):
        vouchers.voucher_refund_settle(
            merchant=merchant, voucher_id=refund.reason[len(VOUCHER_REFUND_PREFIX) :], actor="orders"
        )
        return
    order = _order(merchant, str(event.payload.get("order_no", "")))
    if order is None:
        return
    fully = order.refunded_fen >= order.total_fen
    for line in deal_lines(order):
        if fully or line.net_fen == 0:
            units = line.quantity if fully else 0
        else:
            units = line.refunded_fen * line.quantity // line.net_fen
        if units:
            vouchers.vouchers_void_for_line(
                merchant=merchant, order_line_id=line.public_id, units=units, actor="order refund"
            )


@subscribe("orders.refund_failed")
def restore_refused_voucher(event: OutboxEvent) -> None:
    """Payments refused a voucher's refund: the voucher is usable again (or expired), not stuck pending."""
    reason = str(event.payload.get("reason", ""))
    if reason.startswith(VOUCHER_REFUND_PREFIX):
        vouchers.voucher_refund_fail(
            merchant=event.merchant, voucher_id=reason[len(VOUCHER_REFUND_PREFIX) :], actor="payments"
        )


@subscribe("vouchers.refund_requested")
def refund_voucher(event: OutboxEvent) -> None:
    """Refund a voucher's unused share of its order, from the queue after commit (payments is called)."""
    transaction.on_commit(partial(_refund_later, event.merchant.pk, str(event.payload.get("voucher_id", ""))))


def _refund_later(merchant_id: int, voucher_id: str) -> None:
    voucher_refund_task(merchant_id, voucher_id)


@db_task(retries=10, retry_delay=30)
def voucher_refund_task(merchant_id: int, voucher_id: str) -> str:
    """Ask payments for a voucher's refund; retried while another refund of the order is in flight."""
    merchant = Merchant.objects.get(pk=merchant_id)
    voucher = vouchers_selectors.voucher_get(merchant=merchant, voucher_id=voucher_id)
    reason = f"{VOUCHER_REFUND_PREFIX}{voucher.public_id}"
    order = _order(merchant, voucher.order_no)
    if order is None:
        return "no order"
    if voucher.status != VoucherStatus.REFUND_PENDING:
        return "not pending"  # settled, or refused and back in use
    if OrderRefund.objects.filter(order=order, reason=reason).exclude(status="failed").exists():
        return "already asked"
    if voucher.refund_fen == 0:
        vouchers.voucher_refund_settle(merchant=merchant, voucher_id=voucher.public_id, actor="orders")
        return "nothing to refund"
    try:
        order_refund(merchant=merchant, order=order, amount_fen=voucher.refund_fen, reason=reason, actor="vouchers")
    except InvalidTransition:
        raise  # another refund of this order is in flight: Huey retries later
    except WeloopError:
        # Refused for good (payments or orders said no): retrying would not help; the voucher is
        # usable again rather than stuck in refund_pending.
        logger.exception("voucher %s could not be refunded", voucher.public_id)
        vouchers.voucher_refund_fail(merchant=merchant, voucher_id=voucher.public_id, actor="orders")
        return "refused"
    return "asked"


@subscribe("vouchers.voucher_redeemed")
def record_redemption_touch(event: OutboxEvent) -> None:
    """Redeeming makes the buyer the store's member: a touch credited to the store, with the deal."""
    payload = event.payload
    member = Member.objects.for_merchant(event.merchant).filter(public_id=payload.get("member_id")).first()
    if member is None:
        return
    store = Store.objects.for_merchant(event.merchant).filter(public_id=payload.get("store_id")).first()
    member_touch(
        merchant=event.merchant,
        openid=member.openid,
        kind=TouchKind.PURCHASE,
        store=store,
        channel="redeem",
        detail={
            "source": "redeem",
            "deal_id": payload.get("deal_id"),
            "voucher_id": payload.get("voucher_id"),
            "redemption_id": payload.get("redemption_id"),
        },
    )
