"""Writes of pre-sales: create, edit, open, cancel, join, follow orders, settle, refund, balances.

Joining (``presale_join``) places an ordinary order through the orders app's ``order_place_for_hold``
(the path flash sales use): units of the presale's pool are held first with the order number as
the reference, then the ``pending_payment`` order is written at the presale's price (full mode) or
its deposit (deposit mode), all in one transaction. Paying, cancelling and expiry are the orders
app's; ``handlers`` move the participant along and keep ``paid_quantity`` (under the presale's row
lock, so the settle job and a late payment are serialized).

Settling (``presale_settle``, by the periodic ``presales_settle_due`` or "settle now") decides
once: target met -> succeeded (presales.presale_succeeded; deposit mode: a balance is due from each
paid participant); missed -> failed -> refunding, every paid participant is marked ``refund_due``
and ``presale_refunds_run`` asks orders for one refund each. A refund is recorded on the entry
(``refund_out_no``) before payments is asked, and the order's own state is read first, so a run
that crashed halfway can simply run again: nobody is refunded twice. A refund that fails goes back
to ``refund_due`` with the error and is retried by the next run.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from weloop.catalog.enums import ProductStatus
from weloop.catalog.models import Sku
from weloop.core import clock
from weloop.core.errors import NotFound, WeloopError
from weloop.core.events import publish
from weloop.inventory import services as inventory
from weloop.inventory.enums import HoldStatus, PoolKind
from weloop.inventory.errors import InsufficientCapacity
from weloop.inventory.models import Hold
from weloop.members.models import Member
from weloop.orders import services as orders
from weloop.orders.enums import REFUNDABLE_STATUSES, FulfilmentType, OrderRefundKind, OrderStatus
from weloop.orders.models import Order, OrderRefund
from weloop.orders.services import HOLD_GRACE, Address, Fulfilment, payment_window
from weloop.orders.services.claimed import HeldLine, new_order_no, order_place_for_hold
from weloop.presales.enums import (
    ACTIVE_ENTRY_STATUSES,
    BalanceStatus,
    EntryStatus,
    PresaleMode,
    PresaleStatus,
)
from weloop.presales.errors import (
    BalanceWindowClosed,
    InvalidPresale,
    NoBalanceDue,
    NotSettleable,
    OverMemberLimit,
    PresaleClosed,
    PresaleFull,
    PresaleNotOpen,
)
from weloop.presales.models import Presale, PresaleEntry
from weloop.presales.state import ENTRY, PRESALE
from weloop.stores.enums import StoreStatus
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

MAX_QUANTITY = 1_000_000
MAX_MEMBER_LIMIT = 999
MAX_BALANCE_HOURS = 24 * 30
CHANNEL = "presale"
REFUND_REASON = "presale refund"
# The pool of a presale: the engine's quota kind (a deal's quota works the same way), own subject.
POOL_KIND = PoolKind.DEAL_QUOTA


def pool_subject(public_id: str) -> str:
    return f"presale:{public_id}"


# --- the offer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresaleInput:
    sku: Sku
    mode: str
    price_fen: int
    target_quantity: int
    deadline: datetime
    deposit_fen: int = 0
    max_quantity: int | None = None
    per_member_limit: int = 5
    balance_window_hours: int = 72
    lead_time_text: str = ""
    title: str = ""
    description: str = ""
    store: Any = None


def _int(value: object, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidPresale(message, extra={"field": field})
    return value


def _validated(merchant: Merchant, data: PresaleInput) -> dict[str, Any]:
    sku = data.sku
    if not isinstance(sku, Sku) or sku.merchant_id != merchant.pk:
        raise NotFound("No such SKU.", extra={"what": "sku"})
    sku = Sku.objects.select_related("product").get(pk=sku.pk)
    if not sku.is_active or sku.product.status != ProductStatus.ACTIVE:
        raise InvalidPresale("This SKU is not on sale.", extra={"field": "sku_id"})
    if data.mode not in PresaleMode.values:
        raise InvalidPresale("The mode is full or deposit.", extra={"field": "mode"})
    price = _int(data.price_fen, "price_fen", 1, 10**10, "The price is a whole number of fen, more than 0.")
    deposit = 0
    if data.mode == PresaleMode.DEPOSIT:
        deposit = _int(
            data.deposit_fen, "deposit_fen", 1, price - 1, "The deposit is more than 0 and less than the price."
        )
    target = _int(data.target_quantity, "target_quantity", 1, MAX_QUANTITY, f"The target is 1 to {MAX_QUANTITY} units.")
    maximum = data.max_quantity
    if maximum is not None:
        maximum = _int(maximum, "max_quantity", target, MAX_QUANTITY, "The maximum is at least the target.")
    limit = _int(
        data.per_member_limit,
        "per_member_limit",
        1,
        MAX_MEMBER_LIMIT,
        f"The limit per member is 1 to {MAX_MEMBER_LIMIT}.",
    )
    hours = _int(
        data.balance_window_hours,
        "balance_window_hours",
        1,
        MAX_BALANCE_HOURS,
        f"The balance window is 1 to {MAX_BALANCE_HOURS} hours.",
    )
    if not isinstance(data.deadline, datetime) or data.deadline.tzinfo is None:
        raise InvalidPresale("Give the deadline with its time zone.", extra={"field": "deadline"})
    if data.deadline <= clock.now():
        raise InvalidPresale("The deadline must be in the future.", extra={"field": "deadline"})
    store = data.store
    if store is not None:
        if getattr(store, "merchant_id", None) != merchant.pk:
            raise NotFound("No such store.", extra={"what": "store"})
        if store.status != StoreStatus.ACTIVE:
            raise InvalidPresale("Choose a store that is open.", extra={"field": "store_id"})
    return {
        "sku": sku,
        "mode": data.mode,
        "price_fen": price,
        "deposit_fen": deposit,
        "target_quantity": target,
        "max_quantity": maximum,
        "per_member_limit": limit,
        "balance_window_hours": hours,
        "deadline": data.deadline,
        "lead_time_text": " ".join(str(data.lead_time_text or "").split())[:200],
        "title": " ".join(str(data.title or "").split())[:120] or sku.product.name[:120],
        "description": str(data.description or "")[:2000],
        "store": store,
    }


def presale_create(*, merchant: Merchant, data: PresaleInput, actor: str, open_now: bool = False) -> Presale:
    """Create a presale (``draft``, or ``open`` with ``open_now``) and its quota pool.

    Raises InvalidPresale (``extra.field``) or NotFound; writes nothing then.
    """
    fields = _validated(merchant, data)
    presale = Presale(merchant=merchant, created_by=actor[:150], **fields)
    with transaction.atomic():
        pool, _ = inventory.capacity_pool_get_or_create(
            merchant=merchant,
            kind=POOL_KIND,
            subject=pool_subject(presale.public_id),
            initial_capacity=fields["max_quantity"] or MAX_QUANTITY,
            actor=actor,
            reason="presale quota",
        )
        presale.pool = pool
        presale.save(force_insert=True)
        if open_now:
            PRESALE.transition(presale, PresaleStatus.OPEN, actor=actor, reason="opened")
        return presale


@transaction.atomic
def presale_update(*, merchant: Merchant, presale: Presale, data: PresaleInput, actor: str) -> Presale:
    """Edit a draft presale (every field). An open one may only change its texts: the offer members
    accepted (price, mode, target, deadline, maximum) stays as it was."""
    locked = _locked(merchant, presale)
    if locked.status == PresaleStatus.OPEN:
        locked.title = " ".join(str(data.title or "").split())[:120] or locked.title
        locked.description = str(data.description or "")[:2000]
        locked.lead_time_text = " ".join(str(data.lead_time_text or "").split())[:200]
        locked.save(update_fields=["title", "description", "lead_time_text"])
        return locked
    if locked.status != PresaleStatus.DRAFT:
        raise PresaleNotOpen(
            "Only a draft or open presale can be edited.", extra={"presale": locked.public_id, "status": locked.status}
        )
    fields = _validated(merchant, data)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    inventory.capacity_set_available(
        merchant=merchant,
        pool=locked.pool,
        available=fields["max_quantity"] or MAX_QUANTITY,
        actor=actor,
        reason="presale edited",
    )
    return locked


@transaction.atomic
def presale_open(*, merchant: Merchant, presale: Presale, actor: str) -> Presale:
    locked = _locked(merchant, presale)
    if locked.deadline <= clock.now():
        raise InvalidPresale("The deadline must be in the future.", extra={"field": "deadline"})
    PRESALE.transition(locked, PresaleStatus.OPEN, actor=actor, reason="opened")
    return locked


def presale_cancel(*, merchant: Merchant, presale: Presale, actor: str, reason: str = "") -> Presale:
    """The merchant calls the presale off: no more joins, unpaid orders are cancelled and every paid
    participant is refunded (now, and by the periodic run if a refund must be retried).

    Raises InvalidTransition when it already ended.
    """
    with transaction.atomic():
        locked = _locked(merchant, presale)
        PRESALE.transition(
            locked,
            PresaleStatus.CANCELLED,
            actor=actor,
            reason=reason or "cancelled",
            extra_updates={"outcome": "cancelled", "final_quantity": locked.paid_quantity, "settled_at": clock.now()},
        )
        _begin_refunds(locked, actor)
    _close_unpaid(merchant, locked, actor)
    presale_refunds_run(merchant=merchant, presale=locked, actor=actor)
    return _fresh(merchant, locked)


# --- joining ------------------------------------------------------------------------------------


def presale_join(
    *,
    merchant: Merchant,
    presale: Presale,
    member: Member,
    quantity: int = 1,
    address: Address | None = None,
    actor: str,
) -> PresaleEntry:
    """Join ``presale`` with ``quantity`` units: the member's ``pending_payment`` order (the price,
    or the deposit, times the quantity), holding units of the presale's pool until it is paid.

    Raises PresaleNotOpen, PresaleClosed (deadline passed), OverMemberLimit, PresaleFull (the
    maximum is taken), InvalidPresale (quantity), orders' InvalidAddress/InvalidFulfilment; writes
    nothing (and holds nothing) then.
    """
    if not isinstance(member, Member) or member.merchant_id != merchant.pk:
        raise NotFound("No such member.", extra={"what": "member"})
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidPresale("Order at least one unit.", extra={"field": "quantity"})
    if presale.store is not None:
        fulfilment = Fulfilment(type=FulfilmentType.PICKUP, store=presale.store)
    else:
        if address is None or not all(str(v or "").strip() for v in (address.name, address.phone, address.detail)):
            raise InvalidPresale("Give a delivery address (name, phone, address).", extra={"field": "address"})
        fulfilment = Fulfilment(type=FulfilmentType.DELIVERY, address=address)
    if presale.mode == PresaleMode.DEPOSIT:
        # The deposit is a receipt (定金): nothing is shipped for it; the balance order is fulfilled.
        fulfilment = Fulfilment(type=FulfilmentType.VIRTUAL, store=presale.store)
    with transaction.atomic():
        locked = _locked(merchant, presale)  # joins queue behind the settle job, never after it
        if locked.status != PresaleStatus.OPEN:
            raise PresaleNotOpen(extra={"presale": locked.public_id, "status": locked.status})
        if locked.deadline <= clock.now():
            raise PresaleClosed(extra={"presale": locked.public_id})
        already = (
            PresaleEntry.objects.for_merchant(merchant)
            .filter(presale=locked, member=member, status__in=ACTIVE_ENTRY_STATUSES)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if already + quantity > locked.per_member_limit:
            raise OverMemberLimit(extra={"limit": locked.per_member_limit, "already": already, "requested": quantity})
        order_no = new_order_no()
        expires_at = clock.now() + payment_window()
        try:
            with transaction.atomic():
                (hold,) = inventory.capacity_hold(
                    merchant=merchant,
                    lines=[(locked.pool, quantity)],
                    expires_at=expires_at + HOLD_GRACE,
                    reference=order_no,
                    actor=actor,
                    reason=f"presale {locked.public_id}",
                )
        except InsufficientCapacity as exc:
            raise PresaleFull(extra={"presale": locked.public_id, "available": exc.extra.get("available", 0)}) from exc
        order = order_place_for_hold(
            merchant=merchant,
            member=member,
            order_no=order_no,
            line=HeldLine(sku=locked.sku, quantity=quantity, unit_price_fen=locked.pay_now_fen, hold_id=hold.public_id),
            fulfilment=fulfilment,
            expires_at=expires_at,
            actor=actor,
            channel=CHANNEL,
        )
        entry = PresaleEntry.objects.create(
            merchant=merchant, presale=locked, member=member, order=order, quantity=quantity
        )
        publish(merchant=merchant, name="presales.presale_joined", payload=_entry_payload(locked, entry))
        return entry


# --- participants follow their orders (handlers.py) -----------------------------------------------


def _entry_for_order(merchant: Merchant, order_no: str) -> PresaleEntry | None:
    return (
        PresaleEntry.objects.for_merchant(merchant)
        .filter(order__order_no=order_no)
        .select_related("presale", "order", "member")
        .first()
    )


@transaction.atomic
def entry_order_paid(*, merchant: Merchant, order_no: str) -> str:
    """The order of a participant was paid: count it (open or succeeded presale) or, when the
    presale already failed or was cancelled, mark it for refund (the late payment). Idempotent.
    Also: a paid balance order completes its entry's balance. Returns what it did."""
    balance = PresaleEntry.objects.for_merchant(merchant).filter(balance_order__order_no=order_no).first()
    if balance is not None:
        PresaleEntry.objects.filter(pk=balance.pk, balance_status=BalanceStatus.DUE).update(
            balance_status=BalanceStatus.PAID
        )
        return "balance_paid"
    found = _entry_for_order(merchant, order_no)
    if found is None:
        return "unknown"
    presale = _locked(merchant, found.presale)  # first the presale, then the entry: one order everywhere
    entry = PresaleEntry.objects.select_for_update().get(pk=found.pk)
    if entry.status != EntryStatus.PENDING_PAYMENT:
        return "duplicate"
    now = clock.now()
    if presale.status in (PresaleStatus.OPEN, PresaleStatus.SUCCEEDED):
        updates: dict[str, Any] = {"counted": True, "paid_at": now}
        if presale.status == PresaleStatus.SUCCEEDED and presale.mode == PresaleMode.DEPOSIT:
            updates.update(_balance_fields(presale, entry, now))
        ENTRY.transition(entry, EntryStatus.PAID, actor="orders", reason="order paid", extra_updates=updates)
        Presale.objects.filter(pk=presale.pk).update(paid_quantity=F("paid_quantity") + entry.quantity)
        if updates.get("balance_status") == BalanceStatus.DUE:
            publish(merchant=merchant, name="presales.balance_due", payload=_entry_payload(presale, entry))
        return "counted"
    # Failed, cancelled or already refunding: the money goes back like everybody else's.
    ENTRY.transition(
        entry,
        EntryStatus.REFUND_DUE,
        actor="orders",
        reason="paid after the presale closed",
        extra_updates={"paid_at": now},
    )
    if presale.status == PresaleStatus.REFUNDED:
        PRESALE.transition(
            presale, PresaleStatus.REFUNDING, actor="orders", reason="a payment landed after the refunds"
        )
    elif presale.status in (PresaleStatus.FAILED, PresaleStatus.CANCELLED):
        PRESALE.transition(presale, PresaleStatus.REFUNDING, actor="orders", reason="refunds")
    transaction.on_commit(lambda: _refund_soon(presale.pk))
    return "refund_due"


