"""Outbox subscribers: paid orders accrue commission, refunds reverse it, completion starts the
refund window, a follow through a referrer's WeChat QR binds the follower. Each is idempotent (the
ledger's (order, level, kind, source_ref) is unique; a binding to the same referrer is returned)."""

from __future__ import annotations

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.members.models import Member
from weloop.referrals import services


@subscribe("orders.order_paid")
def accrue_commission(event: OutboxEvent) -> None:
    services.commissions_accrue(merchant=event.merchant, order_no=str(event.payload.get("order_no") or ""))


@subscribe("orders.order_completed")
def start_refund_window(event: OutboxEvent) -> None:
    services.commissions_schedule_unfreeze(merchant=event.merchant, order_no=str(event.payload.get("order_no") or ""))


@subscribe("orders.order_refunded")
def reverse_commission(event: OutboxEvent) -> None:
    payload = event.payload
    services.commissions_reverse(
        merchant=event.merchant,
        order_no=str(payload.get("order_no") or ""),
        out_refund_no=str(payload.get("out_refund_no") or ""),
    )


@subscribe("members.member_followed")
def bind_on_follow(event: OutboxEvent) -> None:
    """A follow through a referrer's parametric QR (channel ``ref:<code>``) binds the follower."""
    payload = event.payload
    channel = str(payload.get("channel") or "")
    if not channel.startswith(services.REFERRAL_CHANNEL_PREFIX):
        return
    member = Member.objects.for_merchant(event.merchant).filter(public_id=str(payload.get("member_id") or "")).first()
    if member is None:
        return
    code = channel[len(services.REFERRAL_CHANNEL_PREFIX) :]
    services.binding_create_quietly(merchant=event.merchant, member=member, code=code, source="qr")
