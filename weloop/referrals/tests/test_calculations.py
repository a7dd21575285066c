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
