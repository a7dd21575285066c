"""The demo step: one open presale with progress, one succeeded, one failed and refunded."""

from __future__ import annotations

import pytest

from weloop.presales.enums import BalanceStatus, EntryStatus, PresaleStatus
from weloop.presales.models import Presale, PresaleEntry

pytestmark = pytest.mark.django_db


def test_the_demo_shows_the_three_outcomes(db):
    from weloop.demo.seed import demo_seed

    merchant = demo_seed().merchant
    presales = {p.status: p for p in Presale.objects.for_merchant(merchant)}
    assert set(presales) == {PresaleStatus.OPEN, PresaleStatus.SUCCEEDED, PresaleStatus.REFUNDED}
    assert presales[PresaleStatus.OPEN].paid_quantity == 7
    assert presales[PresaleStatus.REFUNDED].outcome == "failed"
    refunded = PresaleEntry.objects.filter(presale=presales[PresaleStatus.REFUNDED])
    assert refunded.count() == 2 and all(e.status == EntryStatus.REFUNDED for e in refunded)
    balances = set(
        PresaleEntry.objects.filter(presale=presales[PresaleStatus.SUCCEEDED]).values_list("balance_status", flat=True)
    )
    assert balances == {BalanceStatus.PAID, BalanceStatus.DUE}
