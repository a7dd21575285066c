"""Payments: a merchant's WeChat Pay settings, payments, refunds, notifications and the money ledger.

- ``PaySettings``: one WeChat Pay v3 account per merchant (public-key mode).
- ``Payment``: one attempt to collect an order's amount (``reference`` = the order number), by WeChat
  Pay (JSAPI or Native, ``out_trade_no`` reserved before WeChat is called) or at the counter.
- ``Refund``: money going back, ``out_refund_no`` reserved before WeChat is called.
- ``PaymentNotification``: every notification received; its id is the idempotency key.
- ``PaymentLedgerEntry``: every movement of money, written in the transaction that moved it. The
  database allows one charge per payment and one entry per refund, so a notification applied twice
  cannot count twice, and ``charges - refunds == sum(amount_fen - refunded_fen)`` over paid payments.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.payments.enums import (
    OPEN_PAYMENT_STATUSES,
    LedgerKind,
    NotificationOutcome,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)

MAX_REFUNDS_PER_PAYMENT = 50  # WeChat Pay's limit per order (WECHAT.md §4.6)


class PaySettings(TenantModel):
    """The merchant's WeChat Pay v3 account: what ``weloop.wechat.pay.PayCredentials`` is built from.

    ``appid`` is the merchant's service account (``tenants.WechatAccount.appid``), bound to ``mchid``.

    Simulator mode: ``is_simulated`` rows are played by our own simulated WeChat Pay, which needs the
    platform *private* key to sign its answers and notifications; it reads it from
    ``simulator_platform_private_key_pem`` (see ``weloop.simulator.pay_registry``). A real account
    never has it (WeChat keeps its private key): a CHECK constraint keeps it blank when not simulated.
    """

    mchid = models.CharField(_("merchant id (mchid)"), max_length=32, db_index=True)
    appid = models.CharField(_("appid"), max_length=32)
    apiv3_key = models.CharField(_("APIv3 key"), max_length=32)
    merchant_private_key_pem = models.TextField(_("merchant API private key"))
    merchant_serial = models.CharField(_("merchant certificate serial"), max_length=64)
    platform_public_key_pem = models.TextField(_("WeChat Pay public key"))
    platform_public_key_id = models.CharField(_("WeChat Pay public key id"), max_length=64)
    is_simulated = models.BooleanField(default=False)
    simulator_platform_private_key_pem = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "pay settings"
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="pay_settings_once_per_merchant"),
            models.CheckConstraint(
                condition=Q(is_simulated=True) | Q(simulator_platform_private_key_pem=""),
                name="pay_settings_platform_key_only_simulated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mchid} ({'simulated' if self.is_simulated else 'live'})"

    def __repr__(self) -> str:  # the keys are secrets
        return f"<PaySettings mchid={self.mchid!r} simulated={self.is_simulated}>"


class Payment(TenantModel):
    URL_KWARG = "payment_id"

    public_id = public_id_field("pay_")
    reference = models.CharField(_("order number"), max_length=32, db_index=True)
    # WeChat's idempotency key, reserved before WeChat is called: the order number for the first
    # WeChat attempt, the order number with a "-n" suffix for later ones. Blank for offline payments.
    out_trade_no = models.CharField(max_length=32, blank=True, default="")
    description = models.CharField(_("description"), max_length=127)
    amount_fen = models.BigIntegerField(_("amount"))
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.CREATED)
    prepay_id = models.CharField(max_length=64, blank=True, default="")
    code_url = models.CharField(max_length=128, blank=True, default="")
    prepared_at = models.DateTimeField(null=True, blank=True)  # when prepay_id / code_url was issued
    expires_at = models.DateTimeField(null=True, blank=True)  # time_expire sent to WeChat
    transaction_id = models.CharField(max_length=32, blank=True, default="")
    wechat_trade_state = models.CharField(max_length=16, blank=True, default="")  # last seen at WeChat
    last_synced_at = models.DateTimeField(null=True, blank=True)
    payer_openid = models.CharField(max_length=128, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_fen = models.BigIntegerField(default=0)  # refunds that succeeded
    refunding_fen = models.BigIntegerField(default=0)  # refunds asked for and not settled yet
    recorded_by = models.ForeignKey(
        "tenants.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, default="")
    attach = models.JSONField(default=dict, blank=True)  # attribution: store, guide, scene, channel
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="payment_public_id_per_merchant"),
            models.UniqueConstraint(
                fields=["merchant", "out_trade_no"], condition=~Q(out_trade_no=""), name="payment_out_trade_no_once"
            ),
            models.UniqueConstraint(
                fields=["merchant", "transaction_id"],
                condition=~Q(transaction_id=""),
                name="payment_transaction_id_once",
            ),
            # At most one payment per order that the payer could still complete at WeChat.
            models.UniqueConstraint(
                fields=["merchant", "reference"],
                condition=Q(status__in=OPEN_PAYMENT_STATUSES),
                name="payment_one_open_per_reference",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_fen__gte=0), name="payment_refunded_not_negative"),
            models.CheckConstraint(condition=Q(refunding_fen__gte=0), name="payment_refunding_not_negative"),
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("amount_fen")), name="payment_refunded_le_amount"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=F("refunded_fen") + F("refunding_fen")),
                name="payment_refunds_le_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.reference} {self.status}"

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded: neither refunded nor being refunded."""
        return self.amount_fen - self.refunded_fen - self.refunding_fen


