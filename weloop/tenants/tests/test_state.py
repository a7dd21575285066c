"""The merchant state machine: every (from, to) pair, and merchant_set_status on top of it."""

from __future__ import annotations

import pytest

from weloop.core.errors import InvalidTransition
from weloop.core.models import OutboxEvent
from weloop.core.state import history_of
from weloop.core.tests.state_walk import all_pairs, assert_transition_pair, table_of
from weloop.tenants.enums import MerchantStatus
from weloop.tenants.models import Merchant
from weloop.tenants.services import merchant_set_status
from weloop.tenants.state import MERCHANT

# The table as the platform console promises it; a change to MERCHANT must change this too.
EXPECTED = {
    "pending": {"active", "suspended"},
    "active": {"suspended"},
    "suspended": {"active"},
}


def test_merchant_machine_is_the_documented_table():
    assert table_of(MERCHANT) == EXPECTED
    assert MERCHANT.states == set(MerchantStatus.values)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), all_pairs(MERCHANT))
def test_every_merchant_transition_pair(src, dst):
    def make(status):
        return Merchant.objects.create(name=f"M {status}", slug=f"m-{status}", status=status)

    assert_transition_pair(MERCHANT, make, src, dst, merchant_id_of=lambda merchant: merchant.pk)


def test_merchant_set_status_approves_writes_history_and_publishes(make_merchant):
    merchant = make_merchant(status=MerchantStatus.PENDING).merchant

    returned = merchant_set_status(merchant=merchant, status=MerchantStatus.ACTIVE, actor="op:alice", reason="ok")

    assert returned.status == MerchantStatus.ACTIVE
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.ACTIVE
    (row,) = history_of(MERCHANT, merchant)
    assert (row.from_status, row.to_status, row.actor, row.reason) == ("pending", "active", "op:alice", "ok")
    event = OutboxEvent.objects.filter(merchant=merchant, name="tenants.merchant_status_changed").get()
    assert event.payload == {"status": "active", "actor": "op:alice", "reason": "ok"}


def test_merchant_set_status_reads_the_row_again_so_a_stale_object_still_works(merchant):
    stale = Merchant.objects.get(pk=merchant.pk)
    merchant_set_status(merchant=merchant, status=MerchantStatus.SUSPENDED, actor="op")

    # the stale copy still says active; the service decides from the locked, current row
    merchant_set_status(merchant=stale, status=MerchantStatus.ACTIVE, actor="op")

    assert [r.to_status for r in history_of(MERCHANT, merchant)] == ["suspended", "active"]


def test_merchant_set_status_refuses_a_forbidden_move_and_writes_nothing(merchant):
    events_before = OutboxEvent.objects.count()

    with pytest.raises(InvalidTransition):
        merchant_set_status(merchant=merchant, status=MerchantStatus.PENDING, actor="op")

    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.ACTIVE
    assert not history_of(MERCHANT, merchant).exists()
    assert OutboxEvent.objects.count() == events_before
