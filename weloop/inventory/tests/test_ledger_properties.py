"""Property: whatever sequence of movements runs, a pool never oversells and its counters equal its ledger.

Hypothesis draws sequences of holds, confirmations, releases, expiries, restocks and shrinks,
returns and flash-sale batches, including bad quantities. After every step:
- 0 <= held, 0 <= consumed, held + consumed <= capacity;
- each counter equals the sum of its ledger column (``ledger_balance``);
- held equals the units of the pool's holds in "held", and the counters match a plain model of
  what each step should have done (so an error must leave everything as it was).
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core import clock
from weloop.core.errors import WeloopError
from weloop.inventory.combining import ClaimedHold, CombiningClaimer, _Claim
from weloop.inventory.enums import HoldStatus, PoolKind
from weloop.inventory.models import Hold
from weloop.inventory.selectors import ledger_balance, pool_balance
from weloop.inventory.services import (
    capacity_adjust,
    capacity_hold,
    capacity_pool_get_or_create,
    capacity_return,
    hold_confirm,
    hold_release,
    holds_expire_due,
)

pytestmark = pytest.mark.django_db

quantities = st.one_of(st.integers(min_value=-2, max_value=6), st.sampled_from([0.5, 2.0, True]))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), quantities),
        st.tuples(st.just("hold2"), st.integers(1, 4), quantities),
        st.tuples(st.just("confirm"), st.integers(0, 30)),
        st.tuples(st.just("release"), st.integers(0, 30)),
        st.tuples(st.just("expire"), st.integers(0, 30)),
        st.tuples(st.just("adjust"), st.one_of(st.integers(-8, 8), st.just(1.5))),
        st.tuples(st.just("return"), quantities),
        st.tuples(st.just("claims"), st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3)), max_size=8)),
    ),
    max_size=25,
)

_pool_counter = iter(range(10**6))


class Model:
    """What the counters should be, computed without the engine."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.held, self.consumed = capacity, 0, 0

    @property
    def available(self) -> int:
        return self.capacity - self.held - self.consumed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=st.integers(0, 12), script=steps)
def test_random_movements_keep_the_pool_and_its_ledger_in_step(merchant, initial, script):
    pool, _ = capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.GOODS_STOCK,
        subject=f"sku:sku_P{next(_pool_counter)}",
        initial_capacity=initial,
    )
    model = Model(initial)
    holds: list[Hold] = []
    later = clock.now() + timedelta(minutes=15)

    for step in script:
        _apply(step, merchant, pool, model, holds, later)
        _check(pool, model)


def _apply(step, merchant, pool, model, holds, later) -> None:
    action = step[0]
    if action in ("hold", "hold2"):
        quantity = step[-1]
        lines = [(pool, quantity)] if action == "hold" else [(pool, step[1]), (pool, quantity)]
        wanted = [q for _, q in lines]
        valid = all(isinstance(q, int) and not isinstance(q, bool) and q > 0 for q in wanted)
        try:
            holds.extend(capacity_hold(merchant=merchant, lines=lines, expires_at=later))
        except WeloopError as exc:
            assert exc.code == ("inventory.insufficient" if valid else "inventory.invalid_quantity")
            assert not valid or sum(wanted) > model.available
            return
        assert valid and sum(wanted) <= model.available
        model.held += sum(wanted)
    elif action in ("confirm", "release", "expire") and holds:
        _settle(action, holds[step[1] % len(holds)], merchant, model)
    elif action == "adjust":
        delta = step[1]
        try:
            capacity_adjust(merchant=merchant, pool=pool, delta=delta, reason="property", actor="hypothesis")
        except WeloopError as exc:
            expected = (
                "inventory.invalid_quantity" if delta == 0 or isinstance(delta, float) else "inventory.below_committed"
            )
            assert exc.code == expected
            assert expected == "inventory.invalid_quantity" or model.capacity + delta < model.held + model.consumed
            return
        model.capacity += delta
    elif action == "return":
        quantity = step[1]
        try:
            capacity_return(merchant=merchant, pool=pool, quantity=quantity, reason="refund")
        except WeloopError as exc:
            assert exc.code in ("inventory.invalid_quantity", "inventory.return_exceeds_consumed")
            return
        assert quantity <= model.consumed
        model.consumed -= quantity
    elif action == "claims":
        _claim_batch(step[1], merchant, pool, model)


def _settle(action, hold, merchant, model) -> None:
    status = Hold.objects.get(pk=hold.pk).status
    if action == "confirm":
        try:
            hold_confirm(merchant=merchant, holds=[hold])
        except WeloopError as exc:
            assert exc.code == "inventory.hold_not_active"
            assert status in (HoldStatus.RELEASED, HoldStatus.EXPIRED)
            return
        if status == HoldStatus.HELD:
            model.held -= hold.quantity
            model.consumed += hold.quantity
    elif action == "release":
        try:
            hold_release(merchant=merchant, holds=[hold], reason="cancelled")
        except WeloopError as exc:
            assert exc.code == "inventory.hold_confirmed"
            return
        if status == HoldStatus.HELD:
            model.held -= hold.quantity
    else:
        Hold.objects.filter(pk=hold.pk).update(expires_at=clock.now() - timedelta(seconds=1))
        holds_expire_due()
        if status == HoldStatus.HELD:
            model.held -= hold.quantity


def _claim_batch(requests, merchant, pool, model) -> None:
    """One flash-sale batch, run in this thread through the claimer's own transaction."""
    claimer = CombiningClaimer(merchant=merchant, pool=pool, per_buyer_limit=3, gate=None)
    batch = [_Claim(f"buyer-{b}", q, "", Future(), False) for b, q in requests]
    if not batch:
        return
    already = set(
        Hold.objects.filter(pool=pool, status__in=["held", "confirmed"], buyer_key__isnull=False).values_list(
            "buyer_key", flat=True
        )
    )
    outcomes, available = claimer._commit(batch)
    for claim, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, ClaimedHold):
            assert claim.buyer_key not in already
            already.add(claim.buyer_key)
            model.held += claim.quantity
        else:
            error = claimer._error(claim, outcome)  # what the answering thread would send the buyer
            assert error.code in ("inventory.insufficient", "inventory.already_claimed")
            assert outcome.already_claimed == (claim.buyer_key in already)
    assert available == model.available


def _check(pool, model) -> None:
    balance = pool_balance(pool)
    assert balance.held >= 0 and balance.consumed >= 0
    assert balance.held + balance.consumed <= balance.capacity
    assert ledger_balance(pool) == balance
    assert (balance.capacity, balance.held, balance.consumed) == (model.capacity, model.held, model.consumed)
    held_units = Hold.objects.filter(pool=pool, status=HoldStatus.HELD).aggregate(n=Sum("quantity"))["n"] or 0
    assert held_units == balance.held