@transaction.atomic
def entry_order_closed(*, merchant: Merchant, order_no: str) -> str:
    """The order was cancelled or expired unpaid: the participant lapsed (orders released the hold)."""
    found = _entry_for_order(merchant, order_no)
    if found is None:
        return "unknown"
    entry = PresaleEntry.objects.select_for_update().get(pk=found.pk)
    if entry.status == EntryStatus.PENDING_PAYMENT:
        ENTRY.transition(entry, EntryStatus.LAPSED, actor="orders", reason="order closed unpaid")
        return "lapsed"
    return "duplicate"


@transaction.atomic
def entry_order_refunded(*, merchant: Merchant, order_no: str, order_status: str) -> str:
    """A refund of the participant's order succeeded. Our own refund (failure, cancellation) ends
    the entry; a full refund the merchant gave by hand while the presale runs takes its units out
    of the count (and back to the pool). Partial refunds keep the count. Idempotent."""
    found = _entry_for_order(merchant, order_no)
    if found is None:
        return "unknown"
    presale = _locked(merchant, found.presale)
    entry = PresaleEntry.objects.select_for_update().get(pk=found.pk)
    if entry.status in (EntryStatus.REFUND_DUE, EntryStatus.REFUND_REQUESTED):
        ENTRY.transition(
            entry,
            EntryStatus.REFUNDED,
            actor="orders",
            reason="refunded",
            extra_updates={"refunded_at": clock.now(), "refund_error": ""},
        )
        _finish_if_done(presale)
        return "refunded"
    if entry.status == EntryStatus.PAID and order_status == OrderStatus.REFUNDED:
        was_counted = entry.counted
        ENTRY.transition(
            entry,
            EntryStatus.REFUNDED,
            actor="orders",
            reason="refunded by the merchant",
            extra_updates={"refunded_at": clock.now(), "counted": False},
        )
        if was_counted:
            Presale.objects.filter(pk=presale.pk).update(paid_quantity=F("paid_quantity") - entry.quantity)
        line = entry.order.lines.first()
        if presale.status == PresaleStatus.OPEN and line is not None and line.returned_quantity == 0:
            hold = (
                Hold.objects.for_merchant(merchant).filter(public_id=line.hold_id, status=HoldStatus.CONFIRMED).first()
            )
            if hold is not None:
                inventory.capacity_return(
                    merchant=merchant,
                    pool=presale.pool,
                    quantity=entry.quantity,
                    reason="presale refund",
                    reference=order_no,
                    actor="orders",
                )
        return "uncounted"
    return "ignored"


