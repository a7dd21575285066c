"""The console's coupon pages and the clerk's coupon counter, through the test client."""

from __future__ import annotations

import pytest

from weloop.coupons import services
from weloop.coupons.models import Coupon, CouponTemplate, PricingPolicy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_console_creates_edits_pauses_and_issues(owner_client, merchant, member):
    created = owner_client.post(
        "/dashboard/coupons/new/",
        {
            "name": "满100减20",
            "kind": "threshold",
            "amount": "20",
            "threshold": "100",
            "valid_days": "30",
            "per_member_limit": "1",
            "stacking_group": "default",
            "combinable": "on",
            "budget": "10",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    template = CouponTemplate.objects.get()
    assert (template.amount_fen, template.threshold_fen, template.budget) == (2000, 10000, 10)
    page = owner_client.get(f"/dashboard/coupons/{template.public_id}/").content.decode()
    assert "Budget: 10 of 10 left." in page
    owner_client.post(f"/dashboard/coupons/{template.public_id}/issue/", {"member": member.public_id, "token": "t1"})
    owner_client.post(f"/dashboard/coupons/{template.public_id}/issue/", {"member": member.public_id, "token": "t1"})
    assert Coupon.objects.filter(member=member).count() == 1
    listed = owner_client.get(f"/dashboard/coupons/issued/?template={template.public_id}").content.decode()
    assert 'data-testid="coupon-row"' in listed
    owner_client.post(f"/dashboard/coupons/{template.public_id}/status/", {"status": "paused"})
    assert CouponTemplate.objects.get().status == "paused"
    bad = owner_client.post(
        "/dashboard/coupons/new/",
        {
            "name": "x",
            "kind": "threshold",
            "amount": "20",
            "threshold": "10",
            "valid_days": "30",
            "per_member_limit": "1",
            "stacking_group": "default",
        },
    )
    assert bad.status_code == 400 and "minimum spend" in bad.content.decode()


def test_console_sets_the_price_floor(owner_client, merchant):
    owner_client.post("/dashboard/coupons/floor/", {"floor": "1.00", "floor_bps": "1000"})
    assert PricingPolicy.objects.get(merchant=merchant).floor_fen == 100


def test_clerk_uses_a_coupon_once_and_gives_one(staff_client, merchant, member, store, make_template):
    clerk = staff_client(merchant, "clerk")
    template = make_template(amount_fen=500, threshold_fen=2000)
    coupon = services.coupon_issue(merchant=merchant, template=template, member=member, channel="api")
    low = clerk.post(
        "/clerk/coupons/", {"action": "use", "store": store.public_id, "code": coupon.code, "amount": "10"}
    )
    assert low.status_code == 409 and 'data-code="coupons.threshold_not_met"' in low.content.decode()
    done = clerk.post(
        "/clerk/coupons/", {"action": "use", "store": store.public_id, "code": coupon.code, "amount": "30"}
    )
    assert done.status_code == 200 and 'data-testid="coupon-used"' in done.content.decode()
    again = clerk.post(
        "/clerk/coupons/", {"action": "use", "store": store.public_id, "code": coupon.code, "amount": "30"}
    )
    assert 'data-code="coupons.already_used"' in again.content.decode()
    member.phone = "13900000000"
    member.save(update_fields=["phone"])
    gift = make_template(name="gift")
    gave = clerk.post(
        "/clerk/coupons/", {"action": "issue", "template": gift.public_id, "member": "13900000000", "token": "x"}
    )
    assert 'data-testid="coupon-issued"' in gave.content.decode()
