"""Writes of the capacity engine: pools, holds, confirmations, releases, expiry, returns, restocks.

Rules every function here keeps:
- A pool's counters change only by a guarded UPDATE (``… WHERE held + consumed + q <= capacity``)
  on a row this transaction has locked. Pools are locked in primary-key order, so two transactions
  that need the same pools queue instead of deadlocking. The CHECK constraints of CapacityPool are
  the last line: even a buggy caller cannot commit an oversold pool.
- A hold changes status only while its pool is locked, through the HOLD machine (compare-and-set on
  the status, plus a history row), so an expiry racing a confirmation settles the hold exactly once.
- Every counter movement writes LedgerEntry rows in the same transaction: each counter equals the
  sum of its column in the ledger (``selectors.ledger_balance``).
- Quantities are positive ints; bools, floats and negatives raise ``inventory.invalid_quantity``.

The caller passes model instances it got from this app's selectors; an instance of another merchant
is a NotFound, exactly like a missing one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.errors import ConcurrentModification, NotFound
from weloop.core.models import StateTransition
from weloop.inventory import gates
from weloop.inventory.calculations import require_count, require_delta, require_quantity, require_subject
from weloop.inventory.enums import HoldStatus, LocationKind, Movement, PoolKind
from weloop.inventory.errors import (
    BelowCommitted,
    HoldAlreadyConfirmed,
    HoldNotActive,
    InsufficientCapacity,
    InvalidExpiry,
    InvalidLocation,
    InvalidPool,
    InvalidQuantity,
    LocationNameTaken,
    ReturnExceedsConsumed,
)
from weloop.inventory.models import CapacityPool, Hold, LedgerEntry, Location
from weloop.inventory.state import HOLD
from weloop.tenants.models import Merchant

if TYPE_CHECKING:
    from weloop.inventory.combining import ClaimedHold

logger = logging.getLogger(__name__)

MAX_BIGINT = 2**63 - 1


# --- locations ------------------------------------------------------------------------------


@transaction.atomic
def location_create(
    *, merchant: Merchant, name: str, kind: str = LocationKind.WAREHOUSE, store: Any = None
) -> Location:
    """Create a warehouse (no store) or a store location (``store`` given, one per store).

    Raises InvalidLocation or LocationNameTaken; writes nothing when it raises.
    """
    name = " ".join(str(name or "").split())
    if not name or len(name) > 80:
        raise InvalidLocation("A location name is 1 to 80 characters.", extra={"field": "name"})
    if kind not in LocationKind.values:
        raise InvalidLocation(extra={"field": "kind", "value": str(kind)})
    if (kind == LocationKind.STORE) != (store is not None):
        raise InvalidLocation("A store location names its store; a warehouse names none.", extra={"field": "store"})
    if store is not None:
        _require_owned(merchant, store, what="store")
    location = Location(merchant=merchant, name=name, kind=kind, store=store)
    try:
        with transaction.atomic():
            location.save()
    except IntegrityError as exc:
        raise LocationNameTaken(extra={"name": name}) from exc
    return location


def location_for_store(*, merchant: Merchant, store: Any) -> Location:
    """The location of ``store``, created (named after the store) the first time it is needed."""
    _require_owned(merchant, store, what="store")
    existing = Location.objects.for_merchant(merchant).filter(store=store).first()
    if existing is not None:
        return existing
    try:
        return location_create(merchant=merchant, name=str(store)[:80], kind=LocationKind.STORE, store=store)
    except LocationNameTaken:
        # a concurrent call created it, or a warehouse has the store's name: tell the two apart
        existing = Location.objects.for_merchant(merchant).filter(store=store).first()
        if existing is not None:
            return existing
        return location_create(
            merchant=merchant, name=f"{str(store)[:70]} ({store.public_id})", kind=LocationKind.STORE, store=store
        )


# --- pools ----------------------------------------------------------------------------------


def capacity_pool_get_or_create(
    *,
    merchant: Merchant,
    kind: str,
    subject: str,
    location: Location | None = None,
    initial_capacity: int = 0,
    actor: str = "",
    reason: str = "initial capacity",
) -> tuple[CapacityPool, bool]:
    """Return the pool of (kind, subject, location), creating it with ``initial_capacity`` units.

    The initial units are a ledger entry like any restock. ``initial_capacity`` is ignored when
    the pool exists. Safe when two callers create the same pool at once: one creates, both get it.
    Raises InvalidPool (unknown kind, malformed subject) or InvalidQuantity.
    """
    if kind not in PoolKind.values:
        raise InvalidPool(extra={"field": "kind", "value": str(kind)})
    subject = require_subject(subject)
    initial_capacity = require_count(initial_capacity, field="initial_capacity")
    if location is not None:
        _require_owned(merchant, location, what="location")
    lookup = {"kind": kind, "subject": subject, "location": location}
    pool = CapacityPool.objects.for_merchant(merchant).filter(**lookup).first()
    if pool is not None:
        return pool, False
    try:
        with transaction.atomic():
            pool = CapacityPool.objects.create(merchant=merchant, capacity=initial_capacity, **lookup)
            if initial_capacity:
                _ledger(pool, Movement.ADJUST, capacity=initial_capacity, reason=reason, actor=actor)
    except IntegrityError:
        return CapacityPool.objects.for_merchant(merchant).get(**lookup), False
    return pool, True


@transaction.atomic
def capacity_adjust(
    *, merchant: Merchant, pool: CapacityPool, delta: int, reason: str, actor: str, reference: str = ""
) -> CapacityPool:
    """Restock (``delta`` > 0) or shrink (``delta`` < 0) a pool; returns it with fresh counters.

    A shrink never takes capacity below ``held + consumed``: raises BelowCommitted
    (``inventory.below_committed``) and changes nothing. Raises InvalidQuantity for a zero,
    fractional or non-int delta.
    """
    delta = require_delta(delta)
    locked = _lock_pools(merchant, [pool])[pool.pk]
    if delta > 0:
        changed = CapacityPool.objects.filter(pk=pool.pk, capacity__lte=MAX_BIGINT - delta).update(
            capacity=F("capacity") + delta
        )
        if not changed:
            raise InvalidPool("The capacity would be too large.", extra={"pool": pool.public_id})
        transaction.on_commit(lambda: gates.capacity_freed(pool.pk))
    else:
        changed = CapacityPool.objects.filter(pk=pool.pk, capacity__gte=F("held") + F("consumed") - delta).update(
            capacity=F("capacity") + delta
        )
        if not changed:
            raise BelowCommitted(
                extra={
                    "pool": pool.public_id,
                    "capacity": locked.capacity,
                    "committed": locked.held + locked.consumed,
                    "delta": delta,
                }
            )
    _ledger(locked, Movement.ADJUST, capacity=delta, reason=reason, actor=actor, reference=reference)
    return _refreshed(locked)


@transaction.atomic
def capacity_set_available(
    *, merchant: Merchant, pool: CapacityPool, available: int, reason: str, actor: str, reference: str = ""
) -> CapacityPool:
    """Make ``available`` units sellable now (a stock count): adjusts capacity by the difference.

    Held and sold units are kept, so the result is always allowed. Setting the figure the pool
    already has writes nothing, which makes a repeated stocktake or CSV import harmless.
    """
    available = require_count(available)
    locked = _lock_pools(merchant, [pool])[pool.pk]
    delta = available - locked.available
    if delta == 0:
        return locked
    return capacity_adjust(merchant=merchant, pool=locked, delta=delta, reason=reason, actor=actor, reference=reference)


@transaction.atomic
def capacity_return(
    *, merchant: Merchant, pool: CapacityPool, quantity: int, reason: str, reference: str = "", actor: str = ""
) -> CapacityPool:
    """Put ``quantity`` sold units back on sale (a refund or a return): consumed goes down.

    Raises ReturnExceedsConsumed when more would come back than the pool ever sold. Goods that
    come back damaged are returned and then shrunk with capacity_adjust, so the ledger says both.
    """
    quantity = require_quantity(quantity)
    locked = _lock_pools(merchant, [pool])[pool.pk]
    changed = CapacityPool.objects.filter(pk=pool.pk, consumed__gte=quantity).update(consumed=F("consumed") - quantity)
    if not changed:
        raise ReturnExceedsConsumed(extra={"pool": pool.public_id, "requested": quantity, "consumed": locked.consumed})
    _ledger(locked, Movement.RETURN, consumed=-quantity, reason=reason, actor=actor, reference=reference)
    transaction.on_commit(lambda: gates.capacity_freed(pool.pk))
    return _refreshed(locked)


# --- holds ----------------------------------------------------------------------------------


@transaction.atomic
def capacity_hold(
    *,
    merchant: Merchant,
    lines: Sequence[tuple[CapacityPool, int]],
    expires_at: datetime,
    reference: str = "",
    actor: str = "",
    reason: str = "",
) -> list[Hold]:
    """Hold ``qty`` units of each ``(pool, qty)`` line until ``expires_at``: all lines or none.

    Returns one Hold per line, in the order of ``lines``. Locks the pools in pk order
    (``SELECT … FOR NO KEY UPDATE`` on PostgreSQL), then per line runs ``UPDATE … SET held =
    held + q WHERE id = ? AND held + consumed + q <= capacity``; a line that changes no row
    raises InsufficientCapacity (``inventory.insufficient``, extra ``{pool, requested,
    available}``) and nothing is held. Also raises InvalidQuantity and InvalidExpiry.
    """
    if not lines:
        raise InvalidQuantity("Hold at least one line.", extra={"field": "lines"})
    quantities = [require_quantity(qty, field=f"lines[{i}].quantity") for i, (_, qty) in enumerate(lines)]
    now = clock.now()
    if expires_at is None or expires_at.tzinfo is None or expires_at <= now:
        raise InvalidExpiry(extra={"expires_at": str(expires_at)})
    locked = _lock_pools(merchant, [pool for pool, _ in lines])
    for i in sorted(range(len(lines)), key=lambda i: lines[i][0].pk):
        _take(locked[lines[i][0].pk], quantities[i])
    holds = Hold.objects.bulk_create(
        [
            Hold(
                merchant=merchant,
                pool=locked[pool.pk],
                quantity=qty,
                expires_at=expires_at,
                reference=reference[:100],
                reason=reason[:200],
                created_at=now,
            )
            for (pool, _), qty in zip(lines, quantities, strict=True)
        ]
    )
    LedgerEntry.objects.bulk_create(
        [
            _ledger_row(h.pool, Movement.HOLD, hold=h, held=h.quantity, reason=reason, actor=actor, reference=reference)
            for h in holds
        ]
    )
    return holds


def _take(pool: CapacityPool, quantity: int) -> None:
    changed = CapacityPool.objects.filter(pk=pool.pk, capacity__gte=F("held") + F("consumed") + quantity).update(
        held=F("held") + quantity
    )
    if not changed:
        capacity, held, consumed = (
            CapacityPool.objects.filter(pk=pool.pk).values_list("capacity", "held", "consumed").get()
        )
        raise InsufficientCapacity(
            extra={"pool": pool.public_id, "requested": quantity, "available": capacity - held - consumed}
        )


@transaction.atomic
def hold_confirm(
    *, merchant: Merchant, holds: Iterable[Hold | ClaimedHold], actor: str = "", reason: str = "paid"
) -> list[Hold]:
    """Turn held units into consumed ones (the order was paid): all holds or none.

    Idempotent: a hold already confirmed stays as it is. A hold that was released or expired
    raises HoldNotActive (``inventory.hold_not_active``): its units went back on sale, so the
    caller must hold again or refund. Returns the holds, fresh from the database.
    """
    fresh = _lock_holds(merchant, holds)
    for hold in fresh:
        if hold.status == HoldStatus.CONFIRMED:
            continue
        if hold.status != HoldStatus.HELD:
            raise HoldNotActive(extra={"hold": hold.public_id, "status": hold.status})
    for hold in fresh:
        if hold.status == HoldStatus.HELD:
            _settle(hold, HoldStatus.CONFIRMED, held=-hold.quantity, consumed=hold.quantity, actor=actor, reason=reason)
    return fresh


@transaction.atomic
def hold_release(
    *, merchant: Merchant, holds: Iterable[Hold | ClaimedHold], reason: str, actor: str = ""
) -> list[Hold]:
    """Give held units back (the order was cancelled): all holds or none.

    Idempotent: released and expired holds are left as they are. A confirmed hold raises
    HoldAlreadyConfirmed: sold units come back through capacity_return, never by a release.
    """
    fresh = _lock_holds(merchant, holds)
    for hold in fresh:
        if hold.status == HoldStatus.CONFIRMED:
            raise HoldAlreadyConfirmed(extra={"hold": hold.public_id})
    for hold in fresh:
        if hold.status == HoldStatus.HELD:
            _settle(hold, HoldStatus.RELEASED, held=-hold.quantity, actor=actor, reason=reason)
            transaction.on_commit(partial(gates.capacity_freed, hold.pool_id))
    return fresh


def holds_expire_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Expire every hold whose time is up; return how many expired (at most ``limit``).

    Runs one short transaction per pool: lock the pool, re-read its due holds that are still
    held, compare-and-set them to expired, give the units back, write ledger and history rows.
    Idempotent and safe with concurrent runners: a hold confirmed, released or expired by someone
    else in the meantime is no longer "held" when re-read under the lock, so it is skipped.
    """
    now = now or clock.now()
    due = (
        Hold.objects.filter(status=HoldStatus.HELD, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", "pool_id")[:limit]
    )
    by_pool: dict[int, list[int]] = defaultdict(list)
    for hold_id, pool_id in due:
        by_pool[pool_id].append(hold_id)
    expired = 0
    for pool_id in sorted(by_pool):
        try:
            expired += _expire_pool_holds(pool_id, by_pool[pool_id], now)
        except ConcurrentModification:
            logger.info("holds of pool %s changed while expiring; the next sweep retries", pool_id)
    return expired


@transaction.atomic
def _expire_pool_holds(pool_id: int, hold_ids: list[int], now: datetime) -> int:
    pool = CapacityPool.objects.select_for_update(no_key=True).get(pk=pool_id)
    holds = list(Hold.objects.filter(id__in=hold_ids, status=HoldStatus.HELD, expires_at__lte=now).order_by("id"))
    if not holds:
        return 0
    changed = Hold.objects.filter(id__in=[h.id for h in holds], status=HoldStatus.HELD).update(
        status=HoldStatus.EXPIRED, settled_at=now
    )
    if changed != len(holds):  # every status change takes the pool lock first, so this is a bug elsewhere
        raise ConcurrentModification(extra={"machine": HOLD.name, "expected": HoldStatus.HELD})
    total = sum(h.quantity for h in holds)
    CapacityPool.objects.filter(pk=pool_id).update(held=F("held") - total)
    LedgerEntry.objects.bulk_create(
        [
            _ledger_row(
                pool, Movement.EXPIRE, hold=h, held=-h.quantity, reason="expired", actor="system", reference=h.reference
            )
            for h in holds
        ]
    )
    StateTransition.objects.bulk_create(
        [
            StateTransition(
                merchant_id=h.merchant_id,
                machine=HOLD.name,
                object_pk=str(h.pk),
                from_status=HoldStatus.HELD,
                to_status=HoldStatus.EXPIRED,
                actor="system",
                reason="expired",
                created_at=now,
            )
            for h in holds
        ]
    )
    transaction.on_commit(lambda: gates.capacity_freed(pool_id))
    return len(holds)


# --- helpers --------------------------------------------------------------------------------


def _require_owned(merchant: Merchant, obj: Any, *, what: str) -> None:
    # Another merchant's object is as unknown as a missing one.
    if obj is None or obj.pk is None or getattr(obj, "merchant_id", None) != merchant.pk:
        raise NotFound(f"No such {what}.", extra={"what": what})


def _lock_pools(merchant: Merchant, pools: Iterable[CapacityPool]) -> dict[int, CapacityPool]:
    """Lock the pools' rows in pk order (a no-op on SQLite, whose writers are serialized anyway)."""
    pools = list(pools)
    for pool in pools:
        _require_owned(merchant, pool, what="capacity pool")
    ids = sorted({pool.pk for pool in pools})
    locked = {p.pk: p for p in CapacityPool.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")}
    if len(locked) != len(ids):
        raise NotFound("No such capacity pool.", extra={"what": "capacity pool"})
    return locked


def _lock_holds(merchant: Merchant, holds: Iterable[Hold | ClaimedHold]) -> list[Hold]:
    """Lock the pools of ``holds`` and return the holds re-read under the lock, in (pool, id) order."""
    holds = list(holds)
    for hold in holds:
        _require_owned(merchant, hold, what="hold")
    if not holds:
        return []
    pool_ids = sorted({h.pool_id for h in holds})
    locked = {
        p.pk: p for p in CapacityPool.objects.select_for_update(no_key=True).filter(pk__in=pool_ids).order_by("pk")
    }
    fresh = list(Hold.objects.filter(pk__in={h.pk for h in holds}).order_by("pool_id", "id"))
    for hold in fresh:
        hold.pool = locked[hold.pool_id]
    return fresh


def _settle(hold: Hold, to: str, *, held: int = 0, consumed: int = 0, actor: str, reason: str) -> None:
    HOLD.transition(hold, to, actor=actor, reason=reason, extra_updates={"settled_at": clock.now()})
    CapacityPool.objects.filter(pk=hold.pool_id).update(held=F("held") + held, consumed=F("consumed") + consumed)
    movements: dict[str, str] = {HoldStatus.CONFIRMED: Movement.CONFIRM, HoldStatus.RELEASED: Movement.RELEASE}
    movement = movements[to]
    _ledger(
        hold.pool,
        movement,
        hold=hold,
        held=held,
        consumed=consumed,
        reason=reason,
        actor=actor,
        reference=hold.reference,
    )


def _ledger_row(
    pool: CapacityPool,
    movement: str,
    *,
    hold: Hold | None = None,
    capacity: int = 0,
    held: int = 0,
    consumed: int = 0,
    hold_count: int = 0,
    reason: str = "",
    actor: str = "",
    reference: str = "",
) -> LedgerEntry:
    return LedgerEntry(
        merchant_id=pool.merchant_id,
        pool=pool,
        hold=hold,
        movement=movement,
        capacity_delta=capacity,
        held_delta=held,
        consumed_delta=consumed,
        hold_count=hold_count or (1 if hold is not None else 0),
        reason=reason[:200],
        actor=actor[:150],
        reference=reference[:100],
        at=clock.now(),
    )


def _ledger(pool: CapacityPool, movement: str, **kwargs: object) -> LedgerEntry:
    entry = _ledger_row(pool, movement, **kwargs)  # type: ignore[arg-type]
    entry.save()
    return entry


def _refreshed(pool: CapacityPool) -> CapacityPool:
    pool.refresh_from_db(fields=["capacity", "held", "consumed"])
    return pool