@transaction.atomic
def entry_refund_failed(*, merchant: Merchant, order_no: str, reason: str) -> str:
    """Payments refused our refund: the entry is due again (retried by the next run) and says why."""
    found = _entry_for_order(merchant, order_no)
    if found is None:
        return "unknown"
    entry = PresaleEntry.objects.select_for_update().get(pk=found.pk)
    if entry.status != EntryStatus.REFUND_REQUESTED:
        return "ignored"
    ENTRY.transition(
        entry,
        EntryStatus.REFUND_DUE,
        actor="payments",
        reason="refund failed",
        extra_updates={"refund_error": f"refund failed: {reason}"[:300], "refund_out_no": ""},
    )
    return "retry"


# --- settling -----------------------------------------------------------------------------------


def presale_settle(*, merchant: Merchant, presale: Presale, actor: str, early: bool = False) -> Presale:
    """Decide an open presale: succeeded when paid units reach the target, failed when the deadline
    passed under it (then everybody paid is refunded). Idempotent: a decided presale only resumes
    its refunds. ``early`` ("settle now" in the console) may succeed before the deadline once the
    target is met; otherwise before the deadline it raises NotSettleable.
    """
    now = clock.now()
    with transaction.atomic():
        locked = _locked(merchant, presale)
        if locked.status == PresaleStatus.OPEN:
            met = locked.paid_quantity >= locked.target_quantity
            if locked.deadline > now and not (early and met):
                raise NotSettleable(extra={"presale": locked.public_id, "status": locked.status})
            decided = {"final_quantity": locked.paid_quantity, "settled_at": now}
            if met:
                PRESALE.transition(
                    locked,
                    PresaleStatus.SUCCEEDED,
                    actor=actor,
                    reason="target met",
                    extra_updates={**decided, "outcome": "succeeded"},
                )
                _on_success(locked, now)
            else:
                PRESALE.transition(
                    locked,
                    PresaleStatus.FAILED,
                    actor=actor,
                    reason="deadline passed under target",
                    extra_updates={**decided, "outcome": "failed"},
                )
                publish(merchant=merchant, name="presales.presale_failed", payload=presale_payload(locked))
                _begin_refunds(locked, actor)
        elif locked.status == PresaleStatus.DRAFT:
            raise PresaleNotOpen(extra={"presale": locked.public_id, "status": locked.status})
    if locked.status in (
        PresaleStatus.REFUNDING,
        PresaleStatus.REFUNDED,
        PresaleStatus.FAILED,
        PresaleStatus.CANCELLED,
    ):
        _close_unpaid(merchant, locked, actor)
        presale_refunds_run(merchant=merchant, presale=locked, actor=actor)
    return _fresh(merchant, locked)


