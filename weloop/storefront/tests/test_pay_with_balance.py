"""The H5 pay page: paying an unpaid order with the member's stored-value balance."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from weloop.loyalty import services as loyalty
from weloop.loyalty.models import MemberAccount, ValueEntry
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.payments.models import Payment
from weloop.storefront.tests.test_shop import sign_in, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def order(place, sku, stock):
    stock(sku, 10)
    return place([(sku, 2)])


@pytest.fixture
def shopper(merchant, member):
    return sign_in(Client(enforce_csrf_checks=True), merchant, member)


def _top_up(merchant, member, fen, ref="t1"):
    loyalty.value_topup(merchant=merchant, member=member, amount_fen=fen, method="cash", ref=ref)


def _csrf(client, merchant, order):
    body = client.get(url(merchant, f"orders/{order.order_no}/pay")).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)


def _balance(member):
    return MemberAccount.objects.get(member=member).balance_fen


def test_the_pay_page_offers_the_balance_only_when_it_covers_the_total(shopper, merchant, member, order):
    body = shopper.get(url(merchant, f"orders/{order.order_no}/pay")).content.decode()
    assert 'data-testid="pay-balance"' not in body and 'data-testid="pay-wechat"' in body
    _top_up(merchant, member, order.total_fen - 1)
    body = shopper.get(url(merchant, f"orders/{order.order_no}/pay")).content.decode()
    assert 'data-testid="pay-balance"' not in body and 'data-testid="pay-balance-short"' in body
    _top_up(merchant, member, 101, ref="t2")
    body = shopper.get(url(merchant, f"orders/{order.order_no}/pay")).content.decode()
    assert 'data-testid="pay-balance"' in body and 'data-testid="pay-wechat"' in body
    assert f"Pay with balance (¥{(order.total_fen + 100) / 100:.2f} left)" in body


def test_paying_with_the_balance_shows_the_paid_order_and_a_double_submit_pays_once(shopper, merchant, member, order):
    _top_up(merchant, member, order.total_fen + 500)
    pay_url = url(merchant, f"orders/{order.order_no}/pay")
    assert shopper.post(pay_url, {"method": "balance"}).status_code == 403  # no CSRF token
    token = _csrf(shopper, merchant, order)
    first = shopper.post(pay_url, {"method": "balance", "csrfmiddlewaretoken": token})
    second = shopper.post(pay_url, {"method": "balance", "csrfmiddlewaretoken": token})
    detail = url(merchant, f"orders/{order.order_no}/")
    assert first.status_code == 302 and first["Location"] == detail + "?paid=balance"
    assert second.status_code == 302 and second["Location"] == detail
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.filter(reference=order.order_no).count() == 1
    assert _balance(member) == 500
    assert ValueEntry.objects.filter(member=member, kind="spend").count() == 1
    page = shopper.get(first["Location"]).content.decode()
    assert 'data-testid="paid-with-balance"' in page and "Stored-value balance" in page
    assert 'data-status="paid"' in page


def test_a_short_balance_is_refused_with_a_message_and_writes_nothing(shopper, merchant, member, order):
    _top_up(merchant, member, order.total_fen - 1)
    token = _csrf(shopper, merchant, order)
    response = shopper.post(
        url(merchant, f"orders/{order.order_no}/pay"), {"method": "balance", "csrfmiddlewaretoken": token}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert 'data-error-code="loyalty.insufficient_balance"' in body
    assert "does not cover this order" in body
    order.refresh_from_db()
    assert order.status == "pending_payment" and _balance(member) == order.total_fen - 1
    assert not Payment.objects.filter(reference=order.order_no).exists()
    assert not ValueEntry.objects.filter(member=member, kind="spend").exists()


def test_another_member_cannot_pay_my_order_with_their_balance(merchant, make_member, order):
    other = make_member()
    _top_up(merchant, other, order.total_fen)
    client = sign_in(Client(), merchant, other)
    response = client.post(url(merchant, f"orders/{order.order_no}/pay"), {"method": "balance"})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment" and _balance(other) == order.total_fen
