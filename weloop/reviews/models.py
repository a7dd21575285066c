"""Verified reviews: a member reviews what they actually consumed, once.

Services never delete a review, a photo or an audit row (hiding is the way to take one down); the
cascades below only serve removing a whole merchant.

Reviews sit on layer 2 beside stores and members, so they name stores, members and products by
public id (``*_ref``) instead of foreign keys into sibling apps; eligibility comes from the outbox
events of orders, vouchers and bookings (handlers.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from weloop.core import clock
from weloop.core.ids import public_id_field
from weloop.core.models import TenantModel
from weloop.reviews.enums import AuditAction, ConsumptionKind, ReviewStatus


class Eligibility(TenantModel):
    """Something a member consumed and may review once: an order, a redemption, a booking."""

    public_id = public_id_field("rel_")
    kind = models.CharField(max_length=16, choices=ConsumptionKind.choices)
    source_ref = models.CharField(max_length=40)  # order_no, redemption id or booking id
    member_ref = models.CharField(max_length=24, db_index=True)  # members.Member public id
    store_ref = models.CharField(max_length=24, blank=True, default="")  # "" for delivered orders
    # [{"id": product public id, "name": ...}]: what a product rating may be about
    products = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=120, blank=True, default="")
    consumed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-consumed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="review_eligibility_public_id"),
            models.UniqueConstraint(fields=["merchant", "kind", "source_ref"], name="review_eligibility_once"),
        ]


class Review(TenantModel):
    public_id = public_id_field("rv_")
    # One review per eligible item: the database refuses a second one.
    eligibility = models.OneToOneField(Eligibility, on_delete=models.CASCADE, related_name="review")
    member_ref = models.CharField(max_length=24, db_index=True)
    author_name = models.CharField(max_length=64, blank=True, default="")
    store_ref = models.CharField(max_length=24, blank=True, default="", db_index=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    product_ref = models.CharField(max_length=24, blank=True, default="", db_index=True)
    product_name = models.CharField(max_length=120, blank=True, default="")
    product_rating = models.PositiveSmallIntegerField(_("product rating"), null=True, blank=True)
    text = models.TextField(_("review"), max_length=1000, blank=True, default="")
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.VISIBLE)
    hidden_reason = models.CharField(max_length=200, blank=True, default="")
    reply = models.TextField(_("reply"), max_length=1000, blank=True, default="")
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.CharField(max_length=150, blank=True, default="")
    reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "public_id"], name="review_public_id_per_merchant"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(product_rating__isnull=True) | Q(product_rating__gte=1, product_rating__lte=5),
                name="review_product_rating_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "store_ref", "status", "-created_at"], name="review_store_recent")]

    def __str__(self) -> str:
        return self.public_id


class ReviewPhoto(TenantModel):
    public_id = public_id_field("rph_")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="reviews/%Y/%m/")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["merchant", "public_id"], name="review_photo_public_id")]


class ReviewAudit(TenantModel):
    """Who did what to a review, and why: the trail behind every reply, hide, show and report."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="audit")
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    actor = models.CharField(max_length=150)
    reason = models.CharField(max_length=200, blank=True, default="")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["at", "id"]


class RatingAggregate(TenantModel):
    """Visible reviews of a store (or a product): count and sum of ratings, kept exact by increments.

    The average is ``rating_sum / review_count``, computed on read: no rounding is ever stored.
    """

    subject = models.CharField(max_length=32)  # "store:st_…" or "product:pr_…"
    review_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "subject"], name="rating_aggregate_once"),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=models.F("review_count")), name="rating_aggregate_sum_at_least_count"
            ),
        ]