def _on_success(presale: Presale, now: datetime) -> None:
    """Production is triggered (the event); in deposit mode each paid participant owes the balance."""
    merchant = presale.merchant
    if presale.mode == PresaleMode.DEPOSIT:
        for entry in PresaleEntry.objects.for_merchant(merchant).filter(presale=presale, status=EntryStatus.PAID):
            PresaleEntry.objects.filter(pk=entry.pk).update(**_balance_fields(presale, entry, now))
            entry.balance_fen = presale.balance_fen * entry.quantity
            publish(merchant=merchant, name="presales.balance_due", payload=_entry_payload(presale, entry))
    publish(merchant=merchant, name="presales.presale_succeeded", payload=presale_payload(presale))


def _balance_fields(presale: Presale, entry: PresaleEntry, now: datetime) -> dict[str, Any]:
    return {
        "balance_status": BalanceStatus.DUE,
        "balance_fen": presale.balance_fen * entry.quantity,
        "balance_due_at": now + timedelta(hours=presale.balance_window_hours),
    }


def _begin_refunds(presale: Presale, actor: str) -> None:
    """In the presale's locked transaction: every paid participant is due a refund; -> refunding."""
    entries = (
        PresaleEntry.objects.for_merchant(presale.merchant)
        .select_for_update()
        .filter(presale=presale, status=EntryStatus.PAID)
    )
    for entry in entries:
        ENTRY.transition(entry, EntryStatus.REFUND_DUE, actor=actor, reason=f"presale {presale.outcome}")
    PRESALE.transition(presale, PresaleStatus.REFUNDING, actor=actor, reason="refunds")


