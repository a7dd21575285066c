"""/api/v1/coupons: templates, issuing (budget and limits), listing, voiding, redeeming once;
/orders with coupon_ids."""

# ruff: noqa: F401, F811

from __future__ import annotations

import pytest

from weloop.coupons.models import Coupon
from weloop.orders.models import OrderDiscount
from weloop.orders.tests.fixtures import make_member, member, product, sku, stock

pytestmark = pytest.mark.django_db

TEMPLATE = {"name": "满100减20", "kind": "threshold", "amount_fen": 2000, "threshold_fen": 10000, "valid_days": 30}


def test_create_issue_list_void_and_redeem(call, member, make_member):
    created = call("POST", "/coupons/templates", {**TEMPLATE, "budget": 2, "per_member_limit": 1})
    assert created.status_code == 201, created.content
    template_id = created.json()["id"]
    other, third = make_member(), make_member()
    body = {"member_ids": [member.public_id, other.public_id, third.public_id], "source_ref": "crm-1"}
    issued = call("POST", f"/coupons/templates/{template_id}/issue", body)
    assert issued.json() == {"issued": 2, "refused_budget": 1, "refused_limit": 0}
    again = call("POST", f"/coupons/templates/{template_id}/issue", body)
    assert again.json()["issued"] == 2 and Coupon.objects.count() == 2
    listed = call("GET", f"/coupons?template_id={template_id}").json()
    assert listed["count"] == 2
    first, second = listed["items"]
    assert call("POST", f"/coupons/{first['id']}/void", {"reason": "mistake"}).json()["status"] == "void"
    code = Coupon.objects.get(public_id=second["id"]).code
    low = call("POST", "/coupons/redeem", {"code": code, "amount_fen": 5000})
    assert low.status_code == 409 and low.json()["code"] == "coupons.threshold_not_met"
    done = call("POST", "/coupons/redeem", {"code": code, "amount_fen": 12000})
    assert done.json()["discount_fen"] == 2000 and done.json()["payable_fen"] == 10000
    twice = call("POST", "/coupons/redeem", {"code": code, "amount_fen": 12000})
    assert twice.status_code == 409 and twice.json()["code"] == "coupons.already_used"


def test_bad_template_is_400(call):
    response = call("POST", "/coupons/templates", {**TEMPLATE, "threshold_fen": 1000})
    assert response.status_code == 400 and response.json()["code"] == "coupons.invalid_template"


def test_another_merchants_template_is_404(call, other_new_merchant):
    from weloop.coupons import services

    theirs = services.template_create(
        merchant=other_new_merchant.merchant,
        data=services.TemplateInput(name="x", kind="amount_off", amount_fen=1, valid_days=1),
        actor="t",
    )
    assert call("GET", f"/coupons/templates/{theirs.public_id}").status_code == 404


def test_order_with_a_coupon(call, member, sku, stock):
    stock(sku, 10)
    template_id = call(
        "POST", "/coupons/templates", {"name": "¥3", "kind": "amount_off", "amount_fen": 300, "valid_days": 9}
    ).json()["id"]
    call("POST", f"/coupons/templates/{template_id}/issue", {"member_ids": [member.public_id]})
    coupon = Coupon.objects.get(member=member)
    body = {
        "openid": member.openid,
        "lines": [{"sku_id": sku.public_id, "quantity": 2}],
        "fulfilment": {"type": "delivery", "address": {"name": "Li", "phone": "138", "detail": "1 Rd"}},
        "coupon_ids": [coupon.public_id],
    }
    placed = call("POST", "/orders", body)
    assert placed.status_code == 201, placed.content
    assert placed.json()["total_fen"] == 2500 - 300
    assert OrderDiscount.objects.get().ref == coupon.public_id
    reused = call("POST", "/orders", body)
    assert reused.status_code == 409 and reused.json()["code"] == "coupons.not_usable"
