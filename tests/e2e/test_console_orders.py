"""Staff log into the console, open a paid delivery order, ship it with a tracking number, see it shipped."""

from __future__ import annotations

import pytest

from weloop.catalog.services import ProductInput, SkuInput, product_create, product_set_status, sku_create
from weloop.inventory.enums import PoolKind
from weloop.inventory.services import capacity_pool_get_or_create, location_create
from weloop.members.services import member_touch
from weloop.orders import services
from weloop.orders.services import Address, Fulfilment, LineInput

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _paid_delivery_order(merchant, staff):
    product = product_create(merchant=merchant, data=ProductInput(name="Oolong tin"), actor="e2e")
    sku = sku_create(
        merchant=merchant, product_id=product.public_id, data=SkuInput(code="OOLONG", price_fen=6800), actor="e2e"
    )
    product_set_status(merchant=merchant, product_id=product.public_id, status="active", actor="e2e")
    capacity_pool_get_or_create(
        merchant=merchant,
        kind=PoolKind.GOODS_STOCK,
        subject=f"sku:{sku.public_id}",
        location=location_create(merchant=merchant, name="Warehouse"),
        initial_capacity=5,
        actor="e2e",
    )
    member = member_touch(merchant=merchant, openid="o-e2e-buyer", kind="oauth").member
    order = services.checkout_place(
        merchant=merchant,
        member=member,
        lines=[LineInput(sku.public_id, 1)],
        fulfilment=Fulfilment(type="delivery", address=Address(name="Li Lei", phone="13800000000", detail="1 Road")),
        actor="e2e",
    )
    services.order_pay_at_counter(merchant=merchant, order=order, method="offline_cash", staff=staff)
    return order


def test_staff_ship_an_order_with_a_tracking_number(live_server, page, make_merchant):
    from weloop.tenants.models import StaffMember

    created = make_merchant(
        name="Lanterns Tea", slug="lanterns-tea", owner_username="lantern-owner", owner_password="Lantern-tea-2026"
    )
    merchant = created.merchant
    owner = StaffMember.objects.get(merchant=merchant, user__username="lantern-owner")
    order = _paid_delivery_order(merchant, owner)

    # given the owner logged in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_test_id("login-username").fill("lantern-owner")
    page.get_by_test_id("login-password").fill("Lantern-tea-2026")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")

    # when they open the order from the orders list
    page.get_by_test_id("nav-order").click()
    page.locator(f'[data-order-no="{order.order_no}"]').get_by_test_id("order-link").click()
    assert page.get_by_test_id("order-status").get_attribute("data-status") == "paid"

    # and ship it (the form asks for confirmation first)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("ship-carrier").fill("顺丰速运")
    page.get_by_test_id("ship-tracking_no").fill("SF2026000123")
    page.get_by_test_id("order-ship-submit").click()

    # then the order shows shipped, with its shipment
    page.wait_for_selector('[data-testid="order-status"][data-status="shipped"]')
    assert page.get_by_test_id("shipment-tracking-no").inner_text() == "SF2026000123"
    assert "顺丰速运" in page.get_by_test_id("shipment-carrier").inner_text()