def _close_unpaid(merchant: Merchant, presale: Presale, actor: str) -> None:
    """Cancel the orders still waiting for payment (money that still lands is refunded too)."""
    pending = (
        PresaleEntry.objects.for_merchant(merchant)
        .filter(presale=presale, status=EntryStatus.PENDING_PAYMENT)
        .select_related("order")
    )
    for entry in pending:
        try:
            orders.order_cancel(merchant=merchant, order=entry.order, actor=actor, reason="presale closed")
        except WeloopError:  # paid or closed meanwhile: its event moves the entry
            logger.info("presale order %s not cancelled", entry.order.order_no)


@dataclass(frozen=True)
class RefundRun:
    requested: int = 0
    already: int = 0
    failed: int = 0


def presale_refunds_run(*, merchant: Merchant, presale: Presale, actor: str = "system:presales") -> RefundRun:
    """Ask orders for one refund per participant due one; call outside a transaction. Safe to run
    again at any point (after a crash, or concurrently): each entry is claimed under its row lock,
    and an order already refunding or refunded is recorded instead of refunded again."""
    requested = already = failed = 0
    _recover_stale(merchant, presale, actor)
    due_ids = list(
        PresaleEntry.objects.for_merchant(merchant)
        .filter(presale=presale, status=EntryStatus.REFUND_DUE)
        .values_list("pk", flat=True)
    )
    for pk in due_ids:
        outcome = _refund_one(merchant, pk, actor)
        requested += outcome == "requested"
        already += outcome == "already"
        failed += outcome == "failed"
    with transaction.atomic():
        _finish_if_done(_locked(merchant, presale))
    return RefundRun(requested=requested, already=already, failed=failed)


