"""Writes of flash sales: create, cancel, advance along the window, and claim (the crowd's path).

A claim (``flash_sale_claim``) runs in the web request's thread:

1. the sale's window and status are checked (the sale comes from a one-second in-process cache,
   ``selectors.flash_sale_for_claim``: no query for it on the hot path);
2. an order number is drawn and the claim goes to this process's ``CombiningClaimer`` of the
   sale's pool, with ``buyer_key = member:<member public id>`` and the order number as the hold's
   reference. Once the pool is sold out the claimer refuses in the caller's thread without the
   database (per-process mark, and the Redis token gate with ``REDIS_URL``); otherwise the claim
   joins a batch that ONE transaction admits (guarded UPDATE of the pool, one Hold per winner);
3. a winner's Order (``pending_payment``, the flash price, the hold on its line) and its
   ``FlashSaleClaim`` are written in one short transaction. If that fails the hold is released
   at once, so the unit goes back on sale.

Everything after is the ordinary order life: paying confirms the hold, cancelling or the payment
window's expiry (``orders_expire_due``) releases it; ``handlers`` keep the claim's status in step.
"""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime

from django.db import IntegrityError, transaction

from weloop.catalog.enums import ProductStatus
from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.core.errors import NotFound
from weloop.core.ids import new_public_id
from weloop.flashsales import selectors
from weloop.flashsales.enums import ClaimStatus, FlashSaleStatus
from weloop.flashsales.errors import (
    AlreadyClaimed,
    InvalidFlashSale,
    OverMemberLimit,
    SaleBusy,
    SaleCancelled,
    SaleEnded,
    SaleNotStarted,
    SoldOut,
)
from weloop.flashsales.models import FlashSale, FlashSaleClaim
from weloop.flashsales.state import CLAIM, FLASH_SALE
from weloop.inventory import errors as inventory_errors
from weloop.inventory import gates
from weloop.inventory import services as inventory
from weloop.inventory.combining import ClaimedHold, claimer_for
from weloop.inventory.enums import PoolKind
from weloop.members.models import Member
from weloop.orders.enums import FulfilmentType
from weloop.orders.services import HOLD_GRACE, Address, Fulfilment, payment_window
from weloop.orders.services.claimed import HeldLine, new_order_no, order_place_for_hold
from weloop.stores.enums import StoreStatus
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

MAX_QUOTA = 1_000_000
MAX_MEMBER_LIMIT = 99
CLAIM_TIMEOUT_SECONDS = 20.0
CHANNEL = "flash_sale"


def buyer_key(member: Member) -> str:
    return f"member:{member.public_id}"


# --- the sale -----------------------------------------------------------------------------------


def flash_sale_create(
    *,
    merchant: Merchant,
    sku: Sku,
    price_fen: int,
    starts_at: datetime,
    ends_at: datetime,
    quota: int,
    per_member_limit: int = 1,
    title: str = "",
    store: object = None,
    actor: str,
) -> FlashSale:
    """Put ``quota`` units of ``sku`` on flash sale at ``price_fen`` from ``starts_at`` to ``ends_at``.

    The quota becomes a capacity pool (``flash_sale_quota``); the sale is ``live`` at once when its
    window has begun, else ``scheduled``. With ``store`` the orders are picked up there, else
    delivered. Raises InvalidFlashSale (``extra.field`` says which) or NotFound; writes nothing then.
    """
    if not isinstance(sku, Sku) or sku.merchant_id != merchant.pk:
        raise NotFound("No such SKU.", extra={"what": "sku"})
    sku = Sku.objects.select_related("product").get(pk=sku.pk)  # fresh: the product's status decides
    if not sku.is_active or sku.product.status != ProductStatus.ACTIVE:
        raise InvalidFlashSale("This SKU is not on sale.", extra={"field": "sku_id"})
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen < 0:
        raise InvalidFlashSale("The flash price is a whole number of fen, 0 or more.", extra={"field": "price_fen"})
    if isinstance(quota, bool) or not isinstance(quota, int) or not 0 < quota <= MAX_QUOTA:
        raise InvalidFlashSale(f"The quota is 1 to {MAX_QUOTA} units.", extra={"field": "quota"})
    if (
        isinstance(per_member_limit, bool)
        or not isinstance(per_member_limit, int)
        or not 0 < per_member_limit <= MAX_MEMBER_LIMIT
    ):
        raise InvalidFlashSale(f"The limit per member is 1 to {MAX_MEMBER_LIMIT}.", extra={"field": "per_member_limit"})
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidFlashSale("Give a date and time with its time zone.", extra={"field": field})
    now = clock.now()
    if ends_at <= starts_at or ends_at <= now:
        raise InvalidFlashSale("The sale must end after it starts, in the future.", extra={"field": "ends_at"})
    if store is not None:
        if getattr(store, "merchant_id", None) != merchant.pk:
            raise NotFound("No such store.", extra={"what": "store"})
        if store.status != StoreStatus.ACTIVE:  # type: ignore[attr-defined]
            raise InvalidFlashSale("Choose a store that is open.", extra={"field": "store_id"})
    title = " ".join(str(title or "").split())[:120] or f"{sku.product.name}"[:120]
    public_id = new_public_id("fs_")
    with transaction.atomic():
        pool, _ = inventory.capacity_pool_get_or_create(
            merchant=merchant,
            kind=PoolKind.FLASH_SALE_QUOTA,
            subject=f"flash:{public_id}",
            initial_capacity=quota,
            actor=actor,
            reason="flash-sale quota",
        )
        return FlashSale.objects.create(
            merchant=merchant,
            public_id=public_id,
            title=title,
            sku=sku,
            price_fen=price_fen,
            starts_at=starts_at,
            ends_at=ends_at,
            quota=quota,
            per_member_limit=per_member_limit,
            store=store,
            pool=pool,
            status=FlashSaleStatus.LIVE if starts_at <= now else FlashSaleStatus.SCHEDULED,
            created_by=actor[:150],
        )


