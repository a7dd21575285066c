"""Demo rows of the service desk: conversations of the demo followers, a car-park damage claim
that became a ticket (a photo and a place), canned replies and a store assignment rule.

The demo is seeded with no server running, so nothing goes to WeChat here: replies and media go
through in-process stand-ins (the demo followers are not simulator users who could receive them).
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING

from weloop.core import clock
from weloop.members.models import Member
from weloop.service_desk import services as desk
from weloop.service_desk.enums import Outcome, TicketStatus
from weloop.service_desk.models import Conversation, ConversationMessage, Ticket
from weloop.tenants.models import StaffMember

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext

# A 1x1 PNG: the "photo" of the damage claim.
DEMO_PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class _DemoDesk:
    """Accepts the demo's replies and serves its one photo, in-process."""

    def custom_send_text(self, openid: str, content: str) -> None:
        return None

    def media_get(self, media_id: str) -> tuple[bytes, str]:
        return DEMO_PHOTO, "image/png"


def _payload(member: Member, msg_type: str, n: int, **fields: object) -> dict[str, object]:
    return {
        "message_log_id": None,
        "openid": member.openid,
        "member_id": member.public_id,
        "msg_type": msg_type,
        "event": "",
        "msg_id": f"demo-{member.pk}-{n}",
        "at": (clock.now() - timedelta(minutes=30 - n)).isoformat(),
        **fields,
    }


def seed_service_desk(ctx: DemoContext) -> None:
    """Three conversations (one answered, one closed, one a damage claim with a ticket)."""
    merchant, api = ctx.merchant, _DemoDesk()
    followers = list(Member.objects.for_merchant(merchant).filter(is_following=True).order_by("id")[:3])
    agent = StaffMember.objects.for_merchant(merchant).filter(user__username="demo-agent").first()
    desk.canned_reply_create(
        merchant=merchant, title="问候 Greeting", text="您好，我是麦田烘焙客服，请问有什么可以帮您？"
    )
    desk.canned_reply_create(merchant=merchant, title="营业时间 Hours", text="门店每天 7:30-22:00 营业。")
    if agent and ctx.stores:
        desk.assignment_rule_set(merchant=merchant, store=ctx.stores[0], agent=agent)
    if len(followers) < 3 or agent is None:
        return
    asking, claiming, done = followers
    message = desk.conversation_receive(
        merchant=merchant, payload=_payload(asking, "text", 1, content="可颂今天还有吗？")
    )
    assert message is not None
    conversation = Conversation.objects.for_merchant(merchant).get(pk=message.conversation_id)
    desk.conversation_reply(
        merchant=merchant, conversation=conversation, staff=agent, text="有的，福田店还有 12 个，欢迎来取～", api=api
    )

    desk.conversation_receive(
        merchant=merchant, payload=_payload(claiming, "text", 2, content="我的车在你们停车场被刮了，怎么理赔？")
    )
    photo = desk.conversation_receive(
        merchant=merchant,
        payload=_payload(claiming, "image", 3, media_id="demo-photo-1", pic_url="https://example.com/demo.png"),
    )
    assert photo is not None
    desk.message_media_fetch(merchant=merchant, message_id=photo.pk, api=api)
    desk.conversation_receive(
        merchant=merchant,
        payload=_payload(claiming, "location", 4, latitude=22.533166, longitude=114.055779, label="福田店 B2 停车场"),
    )
    ticket = Ticket.objects.for_merchant(merchant).filter(member=claiming).first()
    if ticket is not None:
        desk.ticket_set_status(merchant=merchant, ticket=ticket, status=TicketStatus.IN_PROGRESS, by=agent, api=api)

    closing = desk.conversation_receive(merchant=merchant, payload=_payload(done, "text", 5, content="谢谢！"))
    assert closing is not None
    finished = Conversation.objects.for_merchant(merchant).get(pk=closing.conversation_id)
    desk.note_add(merchant=merchant, conversation=finished, staff=agent, text="老顾客，已致谢。")
    desk.conversation_close(merchant=merchant, conversation=finished, outcome=Outcome.NO_REPLY_NEEDED, by=agent)
    assert ConversationMessage.objects.for_merchant(merchant).exists()