STALE_REQUEST = timedelta(minutes=5)


def _recover_stale(merchant: Merchant, presale: Presale, actor: str) -> None:
    """Entries marked ``refund_requested`` by a run that died before orders recorded the refund:
    with no refund of ours on the order after a while, they are due again (the order's own state
    still stops a second refund if one did go through)."""
    stale = PresaleEntry.objects.for_merchant(merchant).filter(
        presale=presale,
        status=EntryStatus.REFUND_REQUESTED,
        refund_out_no="",
        refund_requested_at__lte=clock.now() - STALE_REQUEST,
    )
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            entry = PresaleEntry.objects.select_for_update().filter(pk=pk, status=EntryStatus.REFUND_REQUESTED).first()
            if entry is None:
                continue
            ours = (
                OrderRefund.objects.filter(order_id=entry.order_id, kind=OrderRefundKind.REFUND, reason=REFUND_REASON)
                .exclude(status="failed")
                .order_by("-id")
                .first()
            )
            if ours is not None:
                PresaleEntry.objects.filter(pk=pk).update(refund_out_no=ours.out_refund_no)
                if ours.status == "succeeded":
                    ENTRY.transition(
                        entry,
                        EntryStatus.REFUNDED,
                        actor=actor,
                        reason="refunded",
                        extra_updates={"refunded_at": clock.now()},
                    )
                continue
            ENTRY.transition(
                entry,
                EntryStatus.REFUND_DUE,
                actor=actor,
                reason="refund run interrupted",
                extra_updates={"refund_error": "the refund run stopped before asking orders; retried"},
            )


