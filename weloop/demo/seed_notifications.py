"""Demo step "notifications": the payment template mapping, the switches, and a few notifications in
the states the console's log shows (delivered, sent and waiting for its report, waiting after WeChat's
45009, failed by a user block or for want of a channel, skipped because the member muted them).

The rows are written as they would stand after sending (with their status history), not sent: the
demo must not depend on the simulator answering while it is being seeded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from weloop.core import clock
from weloop.core.models import StateTransition
from weloop.members.models import Member
from weloop.messaging.enums import NotificationChannel, NotificationKind, NotificationStatus
from weloop.messaging.models import Notification
from weloop.messaging.notifications import TemplateInput, preference_set, settings_update, template_set
from weloop.messaging.state import NOTIFICATION

if TYPE_CHECKING:
    from weloop.demo.seed import DemoContext

_S = NotificationStatus

# (order no, status, channel, errcode, reason, minutes ago)
_ROWS: list[tuple[str, str, str, int | None, str, int]] = [
    ("DEMO-NT-0001", _S.DELIVERED, NotificationChannel.TEMPLATE, None, "", 180),
    ("DEMO-NT-0002", _S.SENT, NotificationChannel.TEMPLATE, None, "", 2),
    ("DEMO-NT-0003", _S.PENDING, NotificationChannel.TEMPLATE, 45009, "45009: reach max api daily quota limit", 10),
    ("DEMO-NT-0004", _S.FAILED, NotificationChannel.TEMPLATE, None, "user block", 90),
    ("DEMO-NT-0005", _S.FAILED, "", None, "no channel", 60),
    ("DEMO-NT-0006", _S.SKIPPED, "", None, "member muted notifications", 30),
]


def seed_notifications(ctx: DemoContext) -> None:
    merchant = ctx.merchant
    followers = list(Member.objects.for_merchant(merchant).filter(is_following=True).order_by("id")[:6])
    if not followers:
        return
    template_set(
        merchant=merchant,
        data=TemplateInput(
            kind=NotificationKind.PAYMENT_SUCCEEDED,
            template_id="TPL_DEMO_PAYMENT_OK",
            fields={"first": "支付成功 {follow_prompt}", "keyword1": "{order_no}", "keyword2": "{total}"},
        ),
    )
    settings_update(
        merchant=merchant,
        is_enabled=True,
        customer_service_fallback=True,
        follow_prompt="关注公众号，随时查看订单进度。",
    )
    now = clock.now()
    history: list[StateTransition] = []
    for i, (order_no, status, channel, errcode, reason, minutes) in enumerate(_ROWS):
        member = followers[i % len(followers)]
        at = now - timedelta(minutes=minutes)
        attempts = 1 if channel else 0
        sent = status in (_S.DELIVERED, _S.SENT) or (status == _S.FAILED and channel)
        row: dict[str, Any] = {
            "merchant": merchant,
            "member": member,
            "openid": member.openid,
            "kind": NotificationKind.PAYMENT_SUCCEEDED,
            "dedup_key": f"payment_succeeded:{order_no}",
            "context": {"order_no": order_no, "total": "¥32.50", "store_name": "", "status": "paid"},
            "channel": channel,
            "status": status,
            "summary": f"keyword1: {order_no} / keyword2: ¥32.50" if channel else "",
            "msg_id": str(3_000_000_000 + i) if sent else "",
            "errcode": errcode,
            "reason": reason,
            "attempts": attempts,
            "created_at": at,
            "next_attempt_at": now + timedelta(minutes=20) if status == _S.PENDING else at,
            "sent_at": at if sent else None,
            "finished_at": at if status in (_S.DELIVERED, _S.FAILED, _S.SKIPPED) else None,
        }
        notification = Notification.objects.create(**row)
        steps_by_status: dict[str, list[tuple[str, str, str, str]]] = {
            _S.DELIVERED: [
                (_S.PENDING, _S.SENT, "notifications", "template"),
                (_S.SENT, _S.DELIVERED, "wechat", "TEMPLATESENDJOBFINISH success"),
            ],
            _S.SENT: [(_S.PENDING, _S.SENT, "notifications", "template")],
            _S.FAILED: [(_S.PENDING, _S.FAILED, "notifications", reason)]
            if not channel
            else [
                (_S.PENDING, _S.SENT, "notifications", "template"),
                (_S.SENT, _S.FAILED, "wechat", "TEMPLATESENDJOBFINISH failed:user block"),
            ],
        }
        steps = steps_by_status.get(status, [])
        history += [
            StateTransition(
                merchant=merchant,
                machine=NOTIFICATION.name,
                object_pk=str(notification.pk),
                from_status=src,
                to_status=dst,
                actor=actor,
                reason=note,
                created_at=at,
            )
            for src, dst, actor, note in steps
        ]
        if status == _S.SKIPPED:  # that member muted notifications (the H5 "Me" page)
            preference_set(merchant=merchant, member=member, muted=True, opted_out=[])
    StateTransition.objects.bulk_create(history)
