"""The flash-sale path: a combining writer that commits many claims in one transaction.

One order per transaction on one hot pool row is capped by commit latency (the row stays locked
until the WAL is flushed): about 2-3 k orders/s on PostgreSQL with durable commits, whatever the
number of web workers. A ``CombiningClaimer`` turns that into one commit per *batch*:

    claimer = claimer_for(merchant=m, pool=pool, per_buyer_limit=1)   # one per pool per process
    hold = claimer.claim("member:mb_8ZK2M4Q7PX", 1, reference="O2026112200123")   # from any thread
    # or: future = claimer.submit(buyer_key, 1); ...; hold = future.result()

1. ``submit`` runs in the caller's thread. It refuses at once, without the database, when the pool
   is known to be sold out (``gates.SOLD_OUT``, per process) or, when ``REDIS_URL`` is set, when the
   shared Redis token counter has no tokens left (``gates.RedisTokenGate``). Otherwise it queues
   the claim and returns a Future.
2. One writer thread per claimer takes up to ``max_batch`` queued claims (waiting at most
   ``max_wait_ms`` for the batch to fill) and, in ONE transaction:
   - locks the pool row (``SELECT … FOR NO KEY UPDATE`` on PostgreSQL; SQLite's writers are
     serialized by ``BEGIN IMMEDIATE``) and reads ``available``;
   - refuses buyers that already have a held or confirmed hold on the pool, and repeats of a
     buyer within the batch (first come, first served);
   - admits claims in arrival order while they fit, and takes their units with one guarded
     ``UPDATE … SET held = held + n WHERE id = ? AND held + consumed + n <= capacity``;
   - bulk-inserts one Hold per admitted claim (``buyer_key`` set) and ONE ledger entry for the
     batch (``movement="claim"``, ``hold_count`` = holds created, ``at`` = their ``created_at``).
   (The SQL is in ``claim_sql``: on PostgreSQL the UPDATE and both INSERTs are one statement, and
   the whole batch costs two network round trips.)
3. After the commit, and only then, each Future gets its ``ClaimedHold`` (a light record of the new
   Hold, accepted by ``hold_confirm``/``hold_release``) or its error: InsufficientCapacity
   (``inventory.insufficient``), AlreadyClaimed (``inventory.already_claimed``, extra ``hold`` =
   the buyer's hold), BuyerLimitExceeded, InvalidQuantity. A batch that leaves 0 available marks
   the pool sold out.

Per-buyer limits: a claim may ask for up to ``per_buyer_limit`` units, and a buyer has at most one
active (held or confirmed) hold per pool. The database enforces the latter too, with the partial
unique index ``hold_one_active_claim_per_buyer``; a released or expired hold frees the buyer.

The database stays the source of truth: gates only ever refuse, so a wrong gate can at worst turn
buyers away for a moment (its state lapses within seconds), never sell a unit twice. Claims
from several processes on one pool are safe: their batches queue on the pool's row lock.

A batch whose connection dropped is retried on a new connection. If the lost answer was to a
COMMIT that did happen, the retry finds those buyers' holds and answers AlreadyClaimed with
``extra["hold"]``: the buyer's hold, so a caller can treat it as "you have it".
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from django.db import DatabaseError, InterfaceError, OperationalError, connection

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.inventory import claim_sql, gates
from weloop.inventory.calculations import fast_public_ids, require_quantity
from weloop.inventory.errors import (
    AlreadyClaimed,
    BuyerLimitExceeded,
    ClaimerClosed,
    InsufficientCapacity,
    InvalidQuantity,
)
from weloop.inventory.models import CapacityPool, Hold
from weloop.tenants.models import Merchant

logger = logging.getLogger(__name__)

_STOP = object()
_RETRYABLE = (OperationalError, InterfaceError)


class ClaimedHold(NamedTuple):
    """A hold the claimer created: what a Future resolves to.

    Building 500 model instances per batch cost more than the batch's SQL, so the claimer answers
    with this light record; ``hold_confirm`` and ``hold_release`` accept it as they accept a Hold,
    and ``load()`` fetches the model when a caller needs it.
    """

    pk: int
    public_id: str
    merchant_id: int
    pool_id: int
    buyer_key: str
    quantity: int
    reference: str
    expires_at: datetime

    def load(self) -> Hold:
        return Hold.objects.get(pk=self.pk, merchant_id=self.merchant_id)


class _Refused(NamedTuple):
    """Why the writer turned a claim down; the answerer thread makes the error out of it, so the
    writer spends no time building hundreds of exceptions while it holds the pool's row lock."""

    already_claimed: bool
    requested: int
    available: int
    hold: str | None = None