def _refund_one(merchant: Merchant, pk: int, actor: str) -> str:
    with transaction.atomic():
        entry = PresaleEntry.objects.select_for_update(of=("self",)).select_related("order").filter(pk=pk).first()
        if entry is None or entry.status != EntryStatus.REFUND_DUE:
            return "skipped"
        order = Order.objects.select_for_update().get(pk=entry.order_id)
        ours = (
            OrderRefund.objects.filter(order=order, kind=OrderRefundKind.REFUND, reason=REFUND_REASON)
            .exclude(status="failed")
            .order_by("-id")
            .first()
        )
        if (
            ours is not None
            or order.status in (OrderStatus.REFUNDING, OrderStatus.REFUNDED)
            or order.refundable_fen == 0
        ):
            # A run that crashed after asking orders, or somebody refunded it already: record, do not repeat.
            ENTRY.transition(
                entry,
                EntryStatus.REFUND_REQUESTED,
                actor=actor,
                reason="refund already asked",
                extra_updates={"refund_out_no": ours.out_refund_no if ours else "", "refund_requested_at": clock.now()},
            )
            if (ours is not None and ours.status == "succeeded") or order.status == OrderStatus.REFUNDED:
                ENTRY.transition(
                    entry,
                    EntryStatus.REFUNDED,
                    actor=actor,
                    reason="refunded",
                    extra_updates={"refunded_at": clock.now()},
                )
            return "already"
        if order.status not in REFUNDABLE_STATUSES:
            PresaleEntry.objects.filter(pk=pk).update(
                refund_attempts=F("refund_attempts") + 1, refund_error=f"order is {order.status}"[:300]
            )
            return "failed"
        ENTRY.transition(
            entry,
            EntryStatus.REFUND_REQUESTED,
            actor=actor,
            reason="refund asked",
            extra_updates={"refund_requested_at": clock.now(), "refund_attempts": entry.refund_attempts + 1},
        )
        amount = order.refundable_fen
    try:
        refund = orders.order_refund(
            merchant=merchant, order=order, amount_fen=amount, reason=REFUND_REASON, actor=actor
        )
    except Exception as exc:  # the next run tries again; the console shows why
        logger.warning("presale refund of %s failed", order.order_no, exc_info=True)
        with transaction.atomic():
            fresh = PresaleEntry.objects.select_for_update().get(pk=pk)
            if fresh.status == EntryStatus.REFUND_REQUESTED:
                ENTRY.transition(
                    fresh,
                    EntryStatus.REFUND_DUE,
                    actor=actor,
                    reason="refund failed",
                    extra_updates={"refund_error": f"{type(exc).__name__}: {exc}"[:300]},
                )
        return "failed"
    PresaleEntry.objects.filter(pk=pk, refund_out_no="").update(refund_out_no=refund.out_refund_no)
    return "requested"


def _finish_if_done(presale: Presale) -> None:
    """In a transaction holding the presale's lock: refunding -> refunded when nobody is owed."""
    if presale.status != PresaleStatus.REFUNDING:
        return
    owed = PresaleEntry.objects.filter(
        presale=presale, status__in=[EntryStatus.REFUND_DUE, EntryStatus.REFUND_REQUESTED, EntryStatus.PENDING_PAYMENT]
    ).exists()
    if not owed:
        PRESALE.transition(presale, PresaleStatus.REFUNDED, actor="system:presales", reason="everybody refunded")
        publish(merchant=presale.merchant, name="presales.presale_refunded", payload=presale_payload(presale))


def _refund_soon(presale_pk: int) -> None:
    """After a late payment: refund at once on the queue (the periodic run retries anyway)."""
    try:
        from weloop.presales.tasks import presale_refunds_task

        presale_refunds_task(presale_pk)
    except Exception:  # the queue is down: the minute sweep picks it up
        logger.warning("could not enqueue the refunds of presale %s", presale_pk, exc_info=True)