class Refund(TenantModel):
    URL_KWARG = "refund_id"

    public_id = public_id_field("rf_")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=64)  # reserved before WeChat is called
    amount_fen = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=80, blank=True, default="")
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.CREATED)
    wechat_refund_id = models.CharField(max_length=32, blank=True, default="")  # WeChat's refund_id
    wechat_status = models.CharField(max_length=16, blank=True, default="")  # SUCCESS, PROCESSING, ABNORMAL…
    requested_by = models.CharField(max_length=150, blank=True, default="")
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="refund_public_id_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "out_refund_no"], name="refund_out_refund_no_once"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.out_refund_no} {self.status}"


class PaymentNotification(TenantModel):
    """One notification from WeChat Pay (its retries and duplicate copies count in ``deliveries``).

    Only a verified notification holds its id (unique per merchant): a forged body claiming an id
    must never make the genuine notification look like a duplicate.
    """

    notification_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=32, blank=True, default="")
    out_trade_no = models.CharField(max_length=32, blank=True, default="")
    out_refund_no = models.CharField(max_length=64, blank=True, default="")
    transaction_id = models.CharField(max_length=32, blank=True, default="")
    verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=NotificationOutcome.choices)
    reason = models.CharField(max_length=300, blank=True, default="")
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    refund = models.ForeignKey(Refund, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deliveries = models.PositiveIntegerField(default=1)
    received_at = models.DateTimeField(default=clock.now)
    last_received_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "notification_id"],
                condition=Q(verified=True),
                name="payment_notification_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.event_type} {self.outcome}"


class PaymentLedgerEntry(TenantModel):
    """Money in (``charge``, one per paid payment) or out (``refund``, one per succeeded refund)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger_entries")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    kind = models.CharField(max_length=8, choices=LedgerKind.choices)
    amount_fen = models.BigIntegerField()  # always positive; ``kind`` says the direction
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=32)
    at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "payment"],
                condition=Q(kind=LedgerKind.CHARGE),
                name="ledger_one_charge_per_payment",
            ),
            models.UniqueConstraint(
                fields=["merchant", "refund"], condition=Q(kind=LedgerKind.REFUND), name="ledger_one_entry_per_refund"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=(Q(kind=LedgerKind.CHARGE) & Q(refund__isnull=True))
                | (Q(kind=LedgerKind.REFUND) & Q(refund__isnull=False)),
                name="ledger_refund_iff_refund_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen} {self.reference}"
