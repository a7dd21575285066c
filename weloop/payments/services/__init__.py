"""Writes of the payments app (a package: settings, payments, notifications, refunds, reconciliation).

Import from here: ``from weloop.payments.services import payment_start``.
"""

from weloop.payments.services.notifications import NotificationResult, notification_apply
from weloop.payments.services.pay_settings import (
    LiveSettingsExist,
    credentials_of,
    notify_url_for,
    pay_settings_create_simulated,
    pay_settings_of,
    pay_settings_set,
)
from weloop.payments.services.payments import (
    JsapiPayParams,
    NativePayParams,
    SyncOutcome,
    payment_close,
    payment_close_open,
    payment_get,
    payment_jsapi_params,
    payment_native_params,
    payment_query_and_sync,
    payment_record_offline,
    payment_start,
    payment_sync,
)
from weloop.payments.services.reconciliation import payments_sync_stale, reconciliation_report, refunds_sync_pending
from weloop.payments.services.refunds import refund_create, refund_get, refund_retry_failed, refund_sync

__all__ = [
    "JsapiPayParams",
    "LiveSettingsExist",
    "NativePayParams",
    "NotificationResult",
    "SyncOutcome",
    "credentials_of",
    "notification_apply",
    "notify_url_for",
    "pay_settings_create_simulated",
    "pay_settings_of",
    "pay_settings_set",
    "payment_close",
    "payment_close_open",
    "payment_get",
    "payment_jsapi_params",
    "payment_native_params",
    "payment_query_and_sync",
    "payment_record_offline",
    "payment_start",
    "payment_sync",
    "payments_sync_stale",
    "reconciliation_report",
    "refund_create",
    "refund_get",
    "refund_retry_failed",
    "refund_sync",
    "refunds_sync_pending",
]
