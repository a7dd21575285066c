"""The simulated WeChat Pay: registered merchants, orders, refunds and notification attempts.

Like the rest of the simulator these are WeChat's records, keyed by ``mchid``/``appid`` strings
with no foreign key to tenant rows. Imported by ``weloop.simulator.models`` so Django registers them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from weloop.core import clock
from weloop.simulator.pay_enums import NotificationStatus, RefundStatus, TradeState, TradeType


class SimPayMerchant(models.Model):
    """A merchant account as WeChat Pay's merchant platform knows it (see ``pay_registry``).

    WeChat Pay holds the merchant's *public* key (to check request signatures and ``paySign``) and
    its own platform *private* key (to sign answers and notifications), plus the APIv3 key.
    """

    mchid = models.CharField(max_length=32, unique=True)
    appid = models.CharField(max_length=32)  # the appid bound to this mchid
    name = models.CharField(max_length=100, blank=True, default="")  # shown in the wallet
    apiv3_key = models.CharField(max_length=32)
    merchant_public_key_pem = models.TextField()
    merchant_serial = models.CharField(max_length=64, blank=True, default="")  # checked when set
    platform_private_key_pem = models.TextField()
    platform_public_key_id = models.CharField(max_length=64)
    # When set, notifications go to notify_base + the path of notify_url (the simulator may reach the
    # platform at another address than the one the platform advertises, as with the OA callback).
    notify_base = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.name or self.mchid} ({self.mchid})"


class SimPayOrder(models.Model):
    mchid = models.CharField(max_length=32)
    appid = models.CharField(max_length=32)
    out_trade_no = models.CharField(max_length=32)
    trade_type = models.CharField(max_length=8, choices=TradeType.choices)
    trade_state = models.CharField(max_length=10, choices=TradeState.choices, default=TradeState.NOTPAY)
    description = models.CharField(max_length=127)
    total_fen = models.PositiveBigIntegerField()
    refunded_fen = models.PositiveBigIntegerField(default=0)  # refunds accepted so far (not failed)
    payer_openid = models.CharField(max_length=128, blank=True, default="")
    notify_url = models.CharField(max_length=256)
    attach = models.CharField(max_length=128, blank=True, default="")
    scene_info = models.JSONField(default=dict, blank=True)
    time_expire = models.DateTimeField(null=True, blank=True)  # as requested
    expires_at = models.DateTimeField()  # time_expire, or 7 days after creation
    fingerprint = models.CharField(max_length=64)  # of the request: same params or not
    prepay_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    prepay_expires_at = models.DateTimeField(null=True, blank=True)
    code_url = models.CharField(max_length=128, blank=True, default="", db_index=True)
    transaction_id = models.CharField(max_length=32, blank=True, default="", db_index=True)
    bank_type = models.CharField(max_length=32, blank=True, default="")
    success_time = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["mchid", "out_trade_no"], name="sim_pay_out_trade_no_once"),
            models.CheckConstraint(condition=Q(total_fen__gt=0), name="sim_pay_total_positive"),
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("total_fen")), name="sim_pay_refunds_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.mchid}/{self.out_trade_no} {self.trade_state}"


class SimPayRefund(models.Model):
    order = models.ForeignKey(SimPayOrder, on_delete=models.CASCADE, related_name="refunds")
    mchid = models.CharField(max_length=32)
    out_refund_no = models.CharField(max_length=64)
    refund_id = models.CharField(max_length=32, unique=True)
    refund_fen = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=80, blank=True, default="")
    notify_url = models.CharField(max_length=256, blank=True, default="")
    status = models.CharField(max_length=12, choices=RefundStatus.choices, default=RefundStatus.PROCESSING)
    created_at = models.DateTimeField(default=clock.now)
    success_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["mchid", "out_refund_no"], name="sim_pay_out_refund_no_once"),
            models.CheckConstraint(condition=Q(refund_fen__gt=0), name="sim_pay_refund_positive"),
        ]


class SimPayNotification(models.Model):
    """One delivery attempt of a notification. Retries and duplicate copies share ``event_id`` and body."""

    event_id = models.CharField(max_length=64, db_index=True)
    mchid = models.CharField(max_length=32)
    order = models.ForeignKey(SimPayOrder, on_delete=models.CASCADE, related_name="notifications")
    refund = models.ForeignKey(
        SimPayRefund, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    event_type = models.CharField(max_length=32)
    url = models.CharField(max_length=300)
    body = models.TextField()  # the JSON envelope, identical for every attempt; re-signed each time
    headers = models.JSONField(default=dict, blank=True)  # as sent by this attempt
    copy_no = models.PositiveSmallIntegerField(default=1)  # 2 = WeChat's duplicate delivery
    attempt_no = models.PositiveSmallIntegerField(default=1)
    send_duplicate = models.BooleanField(default=False)  # after success, deliver a second copy
    status = models.CharField(max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    due_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")
    error = models.CharField(max_length=300, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
