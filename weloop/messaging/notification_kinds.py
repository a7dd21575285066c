"""Which events become which notifications: the dedup key, the values a message may use, the fallback text.

Each ``KindSpec`` names the outbox event it listens to, the payload fields that identify the fact
told (its dedup key) and the fallback text sent as a customer-service message when the merchant has
mapped no template. Every payload carries ``member_id`` (the member's public id); the rest is listed
per kind in docs/notifications.md. Values are rendered with ``str.format_map``: a missing name
renders empty, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from weloop.core.money import format_fen
from weloop.messaging.enums import NotificationKind as K


@dataclass(frozen=True)
class KindSpec:
    kind: str
    event: str  # the outbox event name
    key_fields: tuple[str, ...]  # payload fields naming the fact (the dedup key)
    variables: tuple[str, ...]  # the names a template field or the fallback text may use
    fallback: str  # customer-service text (translated when sent)


_ORDER_VARS = ("order_no", "total", "store_name", "status")

KINDS: dict[str, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            K.PAYMENT_SUCCEEDED,
            "orders.order_paid",
            ("order_no",),
            (*_ORDER_VARS, "follow_prompt"),
            gettext_noop("Payment received for order {order_no}: {total}. {follow_prompt}"),
        ),
        KindSpec(
            K.ORDER_SHIPPED,
            "orders.order_shipped",
            ("order_no", "shipment_id"),
            (*_ORDER_VARS, "carrier", "tracking_no"),
            gettext_noop("Order {order_no} has shipped with {carrier}, tracking number {tracking_no}."),
        ),
        KindSpec(
            K.SHIPMENT_UPDATED,
            "orders.shipment_tracking_added",
            ("shipment_id", "tracking_event_id"),
            (*_ORDER_VARS, "carrier", "tracking_no", "description", "location", "at"),
            gettext_noop("Order {order_no} ({carrier} {tracking_no}): {description} {location}"),
        ),
        KindSpec(
            K.READY_FOR_PICKUP,
            "orders.order_ready_for_pickup",
            ("order_no",),
            _ORDER_VARS,
            gettext_noop("Order {order_no} is ready for pickup at {store_name}."),
        ),
        KindSpec(
            K.REFUND_SUCCEEDED,
            "orders.order_refunded",
            ("out_refund_no",),
            (*_ORDER_VARS, "amount"),
            gettext_noop("Refund of {amount} for order {order_no} is done."),
        ),
        KindSpec(
            K.VOUCHER_ISSUED,
            "vouchers.voucher_issued",
            ("voucher_id",),
            ("voucher_id", "voucher_name", "expires_at"),
            gettext_noop("You received a voucher: {voucher_name}, valid until {expires_at}."),
        ),
        KindSpec(
            K.VOUCHER_EXPIRING,
            "vouchers.voucher_expiring",
            ("voucher_id",),
            ("voucher_id", "voucher_name", "expires_at"),
            gettext_noop("Your voucher {voucher_name} expires on {expires_at}."),
        ),
        KindSpec(
            K.BOOKING_CONFIRMED,
            "bookings.booking_confirmed",
            ("booking_id",),
            ("booking_id", "service_name", "store_name", "starts_at"),
            gettext_noop("Booking confirmed: {service_name} at {store_name}, {starts_at}."),
        ),
        KindSpec(
            K.BOOKING_REMINDER,
            "bookings.booking_reminder",
            ("booking_id", "starts_at"),
            ("booking_id", "service_name", "store_name", "starts_at"),
            gettext_noop("Reminder: {service_name} at {store_name}, {starts_at}."),
        ),
        KindSpec(
            K.BOOKING_CHANGED,
            "bookings.booking_changed",
            ("booking_id", "change_id"),
            ("booking_id", "service_name", "store_name", "starts_at", "change"),
            gettext_noop("Your booking {service_name} changed: {change}. Now {starts_at} at {store_name}."),
        ),
        KindSpec(
            K.SERVICE_EXPIRING,
            "bookings.service_expiring",
            ("service_id", "expires_at"),
            ("service_id", "service_name", "expires_at", "remaining"),
            gettext_noop("Your {service_name} expires on {expires_at} ({remaining} left)."),
        ),
        KindSpec(
            K.REVIEW_PROMPT,
            "reviews.review_prompt",
            ("subject_id",),
            ("subject_id", "item_name", "url"),
            gettext_noop("How was {item_name}? Tell us in a review: {url}"),
        ),
    )
}


def dedup_key(spec: KindSpec, payload: Mapping[str, Any]) -> str | None:
    """``kind:value[:value]``; None when the payload lacks a key field (the event cannot be told)."""
    parts = [str(payload.get(name) or "").strip() for name in spec.key_fields]
    if not all(parts):
        return None
    return ":".join([spec.kind, *parts])[:160]


def _local_time(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return str(value or "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else value


def context_from(spec: KindSpec, payload: Mapping[str, Any], *, store_name: str = "") -> dict[str, str]:
    """The values a message of ``spec`` may use, as display strings (money as ¥12.30, times local)."""
    context: dict[str, str] = {}
    for name in spec.variables:
        value = payload.get(name)
        context[name] = "" if value is None else str(value)
    if "total" in spec.variables and isinstance(payload.get("total_fen"), int):
        context["total"] = format_fen(payload["total_fen"])
    if "amount" in spec.variables and isinstance(payload.get("amount_fen"), int):
        context["amount"] = format_fen(payload["amount_fen"])
    if "store_name" in spec.variables and store_name and not context.get("store_name"):
        context["store_name"] = store_name
    for name in ("at", "starts_at", "expires_at"):
        if name in context:
            context[name] = _local_time(payload.get(name))
    return context


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(pattern: str, context: Mapping[str, str]) -> str:
    """``pattern`` with ``{name}`` replaced from ``context``; a broken pattern is shown as written."""
    try:
        return pattern.format_map(_Blank(context)).strip()
    except (ValueError, IndexError, AttributeError, KeyError):
        return pattern


def check_pattern(pattern: str, spec: KindSpec) -> str | None:
    """The first unknown or malformed placeholder of ``pattern``, or None when it renders cleanly."""
    import string

    try:
        for _literal, name, _spec, _conv in string.Formatter().parse(pattern):
            if name is not None and name not in spec.variables:
                return name or "{}"
    except ValueError:
        return pattern
    return None