_Outcome = ClaimedHold | _Refused | BaseException


@dataclass(slots=True)
class _Claim:
    buyer_key: str
    quantity: int
    reference: str
    future: Future
    took_token: bool


def _recent() -> deque:
    return deque(maxlen=10_000)  # a claimer may live for days: keep the latest batches only


@dataclass
class ClaimerStats:
    """What a claimer did: for benchmarks, tests and the console (counts bumped by the callers'
    threads are approximate under contention; the writer's own are exact)."""

    batch_sizes: deque[int] = field(default_factory=_recent)  # claims per database transaction
    commit_ms: deque[float] = field(default_factory=_recent)  # each transaction, BEGIN to COMMIT done
    ready_at: float | None = None  # time.perf_counter() when the writer was connected and waiting
    sold_out_at: float | None = None  # time.perf_counter() when a commit left the pool empty
    admitted: int = 0
    refused_at_gate: int = 0  # turned away before the queue: sold out, no token, bad input
    refused_in_batch: int = 0  # turned away by the writer: not enough left, or a repeat buyer
    failed: int = 0  # the batch's transaction failed (database error): the claims got that error

    def as_dict(self) -> dict:
        sizes = self.batch_sizes
        return {
            "transactions": len(sizes),
            "admitted": self.admitted,
            "refused_at_gate": self.refused_at_gate,
            "refused_in_batch": self.refused_in_batch,
            "failed": self.failed,
            "batch_size_max": max(sizes, default=0),
            "batch_size_mean": round(sum(sizes) / len(sizes), 1) if sizes else 0,
            "commit_ms_max": max(self.commit_ms, default=0),
            "commit_ms_total": round(sum(self.commit_ms), 2),
        }


