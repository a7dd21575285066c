"""Core tables: the tenant base class, the outbox, state history and idempotency records."""

from __future__ import annotations

from typing import Any

from django.db import models

from weloop.core import clock


class TenantQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Any) -> TenantQuerySet:
        """Rows of ``merchant`` only: the door every service and selector goes through."""
        if merchant is None or getattr(merchant, "pk", None) is None:
            raise TypeError("for_merchant() needs a saved merchant, never None")
        return self.filter(merchant_id=merchant.pk)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    pass


class TenantModel(models.Model):
    """A row owned by one merchant. Every unique constraint of a subclass includes ``merchant``.

    Read through ``Model.objects.for_merchant(merchant)``; another merchant's row is a 404.
    """

    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True


class OutboxEvent(TenantModel):
    """A domain event, stored in the same transaction as the change it reports."""

    name = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    DEAD = "dead", "dead letter"


class OutboxDelivery(TenantModel):
    """One event to one subscribed handler: retried with backoff, dead-lettered after the last try."""

    URL_KWARG = "delivery_id"  # console URLs address deliveries by pk, scoped to the merchant

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=clock.now)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "event", "handler"], name="outbox_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]


class StateTransition(TenantModel):
    """History row written by the state-machine mutator for every status change."""

    machine = models.CharField(max_length=50)
    object_pk = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    actor = models.CharField(max_length=150, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["machine", "object_pk"], name="state_transition_obj_idx")]


class IdempotencyRecord(TenantModel):
    """The first response to an ``Idempotency-Key``; a retry with the same key gets it again."""

    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_key_once_per_merchant"),
        ]