@transaction.atomic
def flash_sale_cancel(*, merchant: Merchant, sale: FlashSale, actor: str, reason: str = "") -> FlashSale:
    """Stop a scheduled or live sale: no more claims (within a second in every process).

    Orders already won stay payable until their payment window closes. Raises InvalidTransition
    for an ended or cancelled sale.
    """
    locked = _locked(merchant, sale)
    FLASH_SALE.transition(locked, FlashSaleStatus.CANCELLED, actor=actor, reason=reason or "cancelled")
    transaction.on_commit(selectors.forget_cached_sales)
    return locked


def flash_sales_advance(*, now: datetime | None = None) -> int:
    """Move sales along their window: scheduled -> live at the start, -> ended at the end.

    Idempotent and safe with concurrent runners (a compare-and-set per sale). Returns how many moved.
    """
    now = now or clock.now()
    moved = 0
    due = FlashSale.objects.filter(status__in=[FlashSaleStatus.SCHEDULED, FlashSaleStatus.LIVE]).filter(
        starts_at__lte=now
    )
    for sale in due.order_by("id")[:500]:
        target = FlashSaleStatus.ENDED if sale.ends_at <= now else FlashSaleStatus.LIVE
        if sale.status == target:
            continue
        try:
            with transaction.atomic():
                FLASH_SALE.transition(sale, target, actor="system", reason="window")
            moved += 1
        except Exception:  # somebody else moved it first: the next sweep looks again
            logger.info("flash sale %s moved meanwhile", sale.public_id)
    return moved


def phase_of(sale: FlashSale, now: datetime | None = None) -> str:
    """The status a sale has right now, by its window (the stored one may lag the sweep by a minute)."""
    now = now or clock.now()
    if sale.status in (FlashSaleStatus.CANCELLED, FlashSaleStatus.ENDED):
        return sale.status
    if now >= sale.ends_at:
        return FlashSaleStatus.ENDED
    if now < sale.starts_at:
        return FlashSaleStatus.SCHEDULED
    return FlashSaleStatus.LIVE


def _locked(merchant: Merchant, sale: FlashSale) -> FlashSale:
    locked = FlashSale.objects.for_merchant(merchant).select_for_update().filter(pk=sale.pk).first()
    if locked is None:
        raise NotFound("No such flash sale.", extra={"what": "flash sale"})
    return locked


# --- the crowd's path ---------------------------------------------------------------------------


def flash_sale_claim_precheck(*, merchant: Merchant, sale: FlashSale, quantity: int = 1) -> None:
    """Refuse a claim that cannot win, without the database: the checks of ``flash_sale_claim``
    that need no member. Callers run it before they look the member up, so the crowd that arrives
    after the sell-out costs no query at all (this process's sold-out mark, or the Redis gate's
    empty counter). Raises as ``flash_sale_claim`` does; returns None when the claim may go on.
    """
    if sale.merchant_id != merchant.pk:
        raise NotFound("No such flash sale.", extra={"what": "flash sale"})
    phase = phase_of(sale)
    if phase == FlashSaleStatus.SCHEDULED:
        raise SaleNotStarted(extra={"sale": sale.public_id, "starts_at": sale.starts_at.isoformat()})
    if phase == FlashSaleStatus.ENDED:
        raise SaleEnded(extra={"sale": sale.public_id})
    if phase == FlashSaleStatus.CANCELLED:
        raise SaleCancelled(extra={"sale": sale.public_id})
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= sale.per_member_limit:
        raise OverMemberLimit(extra={"limit": sale.per_member_limit, "requested": repr(quantity)})
    if gates.known_sold_out(sale.pool_id):
        raise SoldOut(extra={"sale": sale.public_id})