class CombiningClaimer:
    """Batches single-buyer claims on one pool into one transaction each. Thread-safe."""

    def __init__(
        self,
        *,
        merchant: Merchant,
        pool: CapacityPool,
        hold_ttl: timedelta = timedelta(minutes=15),
        per_buyer_limit: int = 1,
        max_batch: int = 1000,
        max_wait_ms: float = 1.0,
        gate: gates.RedisTokenGate | Literal["auto"] | None = "auto",
        sold_out: gates.SoldOutFlags = gates.SOLD_OUT,
        actor: str = "flash_sale",
        reason: str = "flash sale",
    ) -> None:
        if pool.merchant_id != merchant.pk:
            raise ValueError("the pool belongs to another merchant")
        self.merchant = merchant
        self.pool = pool
        self.hold_ttl = hold_ttl
        self.per_buyer_limit = require_quantity(per_buyer_limit, field="per_buyer_limit")
        self.max_batch = max(1, int(max_batch))
        self.max_wait = max(0.0, max_wait_ms / 1000)
        self.gate = gates.redis_gate() if gate == "auto" else gate
        self.sold_out = sold_out
        self.actor = actor
        self.reason = reason
        self.stats = ClaimerStats()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._started = False
        self._open = threading.Event()
        self._lock = threading.Lock()
        self._gate_warned_at = float("-inf")
        self._thread = threading.Thread(target=self._run, name=f"claimer-{pool.public_id}", daemon=True)
        # Answering 500 Futures takes milliseconds of Python: a second thread does it while the
        # writer already waits on the database for the next batch.
        self._answerer = threading.Thread(target=self._answer_loop, name=f"answers-{pool.public_id}", daemon=True)

    # --- the callers' side -----------------------------------------------------------------

    def start(self, *, paused: bool = False) -> CombiningClaimer:
        """Start the writer. Claims submitted before are queued and go first (a crowd at the door).

        ``paused``: the writer connects and gets ready, but takes no claim until ``open()``.
        """
        with self._lock:
            if not self._started and not self._closed:
                self._started = True
                if not paused:
                    self._open.set()
                self._answerer.start()
                self._thread.start()
        return self

    def open(self) -> None:
        """Let a paused writer take claims."""
        self._open.set()

    def __enter__(self) -> CombiningClaimer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def claim(self, buyer_key: str, quantity: int = 1, *, reference: str = "", timeout: float = 30.0) -> ClaimedHold:
        """Claim and wait: returns the ClaimedHold or raises the claim's error."""
        return self.submit(buyer_key, quantity, reference=reference).result(timeout)

    def submit(self, buyer_key: str, quantity: int = 1, *, reference: str = "") -> Future:
        """Queue a claim; the Future resolves to a ClaimedHold or to a WeloopError, after the commit."""
        future: Future = Future()
        refusal = self._refusal_at_gate(buyer_key, quantity)
        if refusal is not None:
            self.stats.refused_at_gate += 1
            future.set_exception(refusal)
            return future
        took_token = False
        if self.gate is not None:
            try:
                verdict = self.gate.try_admit(self.pool.pk, quantity)
            except Exception:  # Redis down: the database alone still decides correctly
                self._warn_gate_down()
                verdict = None
            if verdict is False:
                self.stats.refused_at_gate += 1
                future.set_exception(self._insufficient(quantity, 0))
                return future
            took_token = bool(verdict)
        with self._lock:
            if not self._closed:
                self._queue.put(_Claim(buyer_key, quantity, reference[:100], future, took_token))
                return future
        if took_token:
            self._give_back(quantity)  # the token was not used
        future.set_exception(ClaimerClosed())
        return future

    def _warn_gate_down(self) -> None:
        # Once per 10 s, not once per claim: a crowd would flood the log.
        now = time.monotonic()
        if now - self._gate_warned_at > 10:
            self._gate_warned_at = now
            logger.warning("admission gate unavailable; claims go straight to the writer", exc_info=True)

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking claims, finish the queued ones, and stop the writer thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
            self._open.set()
            started = self._started
        if not started:
            self._fail_leftovers()
            return
        self._thread.join(timeout)
        self._answerer.join(timeout)

    def _refusal_at_gate(self, buyer_key: str, quantity: int) -> WeloopError | None:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            return InvalidQuantity(extra={"field": "quantity", "value": repr(quantity)})
        if not isinstance(buyer_key, str) or not 0 < len(buyer_key) <= 100:
            return BuyerLimitExceeded("A claim needs a buyer key of 1 to 100 characters.", extra={"buyer_key": ""})
        if quantity > self.per_buyer_limit:
            return BuyerLimitExceeded(extra={"buyer_key": buyer_key, "limit": self.per_buyer_limit})
        if self.sold_out.is_sold_out(self.pool.pk):
            return self._insufficient(quantity, 0)
        return None

    def _insufficient(self, requested: int, available: int) -> InsufficientCapacity:
        return InsufficientCapacity(
            extra={"pool": self.pool.public_id, "requested": requested, "available": max(available, 0)}
        )

    # --- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            try:  # connect and prepare before the first claim arrives, not while it waits
                claim_sql.warm_up(connection)
            except Exception:  # the first batch tries again, and tells its claims if it fails too
                logger.warning("the claimer of pool %s could not warm up", self.pool.public_id, exc_info=True)
                connection.close()
            self.stats.ready_at = time.perf_counter()
            self._open.wait()
            while True:
                batch, stopping = self._next_batch()
                if batch:
                    self._process(batch)
                if stopping:
                    break
        except BaseException:
            logger.exception("the claimer of pool %s stopped", self.pool.public_id)
            raise
        finally:
            with self._lock:
                self._closed = True  # nobody may queue behind a writer that is gone
            self._fail_leftovers()
            self._answers.put(_STOP)
            connection.close()  # this thread's own connection

    def _answer_loop(self) -> None:
        while (item := self._answers.get()) is not _STOP:
            claims, outcomes = item
            for claim, outcome in zip(claims, outcomes, strict=True):
                if isinstance(outcome, ClaimedHold):
                    claim.future.set_result(outcome)
                elif isinstance(outcome, _Refused):
                    claim.future.set_exception(self._error(claim, outcome))
                else:
                    claim.future.set_exception(outcome)

    def _error(self, claim: _Claim, refused: _Refused) -> WeloopError:
        if refused.already_claimed:
            return AlreadyClaimed(extra={"buyer_key": claim.buyer_key, "hold": refused.hold})
        return self._insufficient(refused.requested, refused.available)

    def _next_batch(self) -> tuple[list[_Claim], bool]:
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _fail_leftovers(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                item.future.set_exception(ClaimerClosed())

    def _process(self, batch: list[_Claim]) -> None:
        if self.sold_out.is_sold_out(self.pool.pk):
            self._refuse_all(batch)
            return
        started = time.perf_counter()
        try:
            outcomes, available = self._commit_with_retry(batch)
        except Exception as exc:
            logger.exception("a flash-sale batch of %s claims failed", len(batch))
            self.stats.failed += len(batch)
            self._answers.put((batch, [exc] * len(batch)))
            return
        committed = time.perf_counter()
        self.stats.batch_sizes.append(len(batch))
        self.stats.commit_ms.append(round((committed - started) * 1000, 2))
        if available <= 0 and self.stats.sold_out_at is None:
            self.stats.sold_out_at = committed
        self._after_commit(batch, outcomes, available)

    def _refuse_all(self, batch: list[_Claim]) -> None:
        self.stats.refused_in_batch += len(batch)
        self._answers.put((batch, [_Refused(False, claim.quantity, 0) for claim in batch]))

    def _commit_with_retry(self, batch: list[_Claim], attempts: int = 3) -> tuple[list[_Outcome], int]:
        for attempt in range(1, attempts + 1):
            try:
                return self._commit(batch)
            except _RETRYABLE:
                # A dropped connection or a busy SQLite file: start over on a fresh connection.
                if attempt == attempts:
                    raise
                connection.close()
                time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def _commit(self, batch: list[_Claim]) -> tuple[list[_Outcome], int]:
        """One transaction for the whole batch; returns each claim's outcome and what is left."""
        pool = self.pool
        now = clock.now()
        ctx = claim_sql.BatchContext(
            merchant_id=pool.merchant_id,
            pool_id=pool.pk,
            reason=self.reason,
            actor=self.actor,
            now=now,
            expires_at=now + self.hold_ttl,
        )
        decided: dict[str, object] = {}

        def decide(available: int, claimed: dict[str, str]) -> list[claim_sql.NewHold]:
            # Runs inside the transaction, with the pool's row locked.
            admitted, outcomes = self._admit(batch, available, claimed)
            ids = fast_public_ids("hold_", len(admitted))
            new = [
                claim_sql.NewHold(public_id, batch[i].buyer_key, batch[i].quantity, batch[i].reference)
                for i, public_id in zip(admitted, ids, strict=True)
            ]
            decided.update(admitted=admitted, outcomes=outcomes, new=new)
            return new

        result = claim_sql.run_batch(connection, ctx, list({c.buyer_key for c in batch}), decide)
        if "outcomes" not in decided:  # the pool row is gone
            raise DatabaseError(f"capacity pool {pool.public_id} does not exist")
        admitted: list[int] = decided["admitted"]  # type: ignore[assignment]
        outcomes: list[_Outcome] = decided["outcomes"]  # type: ignore[assignment]
        new: list[claim_sql.NewHold] = decided["new"]  # type: ignore[assignment]
        if new and (result.ids is None or len(result.ids) != len(new)):
            # Impossible under the row lock, and nothing was written: refuse rather than guess.
            raise DatabaseError("the pool changed under its row lock")
        claimed = result.claimed
        for i, row in zip(admitted, new, strict=True):
            outcomes[i] = ClaimedHold(
                result.ids[row.public_id],  # type: ignore[index]
                row.public_id,
                pool.merchant_id,
                pool.pk,
                row.buyer_key,
                row.quantity,
                row.reference,
                ctx.expires_at,
            )
            claimed[row.buyer_key] = row.public_id
        for i, outcome in enumerate(outcomes):
            if isinstance(outcome, _Refused) and outcome.already_claimed:
                outcomes[i] = outcome._replace(hold=claimed.get(batch[i].buyer_key))
        return outcomes, result.available - sum(row.quantity for row in new)

    def _admit(self, batch: list[_Claim], available: int, claimed: dict[str, str]) -> tuple[list[int], list[_Outcome]]:
        """First come, first served: which claims of the batch fit, and why the others do not."""
        admitted: list[int] = []
        outcomes: list[_Outcome] = [None] * len(batch)  # type: ignore[list-item]
        buyers_in_batch: set[str] = set()
        for i, claim in enumerate(batch):
            if claim.buyer_key in claimed or claim.buyer_key in buyers_in_batch:
                outcomes[i] = _Refused(True, claim.quantity, available)
            elif claim.quantity > available:
                outcomes[i] = _Refused(False, claim.quantity, available)
            else:
                admitted.append(i)
                buyers_in_batch.add(claim.buyer_key)
                available -= claim.quantity
        return admitted, outcomes

    def _after_commit(self, batch: list[_Claim], outcomes: list[_Outcome], available: int) -> None:
        if available <= 0:
            self.sold_out.mark(self.pool.pk)  # first: from now on the crowd is turned away at submit
        self._answers.put((batch, outcomes))
        admitted = sum(1 for outcome in outcomes if isinstance(outcome, ClaimedHold))
        self.stats.admitted += admitted
        self.stats.refused_in_batch += len(batch) - admitted
        # A token taken by a repeat buyer was not used: the unit is still there for someone else.
        give_back = sum(
            claim.quantity
            for claim, outcome in zip(batch, outcomes, strict=True)
            if claim.took_token and isinstance(outcome, _Refused) and outcome.already_claimed
        )
        self._update_gate(available, give_back)

    def _update_gate(self, available: int, give_back: int) -> None:
        if self.gate is None:
            return
        if available > 0:
            self._give_back(give_back)
        try:
            if available <= 0:
                self.gate.set_sold_out(self.pool.pk)
            else:
                self.gate.seed(self.pool.pk, available)
        except Exception:
            logger.warning("could not update the admission gate of pool %s", self.pool.pk, exc_info=True)

    def _give_back(self, quantity: int) -> None:
        if self.gate is None or not quantity:
            return
        try:
            self.gate.give_back(self.pool.pk, quantity)
        except Exception:
            logger.warning("could not give tokens back to the gate of pool %s", self.pool.pk, exc_info=True)


# --- one claimer per pool per process --------------------------------------------------------

_claimers: dict[int, CombiningClaimer] = {}
_claimers_lock = threading.Lock()


def claimer_for(*, merchant: Merchant, pool: CapacityPool, **options: object) -> CombiningClaimer:
    """This process's running claimer for ``pool`` (``options`` apply when it is first made)."""
    with _claimers_lock:
        claimer = _claimers.get(pool.pk)
        if claimer is None or claimer._closed:
            claimer = CombiningClaimer(merchant=merchant, pool=pool, **options).start()  # type: ignore[arg-type]
            _claimers[pool.pk] = claimer
        return claimer


def close_all_claimers() -> None:
    """Finish queued claims and stop every writer thread (at exit, and between tests)."""
    with _claimers_lock:
        claimers = list(_claimers.values())
        _claimers.clear()
    for claimer in claimers:
        claimer.close()


atexit.register(close_all_claimers)
