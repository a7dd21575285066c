from __future__ import annotations

import re

from weloop.core.events import publish
from weloop.core.models import DeliveryStatus, OutboxDelivery


def _stat(body: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"><div class="value">(\d+)<', body)
    assert match, testid
    return match.group(1)


def _dead(event) -> None:
    raise RuntimeError("never delivered")


def test_home_shows_the_merchant_its_counts_and_the_callback_path(client, new_merchant, login_as, make_store):
    merchant = new_merchant.merchant
    make_store(merchant, name="A")
    make_store(merchant, name="B")
    login_as(merchant, "admin")
    # the stores' own events may wait for their subscribers (the nearby index): count from here
    already_pending = OutboxDelivery.objects.filter(merchant=merchant, status=DeliveryStatus.PENDING).count()
    event = publish(merchant=merchant, name="tests.home", payload={})
    OutboxDelivery.objects.create(merchant=merchant, event=event, handler="x.pending")
    OutboxDelivery.objects.create(merchant=merchant, event=event, handler="x.dead", status=DeliveryStatus.DEAD)

    body = client.get("/dashboard/").content.decode()

    assert "Bakery" in body
    assert _stat(body, "count-stores") == "2"
    assert _stat(body, "count-staff") == "2"  # the owner made with the merchant, and this admin
    assert _stat(body, "count-api-keys") == "1"
    assert _stat(body, "count-outbox-pending") == str(already_pending + 1)
    assert _stat(body, "count-outbox-dead") == "1"
    assert "/wechat/bakery/callback" in body


def test_merchant_switcher_changes_merchant_only_to_ones_the_login_belongs_to(
    client, merchant, other_merchant, make_merchant, login_as
):
    from weloop.tenants.services import staff_create

    staff = login_as(merchant, "owner")
    staff_create(merchant=other_merchant, username=staff.user.username, password="x", role="admin")
    stranger = make_merchant(name="Stranger", slug="stranger").merchant

    assert 'data-testid="merchant-switch"' in client.get("/dashboard/").content.decode()
    response = client.post("/dashboard/switch-merchant/", {"merchant": other_merchant.slug})
    assert response.status_code == 302
    assert 'data-testid="merchant-name">Rival<' in client.get("/dashboard/").content.decode()

    assert client.post("/dashboard/switch-merchant/", {"merchant": stranger.slug}).status_code == 404
    assert 'data-testid="merchant-name">Rival<' in client.get("/dashboard/").content.decode()


def test_single_merchant_staff_get_no_switcher(client, merchant, login_as):
    login_as(merchant, "owner")
    assert 'data-testid="merchant-switch"' not in client.get("/dashboard/").content.decode()
