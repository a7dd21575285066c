from hypothesis import given, settings
from hypothesis import strategies as st

from weloop.referrals.calculations import commission_fen, reversal_fen


def test_commission_rounds_half_up_once_over_all_lines():
    # 333 x 5 % = 16.65 and 333 x 5 % again: rounded per line 17 + 17 = 34, summed first 33.3 -> 33
    assert commission_fen([(333, 500), (333, 500)]) == 33
    assert commission_fen([(10, 500)]) == 1  # 0.5 rounds up
    assert commission_fen([(9, 500)]) == 0  # 0.45 rounds down
    assert commission_fen([]) == 0


def test_reversal_converges_whatever_the_order_of_refunds():
    basis = [{"line": "a", "paid_fen": 2000, "bps": 500}, {"line": "b", "paid_fen": 500, "bps": 0}]
    # 700 of line a refunded: keep 1300 x 5 % = 65 of 100
    assert reversal_fen(basis=basis, refunded_by_line={"a": 700}, accrued_fen=100, reversed_fen=0) == 35
    # the same refund seen again after its reversal: nothing more
    assert reversal_fen(basis=basis, refunded_by_line={"a": 700}, accrued_fen=100, reversed_fen=35) == 0
    # a refund of the zero-rate line takes nothing back
    assert reversal_fen(basis=basis, refunded_by_line={"a": 700, "b": 500}, accrued_fen=100, reversed_fen=35) == 0
    # everything refunded: the rest comes back, never more than what was accrued
    assert reversal_fen(basis=basis, refunded_by_line={"a": 5000}, accrued_fen=100, reversed_fen=35) == 65


@st.composite
def _order_and_refunds(draw):
    lines = draw(st.lists(st.tuples(st.integers(0, 100_000), st.integers(0, 10_000)), min_size=1, max_size=5))
    basis = [{"line": f"l{i}", "paid_fen": paid, "bps": bps} for i, (paid, bps) in enumerate(lines)]
    refunds = []
    left = {part["line"]: part["paid_fen"] for part in basis}
    for _ in range(draw(st.integers(0, 6))):
        line = draw(st.sampled_from(sorted(left)))
        amount = draw(st.integers(0, left[line]))
        left[line] -= amount
        refunds.append((line, amount))
    return basis, refunds


@settings(max_examples=300, deadline=None)
@given(_order_and_refunds(), st.randoms(use_true_random=False))
def test_reversals_never_exceed_the_accrual_and_end_at_the_commission_on_what_was_kept(case, rnd):
    basis, refunds = case
    accrued = commission_fen((p["paid_fen"], p["bps"]) for p in basis)
    # Refunds apply to the order one after the other, but their events are handled late, twice or
    # not yet: each handling sees the order as it is by then (every refund applied so far).
    refunded: dict[str, int] = {}
    reversed_total = 0

    def handle() -> None:
        nonlocal reversed_total
        step = reversal_fen(basis=basis, refunded_by_line=refunded, accrued_fen=accrued, reversed_fen=reversed_total)
        assert step >= 0
        reversed_total += step
        assert reversed_total <= accrued

    for line, amount in refunds:
        refunded[line] = refunded.get(line, 0) + amount
        for _ in range(rnd.randint(0, 2)):  # some events now (maybe twice), the rest later
            handle()
    for _ in refunds:  # every event is delivered at least once in the end
        handle()
    kept = commission_fen((p["paid_fen"] - refunded.get(p["line"], 0), p["bps"]) for p in basis)
    if refunds:
        assert accrued - reversed_total == kept
