"""Outbox subscribers of the orders app (autodiscovered by core). Every handler is idempotent.

PAYMENTS. ``payments.payment_succeeded`` makes a pending order paid and confirms its stock holds
(holds that lapsed are taken again; if the stock is gone the order expires instead).

LATE PAYMENTS. Money can reach an order that already expired or was cancelled (the customer paid
in the last second, WeChat's notification came late), or a second payment can reach an order that
is already paid. Received money is never kept for nothing: the order is not revived (its stock may
be sold), an ``OrderRefund`` of kind ``late_payment`` is stored and ``orders.late_payment`` is
published in the same transaction, and after commit the queue task ``late_payment_refund_task``
calls payments.refund_create with the full amount (outside any transaction, with a fixed
out_refund_no, so a retried task refunds once).

REFUNDS. ``payments.refund_succeeded`` / ``refund_failed`` settle the OrderRefund with the same
``out_refund_no`` (orders.services.order_refund_settle): refunded amounts, goods back on sale,
``refunded`` / ``partially_refunded``; or, on failure, the order back to the status it had.

STORED VALUE. ``orders.order_refunded`` of an order paid from the member's balance gives the
refunded amount back to the balance, once per ``out_refund_no`` (services/stored_value.py).
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from weloop.core.events import subscribe
from weloop.core.models import OutboxEvent
from weloop.orders import (
    deals,  # noqa: F401  (registers the deal and voucher handlers)
    pricing_handlers,  # noqa: F401  (registers the coupon and points handlers)
    services,
)
from weloop.orders.services.stored_value import order_refund_to_balance


@subscribe("payments.payment_succeeded")
def apply_payment(event: OutboxEvent) -> None:
    payload = event.payload
    outcome = services.order_apply_payment(
        merchant=event.merchant,
        order_no=str(payload.get("reference", "")),
        payment_id=str(payload.get("payment_id", "")),
        amount_fen=int(payload.get("amount_fen", 0)),
        actor="payments",
    )
    if outcome == "late":
        transaction.on_commit(partial(_refund_late, event.merchant.pk, str(payload.get("payment_id", ""))))


def _refund_late(merchant_id: int, payment_id: str) -> None:
    from weloop.orders.tasks import late_payment_refund_task

    late_payment_refund_task(merchant_id, payment_id)


@subscribe("payments.refund_succeeded")
def apply_refund_succeeded(event: OutboxEvent) -> None:
    services.order_refund_settle(
        merchant=event.merchant,
        out_refund_no=str(event.payload.get("out_refund_no", "")),
        succeeded=True,
        actor="payments",
    )


@subscribe("payments.refund_failed")
def apply_refund_failed(event: OutboxEvent) -> None:
    services.order_refund_settle(
        merchant=event.merchant,
        out_refund_no=str(event.payload.get("out_refund_no", "")),
        succeeded=False,
        actor="payments",
    )


@subscribe("orders.order_refunded")
def refund_to_balance(event: OutboxEvent) -> None:
    payload = event.payload
    order_refund_to_balance(
        merchant=event.merchant,
        order_no=str(payload.get("order_no", "")),
        amount_fen=int(payload.get("amount_fen", 0)),
        out_refund_no=str(payload.get("out_refund_no", "")),
    )
