from __future__ import annotations

from weloop.core.events import publish
from weloop.core.models import DeliveryStatus, OutboxDelivery


def _dead_delivery(merchant) -> OutboxDelivery:
    event = publish(merchant=merchant, name="tests.outbox_page", payload={"n": 1})
    return OutboxDelivery.objects.create(
        merchant=merchant,
        event=event,
        handler="weloop.nowhere.handler",
        status=DeliveryStatus.DEAD,
        attempts=8,
        last_error="Traceback: boom",
    )


def test_outbox_lists_events_and_dead_letters(client, merchant, login_as):
    delivery = _dead_delivery(merchant)
    login_as(merchant, "owner")
    body = client.get("/dashboard/outbox/").content.decode()
    assert "tests.outbox_page" in body
    assert f'data-delivery-id="{delivery.pk}"' in body
    detail = client.get(f"/dashboard/outbox/deliveries/{delivery.pk}/").content.decode()
    assert "Traceback: boom" in detail


def test_retry_puts_a_dead_letter_back_in_the_queue(client, merchant, login_as):
    delivery = _dead_delivery(merchant)
    login_as(merchant, "admin")
    response = client.post(f"/dashboard/outbox/deliveries/{delivery.pk}/retry/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status != DeliveryStatus.DEAD
    assert delivery.attempts <= 1  # reset, then perhaps tried once more by the immediate queue


def test_another_merchants_delivery_is_404(client, merchant, other_merchant, login_as):
    theirs = _dead_delivery(other_merchant)
    login_as(merchant, "owner")
    assert client.get(f"/dashboard/outbox/deliveries/{theirs.pk}/").status_code == 404
    assert client.post(f"/dashboard/outbox/deliveries/{theirs.pk}/retry/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == DeliveryStatus.DEAD
