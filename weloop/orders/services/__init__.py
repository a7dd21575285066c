"""Writes of the orders app: carts, checkout, payment, expiry, cancellation, fulfilment, refunds.

Rules every function here keeps:
- Keyword-only arguments, ``merchant=`` first; another merchant's object is a NotFound.
- A write that does not call WeChat is one transaction. Those that do (``order_start_payment``,
  ``order_cancel``, ``orders_expire_due``, ``order_refund``, ``aftersales_approve``) commit their
  own change first and call payments outside any transaction, as payments requires.
- Status changes go through ``state.ORDER`` (compare-and-set plus a history row) on a row locked
  with ``select_for_update``; events are published in the same transaction.
- Stock is held in inventory with the order number as the reference; checkout is all or nothing.
"""

from weloop.orders.services.checkout import (
    cart_add,
    cart_lines,
    cart_remove,
    cart_update,
    checkout_place,
    checkout_preview,
    order_valet_create,
    purchase_limit_set,
    shipping_rule_set,
)
from weloop.orders.services.common import (
    HOLD_GRACE,
    MAX_LINES,
    MAX_QUANTITY,
    PICKUP_CODE_DIGITS,
    Address,
    Attribution,
    Fulfilment,
    LineInput,
    order_payload,
    payment_window,
)
from weloop.orders.services.fulfilment import (
    order_complete,
    order_mark_ready_for_pickup,
    order_ship,
    order_start_fulfilling,
    pickup_code_for_member,
    pickup_verify,
    shipment_add_tracking_event,
)
from weloop.orders.services.payment import (
    late_payment_refund,
    order_apply_payment,
    order_cancel,
    order_pay_at_counter,
    order_record_offline_payment,
    order_start_payment,
    orders_expire_due,
)
from weloop.orders.services.refunds import (
    aftersales_approve,
    aftersales_reject,
    aftersales_request,
    order_refund,
    order_refund_settle,
)
from weloop.orders.services.virtual import (
    DeliveredCode,
    virtual_codes_for_member,
    virtual_deliver,
    virtual_void,
)

__all__ = [
    "HOLD_GRACE",
    "MAX_LINES",
    "MAX_QUANTITY",
    "PICKUP_CODE_DIGITS",
    "Address",
    "Attribution",
    "DeliveredCode",
    "Fulfilment",
    "LineInput",
    "aftersales_approve",
    "aftersales_reject",
    "aftersales_request",
    "cart_add",
    "cart_lines",
    "cart_remove",
    "cart_update",
    "checkout_place",
    "checkout_preview",
    "late_payment_refund",
    "order_apply_payment",
    "order_cancel",
    "order_complete",
    "order_mark_ready_for_pickup",
    "order_pay_at_counter",
    "order_payload",
    "order_record_offline_payment",
    "order_refund",
    "order_refund_settle",
    "order_ship",
    "order_start_fulfilling",
    "order_start_payment",
    "order_valet_create",
    "orders_expire_due",
    "payment_window",
    "pickup_code_for_member",
    "pickup_verify",
    "purchase_limit_set",
    "shipment_add_tracking_event",
    "shipping_rule_set",
    "virtual_codes_for_member",
    "virtual_deliver",
    "virtual_void",
]