def flash_sale_claim(
    *,
    merchant: Merchant,
    sale: FlashSale,
    member: Member,
    quantity: int = 1,
    address: Address | None = None,
    actor: str,
) -> FlashSaleClaim:
    """Claim ``quantity`` units for ``member``: their ``pending_payment`` order, or a refusal.

    Raises SaleNotStarted, SaleEnded, SaleCancelled (409), OverMemberLimit (400), SoldOut (409,
    also at once for everyone once the quota is taken), AlreadyClaimed (409, ``extra.order_no``:
    the member's order), SaleBusy (503: the writer did not answer in time). Exactly the quota is
    ever sold: the database admits each unit (guarded UPDATE, CHECK constraint), once per member.
    """
    if not isinstance(member, Member) or member.merchant_id != merchant.pk:
        raise NotFound("No such flash sale.", extra={"what": "flash sale"})
    flash_sale_claim_precheck(merchant=merchant, sale=sale, quantity=quantity)
    order_no = new_order_no()
    claimer = claimer_for(
        merchant=merchant,
        pool=sale.pool,
        per_buyer_limit=sale.per_member_limit,
        hold_ttl=payment_window() + HOLD_GRACE,
        actor="flash_sale",
        reason=f"flash sale {sale.public_id}",
    )
    try:
        hold = claimer.claim(buyer_key(member), quantity, reference=order_no, timeout=CLAIM_TIMEOUT_SECONDS)
    except inventory_errors.InsufficientCapacity as exc:
        raise SoldOut(extra={"sale": sale.public_id}) from exc
    except inventory_errors.AlreadyClaimed as exc:
        raise AlreadyClaimed(extra={"sale": sale.public_id, "order_no": _order_no_of(merchant, sale, member)}) from exc
    except inventory_errors.BuyerLimitExceeded as exc:
        raise OverMemberLimit(extra={"limit": sale.per_member_limit, "requested": quantity}) from exc
    except (inventory_errors.ClaimerClosed, FutureTimeout) as exc:
        raise SaleBusy(extra={"sale": sale.public_id}) from exc
    try:
        return _write_winner(merchant, sale, member, hold, address, actor)
    except BaseException:
        # The unit must not stay locked away for an order that does not exist.
        try:
            inventory.hold_release(merchant=merchant, holds=[hold], reason="order not written", actor="flash_sale")
        except Exception:  # the hold expires by itself at the latest
            logger.exception("could not release hold %s of flash sale %s", hold.public_id, sale.public_id)
        raise


def _write_winner(
    merchant: Merchant, sale: FlashSale, member: Member, hold: ClaimedHold, address: Address | None, actor: str
) -> FlashSaleClaim:
    if sale.store is not None:
        fulfilment = Fulfilment(type=FulfilmentType.PICKUP, store=sale.store)
    else:
        fulfilment = Fulfilment(type=FulfilmentType.DELIVERY, address=address)
    try:
        with transaction.atomic():
            order = order_place_for_hold(
                merchant=merchant,
                member=member,
                order_no=hold.reference,
                line=HeldLine(
                    sku=sale.sku, quantity=hold.quantity, unit_price_fen=sale.price_fen, hold_id=hold.public_id
                ),
                fulfilment=fulfilment,
                expires_at=clock.now() + payment_window(),
                actor=actor,
                channel=CHANNEL,
            )
            return FlashSaleClaim.objects.create(
                merchant=merchant,
                sale=sale,
                member=member,
                order=order,
                quantity=hold.quantity,
                hold_id=hold.public_id,
            )
    except IntegrityError as exc:
        # The order number was taken (one in 10^8 a day) or a claim is still active: refuse cleanly.
        raise SaleBusy(extra={"sale": sale.public_id}) from exc


def _order_no_of(merchant: Merchant, sale: FlashSale, member: Member) -> str:
    claim = (
        FlashSaleClaim.objects.for_merchant(merchant)
        .filter(sale=sale, member=member, status__in=[ClaimStatus.PENDING_PAYMENT, ClaimStatus.PAID])
        .select_related("order")
        .first()
    )
    return claim.order.order_no if claim else ""


# --- claims follow their orders (handlers.py) ----------------------------------------------------


@transaction.atomic
def claim_follow_order(*, merchant: Merchant, order_no: str, order_status: str) -> int:
    """Move the claim of ``order_no`` to paid (order paid) or lapsed (cancelled or expired)."""
    target = {
        "paid": ClaimStatus.PAID,
        "cancelled": ClaimStatus.LAPSED,
        "expired": ClaimStatus.LAPSED,
    }.get(order_status)
    if target is None:
        return 0
    claims = FlashSaleClaim.objects.for_merchant(merchant).select_for_update().filter(order__order_no=order_no)
    moved = 0
    for claim in claims:
        if CLAIM.can(claim.status, target):
            CLAIM.transition(claim, target, actor="orders", reason=f"order {order_status}")
            moved += 1
    return moved
