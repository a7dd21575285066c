"""Outbox subscribers of coupons (autodiscovered by core). Every handler is idempotent.

- ``members.member_followed``: templates flagged "give on follow", once per member.
- ``loyalty.birthday_gift_due``: the level's birthday template, once per member and year.
- ``orders.order_cancelled`` / ``orders.order_expired``: the order's locked coupons come back.

Paying, refunding and first-payment gifts are handled by orders (it knows whether a payment is the
member's first, and uses the coupons in the payment's own transaction).
"""

from __future__ import annotations

import logging

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.coupons import services
from weloop.coupons.enums import Channel, TemplateStatus
from weloop.coupons.errors import CouponBudgetExhausted, CouponLimitReached, TemplateNotIssuable
from weloop.coupons.models import CouponTemplate

logger = logging.getLogger(__name__)


def _member(event: OutboxEvent) -> object | None:
    Member = services._member_model()
    return Member.objects.filter(
        merchant_id=event.merchant_id, public_id=str(event.payload.get("member_id", ""))
    ).first()


@subscribe("members.member_followed")
def issue_on_follow(event: OutboxEvent) -> None:
    member = _member(event)
    if member is not None:
        services.coupons_issue_on_event(merchant=event.merchant, member=member, trigger="follow", source_ref="follow")


@subscribe("loyalty.birthday_gift_due")
def issue_birthday_gift(event: OutboxEvent) -> None:
    member = _member(event)
    template = (
        CouponTemplate.objects.for_merchant(event.merchant)
        .filter(public_id=str(event.payload.get("template_id", "")), status=TemplateStatus.ACTIVE)
        .first()
    )
    if member is None or template is None:
        return
    try:
        services.coupon_issue(
            merchant=event.merchant,
            template=template,
            member=member,
            channel=Channel.BIRTHDAY,
            source_ref=f"birthday:{event.payload.get('year', '')}",
            actor="loyalty",
        )
    except (CouponBudgetExhausted, CouponLimitReached, TemplateNotIssuable) as exc:
        logger.info("birthday coupon %s not issued: %s", template.public_id, exc.code)


@subscribe("orders.order_cancelled")
@subscribe("orders.order_expired")
def release_for_order(event: OutboxEvent) -> None:
    services.coupons_release_for_order(merchant=event.merchant, order_no=str(event.payload.get("order_no", "")))
