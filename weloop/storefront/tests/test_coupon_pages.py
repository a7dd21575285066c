"""The card pack, a coupon's QR, the claim page and coupons at checkout, through the test client."""

from __future__ import annotations

import pytest

from weloop.coupons import services as coupons
from weloop.coupons.models import Coupon
from weloop.coupons.services import TemplateInput
from weloop.orders import services
from weloop.orders.models import Order, OrderDiscount
from weloop.orders.tests.fixtures import *  # noqa: F403
from weloop.storefront.tests.test_shop import place_from_form, sign_in, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(client, merchant, member):
    return sign_in(client, merchant, member)


def _template(merchant, **fields):
    data = {"name": "Five off", "kind": "amount_off", "amount_fen": 500, "valid_days": 30, **fields}
    return coupons.template_create(merchant=merchant, data=TemplateInput(**data), actor="t")


def test_card_pack_lists_coupons_and_detail_shows_the_code(shopper, merchant, member):
    coupon = coupons.coupon_issue(merchant=merchant, template=_template(merchant), member=member, channel="api")
    page = shopper.get(url(merchant, "coupons/")).content.decode()
    assert f'data-coupon-id="{coupon.public_id}"' in page and "Five off" in page
    detail = shopper.get(url(merchant, f"coupons/{coupon.public_id}/")).content.decode()
    assert coupon.code in detail and "<svg" in detail


def test_another_members_coupon_is_a_404(shopper, merchant, make_member):
    other = make_member()
    coupon = coupons.coupon_issue(merchant=merchant, template=_template(merchant), member=other, channel="api")
    assert shopper.get(url(merchant, f"coupons/{coupon.public_id}/")).status_code == 404


def test_claiming_twice_gives_one_coupon_and_says_so(shopper, merchant, member):
    template = _template(merchant, claimable=True, per_member_limit=3)
    first = shopper.post(url(merchant, f"coupons/claim/{template.claim_token}/"), follow=True).content.decode()
    second = shopper.post(url(merchant, f"coupons/claim/{template.claim_token}/"), follow=True).content.decode()
    assert "Coupon claimed" in first
    assert "You already claimed this coupon" in second
    assert Coupon.objects.filter(member=member).count() == 1


def test_checkout_suggests_the_best_coupon_and_places_with_it(shopper, merchant, member, sku, stock):
    stock(sku, 10)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=2)
    best = coupons.coupon_issue(merchant=merchant, template=_template(merchant), member=member, channel="api")
    page = shopper.get(url(merchant, "checkout")).content.decode()
    assert f'data-coupon-id="{best.public_id}"' in page and 'data-testid="coupon-best"' in page
    assert 'data-fen="2000"' in page  # 2 × 12.50 − 5.00
    response = place_from_form(shopper, merchant, coupons_chosen="1", coupon=best.public_id)
    assert response.status_code == 302
    order = Order.objects.get(member=member)
    assert order.total_fen == 2000
    assert OrderDiscount.objects.get(order=order).ref == best.public_id


def test_checkout_without_ticking_a_coupon_uses_none(shopper, merchant, member, sku, stock):
    stock(sku, 10)
    services.cart_add(merchant=merchant, member=member, sku_id=sku.public_id, quantity=1)
    coupons.coupon_issue(merchant=merchant, template=_template(merchant), member=member, channel="api")
    page = shopper.get(url(merchant, "checkout?coupons_chosen=1")).content.decode()
    assert 'data-fen="1250"' in page
