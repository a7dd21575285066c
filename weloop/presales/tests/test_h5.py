"""The H5 presale pages: list, a presale with progress and countdown, join (→ the order to pay),
my presales, the balance of a deposit presale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from weloop.core import clock
from weloop.orders.models import Order
from weloop.presales import services
from weloop.presales.models import PresaleEntry
from weloop.storefront.identity import member_key

pytestmark = pytest.mark.django_db


def sign_in(client, merchant, member):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    return client


def url(merchant, name, **kw):
    return reverse(f"storefront:{name}", kwargs={"merchant_slug": merchant.slug, **kw})


def test_a_member_sees_the_progress_joins_pays_and_pays_the_balance(
    client, merchant, member, make_presale, pay, monkeypatch
):
    presale = make_presale(target=1, mode="deposit", price=30000, deposit=5000)
    page = client.get(url(merchant, "presale", presale_id=presale.public_id))
    assert page.status_code == 200 and b"data-countdown" in page.content and b"presale-progress" in page.content
    assert presale.title.encode() in client.get(url(merchant, "presales")).content

    sign_in(client, merchant, member)
    joined = client.post(url(merchant, "presale_join", presale_id=presale.public_id), {"quantity": "1"})
    assert joined.status_code == 302
    entry = PresaleEntry.objects.get(member=member)
    assert joined["Location"].endswith(f"/orders/{entry.order.order_no}/")
    pay(entry.order)
    too_many = client.post(url(merchant, "presale_join", presale_id=presale.public_id), {"quantity": "99"})
    assert too_many.status_code == 400 and b"presale-error" in too_many.content

    services.presale_settle(merchant=merchant, presale=presale, actor="test", early=True)
    mine = client.get(url(merchant, "my_presales"))
    assert mine.status_code == 200 and b"presale-balance-pay" in mine.content
    balance = client.post(url(merchant, "presale_balance_pay", entry_id=entry.public_id))
    assert balance.status_code == 302
    order = Order.objects.get(order_no=balance["Location"].rstrip("/").rsplit("/", 1)[1])
    assert order.total_fen == 25000
    entry.refresh_from_db()
    assert entry.balance_order_id == order.pk


def test_joining_a_closed_presale_shows_why(client, merchant, member, make_presale, monkeypatch):
    presale = make_presale()
    sign_in(client, merchant, member)
    moment = clock.now() + timedelta(days=5)
    monkeypatch.setattr(clock, "now", lambda: moment)
    answer = client.post(url(merchant, "presale_join", presale_id=presale.public_id), {"quantity": "1"})
    assert answer.status_code == 409 and b'data-code="presales.closed"' in answer.content


def test_an_unknown_presale_is_a_404(client, merchant):
    assert client.get(url(merchant, "presale", presale_id="ps_NOPE000000")).status_code == 404
    assert client.post(url(merchant, "presale_join", presale_id="ps_NOPE000000")).status_code == 404


def test_an_unknown_balance_entry_is_a_404_before_sign_in(client, merchant):
    assert client.post(url(merchant, "presale_balance_pay", entry_id="pse_NOPE000000")).status_code == 404
