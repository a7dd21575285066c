"""The pickup code is sealed for its member (AES-GCM) beside its keyed hash; a refused voucher refund
puts the voucher back in use."""

from __future__ import annotations

import pytest

from weloop.orders import services
from weloop.orders.codes import pickup_open
from weloop.orders.errors import InvalidPickupCode
from weloop.orders.models import PickupCode
from weloop.orders.services import Fulfilment

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(merchant, place, pay, sku, stock, store):
    stock(sku, 3, store=store)
    order = place([(sku, 1)], fulfilment=Fulfilment(type="pickup", store=store))
    pay(order)
    return services.order_mark_ready_for_pickup(merchant=merchant, order=order, actor="staff")


def test_the_member_reads_the_same_code_the_counter_verifies_once(merchant, store, clerk, ready):
    order, code = ready
    row = PickupCode.objects.get(order=order)
    assert code not in row.code_sealed and row.code_hash != code
    assert pickup_open(merchant.pk, order.order_no, row.code_sealed) == code
    assert services.pickup_code_for_member(merchant=merchant, order=order) == code

    done = services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)
    assert done.status == "completed"
    assert services.pickup_code_for_member(merchant=merchant, order=done) is None  # used: not shown again
    with pytest.raises(InvalidPickupCode):
        services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk)


def test_a_sealed_code_does_not_open_for_another_order_or_merchant(merchant, other_merchant, ready):
    order, _ = ready
    row = PickupCode.objects.get(order=order)
    with pytest.raises(Exception):  # noqa: B017 (cryptography's InvalidTag)
        pickup_open(merchant.pk, order.order_no + "X", row.code_sealed)
    with pytest.raises(Exception):  # noqa: B017
        pickup_open(other_merchant.pk, order.order_no, row.code_sealed)
    assert services.pickup_code_for_member(merchant=other_merchant, order=order) is None


def test_a_code_issued_before_sealing_is_not_shown_but_still_verifies(merchant, store, clerk, ready):
    order, code = ready
    PickupCode.objects.filter(order=order).update(code_sealed="")
    assert services.pickup_code_for_member(merchant=merchant, order=order) is None
    assert services.pickup_verify(merchant=merchant, store=store, code=code, staff=clerk).status == "completed"


def test_a_tampered_sealed_code_is_not_shown(merchant, ready):
    order, _ = ready
    row = PickupCode.objects.get(order=order)
    PickupCode.objects.filter(pk=row.pk).update(code_sealed=row.code_sealed[:-4] + "AAAA")
    assert services.pickup_code_for_member(merchant=merchant, order=order) is None