def presales_settle_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The periodic job: settle open presales past their deadline, run pending refunds, forfeit
    balances not paid in time. Idempotent; one presale failing does not stop the others."""
    now = now or clock.now()
    done = 0
    due = list(
        Presale.objects.filter(status=PresaleStatus.OPEN, deadline__lte=now)
        .select_related("merchant")
        .order_by("deadline")[:limit]
    )
    refunding = list(
        Presale.objects.filter(status__in=[PresaleStatus.REFUNDING, PresaleStatus.FAILED, PresaleStatus.CANCELLED])
        .select_related("merchant")
        .order_by("id")[:limit]
    )
    for presale in [*due, *refunding]:
        try:
            presale_settle(merchant=presale.merchant, presale=presale, actor="system:presales")
            done += 1
        except Exception:
            logger.exception("could not settle presale %s", presale.public_id)
    balances_forfeit_due(now=now)
    return done


# --- deposit mode: the balance -------------------------------------------------------------------


def presale_balance_order(
    *, merchant: Merchant, entry: PresaleEntry, member: Member, address: Address | None = None, actor: str
) -> Order:
    """The member's order for the balance of a succeeded deposit presale (the one that is fulfilled).

    Idempotent: an unpaid balance order still open is returned again. Raises NoBalanceDue,
    BalanceWindowClosed.
    """
    with transaction.atomic():
        locked = (
            PresaleEntry.objects.for_merchant(merchant)
            .select_for_update(of=("self",))
            .select_related("presale", "presale__sku__product", "balance_order")
            .filter(pk=entry.pk)
            .first()
        )
        if locked is None or locked.member_id != member.pk:
            raise NotFound("No such presale order.", extra={"what": "entry"})
        if locked.balance_status != BalanceStatus.DUE:
            raise NoBalanceDue(extra={"entry": locked.public_id, "balance_status": locked.balance_status})
        if locked.balance_due_at and locked.balance_due_at <= clock.now():
            raise BalanceWindowClosed(extra={"entry": locked.public_id})
        current = locked.balance_order
        if current is not None and current.status == OrderStatus.PENDING_PAYMENT:
            return current
        presale = locked.presale
        if presale.store is not None:
            fulfilment = Fulfilment(type=FulfilmentType.PICKUP, store=presale.store)
        else:
            if address is None or not all(str(v or "").strip() for v in (address.name, address.phone, address.detail)):
                raise InvalidPresale("Give a delivery address (name, phone, address).", extra={"field": "address"})
            fulfilment = Fulfilment(type=FulfilmentType.DELIVERY, address=address)
        window_end = min(clock.now() + payment_window(), locked.balance_due_at or clock.now() + payment_window())
        try:
            order = order_place_for_hold(
                merchant=merchant,
                member=member,
                order_no=new_order_no(),
                # The units were taken (and confirmed) by the deposit order: nothing to hold again.
                line=HeldLine(
                    sku=presale.sku, quantity=locked.quantity, unit_price_fen=presale.balance_fen, hold_id=""
                ),
                fulfilment=fulfilment,
                expires_at=window_end,
                actor=actor,
                channel=f"{CHANNEL}_balance",
            )
        except IntegrityError as exc:  # an order number collision: try again
            raise NoBalanceDue("Please try again.", extra={"entry": locked.public_id}) from exc
        PresaleEntry.objects.filter(pk=locked.pk).update(balance_order=order)
        return order


def balances_forfeit_due(*, now: datetime | None = None) -> int:
    """Balances not paid by their deadline: the deposit is forfeited (定金不退, the rule stated on
    the presale page) and the open balance order is cancelled. Idempotent."""
    now = now or clock.now()
    moved = 0
    due = PresaleEntry.objects.filter(balance_status=BalanceStatus.DUE, balance_due_at__lte=now).select_related(
        "merchant", "balance_order", "presale"
    )
    for entry in due[:500]:
        if entry.balance_order is not None and entry.balance_order.status == OrderStatus.PENDING_PAYMENT:
            with contextlib.suppress(WeloopError):  # paid or closed meanwhile
                orders.order_cancel(
                    merchant=entry.merchant,
                    order=entry.balance_order,
                    actor="system:presales",
                    reason="balance not paid in time",
                )
            if Order.objects.filter(pk=entry.balance_order_id, status=OrderStatus.PAID).exists():
                continue  # it was paid meanwhile: its event marks the balance paid
        with transaction.atomic():
            if PresaleEntry.objects.filter(pk=entry.pk, balance_status=BalanceStatus.DUE).update(
                balance_status=BalanceStatus.FORFEITED
            ):
                moved += 1
                publish(
                    merchant=entry.merchant,
                    name="presales.deposit_forfeited",
                    payload=_entry_payload(entry.presale, entry),
                )
    return moved


# --- helpers --------------------------------------------------------------------------------------


def _locked(merchant: Merchant, presale: Presale) -> Presale:
    locked = (
        Presale.objects.for_merchant(merchant)
        .select_for_update(of=("self",))
        .select_related("merchant", "sku", "sku__product", "pool", "store")
        .filter(pk=presale.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such presale.", extra={"what": "presale"})
    return locked


def _fresh(merchant: Merchant, presale: Presale) -> Presale:
    return Presale.objects.for_merchant(merchant).select_related("sku", "sku__product", "store").get(pk=presale.pk)


def presale_payload(presale: Presale) -> dict[str, Any]:
    """What every presales.* event about a presale carries (plain JSON)."""
    return {
        "presale_id": presale.public_id,
        "title": presale.title,
        "sku_id": presale.sku.public_id,
        "mode": presale.mode,
        "status": presale.status,
        "target_quantity": presale.target_quantity,
        "paid_quantity": presale.final_quantity if presale.final_quantity is not None else presale.paid_quantity,
        "deadline": presale.deadline.isoformat(),
        "lead_time_text": presale.lead_time_text,
    }


def _entry_payload(presale: Presale, entry: PresaleEntry) -> dict[str, Any]:
    member = Member.objects.filter(pk=entry.member_id).only("public_id", "openid").first()
    return {
        "presale_id": presale.public_id,
        "title": presale.title,
        "entry_id": entry.public_id,
        "member_id": member.public_id if member else "",
        "openid": member.openid if member else "",
        "quantity": entry.quantity,
        "balance_fen": entry.balance_fen,
        "balance_due_at": entry.balance_due_at.isoformat() if entry.balance_due_at else None,
    }
