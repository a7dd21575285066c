"""Outbox subscribers of the service desk (autodiscovered by core). Idempotent.

``messaging.message_received``: every message from a follower (and the "talk to a person" menu
button, unfollows and re-follows) goes into the member's conversation.
"""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.service_desk import services


@subscribe("messaging.message_received")
def file_inbound_message(event: OutboxEvent) -> None:
    services.conversation_receive(merchant=event.merchant, payload=dict(event.payload))
