"""Reads of reviews: what the public sees, what an author sees, aggregates, what is left to review."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Exists, OuterRef, QuerySet

from weloop.core.db import get_or_not_found
from weloop.reviews.enums import ReviewStatus
from weloop.reviews.models import Eligibility, RatingAggregate, Review, ReviewAudit
from weloop.reviews.services import product_subject, store_subject
from weloop.tenants.models import Merchant


@dataclass(frozen=True)
class StoreRating:
    review_count: int
    rating_sum: int

    @property
    def average(self) -> Fraction:
        """The exact mean of the visible ratings (0 when there is none)."""
        return Fraction(self.rating_sum, self.review_count) if self.review_count else Fraction(0)

    @property
    def display(self) -> str:
        """The mean to one decimal, rounded half up ("4.5"), or "" without reviews."""
        if not self.review_count:
            return ""
        tenths = (self.average * 10 + Fraction(1, 2)).__floor__()
        return f"{tenths // 10}.{tenths % 10}"


def _ratings(merchant: Merchant, subjects: dict[str, str]) -> dict[str, StoreRating]:
    rows = RatingAggregate.objects.for_merchant(merchant).filter(subject__in=list(subjects))
    return {subjects[r.subject]: StoreRating(r.review_count, r.rating_sum) for r in rows if r.review_count}


def store_ratings(*, merchant: Merchant, store_refs: list[str]) -> dict[str, StoreRating]:
    """The rating of each store (by public id) that has visible reviews; one query."""
    return _ratings(merchant, {store_subject(ref): ref for ref in store_refs})


def product_ratings(*, merchant: Merchant, product_refs: list[str]) -> dict[str, StoreRating]:
    return _ratings(merchant, {product_subject(ref): ref for ref in product_refs})


def review_list(
    *, merchant: Merchant, status: str | None = None, store_ref: str | None = None, product_ref: str | None = None
) -> QuerySet[Review]:
    """All reviews (console and API), newest first."""
    reviews = Review.objects.for_merchant(merchant)
    if status:
        reviews = reviews.filter(status=status)
    if store_ref:
        reviews = reviews.filter(store_ref=store_ref)
    if product_ref:
        reviews = reviews.filter(product_ref=product_ref)
    return reviews.prefetch_related("photos").order_by("-created_at", "-id")


def reviews_public(
    *, merchant: Merchant, store_ref: str | None = None, product_ref: str | None = None
) -> QuerySet[Review]:
    """What anyone may read: visible reviews only."""
    return review_list(merchant=merchant, status=ReviewStatus.VISIBLE, store_ref=store_ref, product_ref=product_ref)


def reviews_of_member(*, merchant: Merchant, member_ref: str) -> QuerySet[Review]:
    """The member's own reviews, hidden ones included (with the reason)."""
    return review_list(merchant=merchant).filter(member_ref=member_ref)


def review_get(*, merchant: Merchant, review_id: str) -> Review:
    return get_or_not_found(review_list(merchant=merchant), what="review", public_id=review_id)


def review_audit(review: Review) -> QuerySet[ReviewAudit]:
    return ReviewAudit.objects.for_merchant(review.merchant).filter(review=review).order_by("at", "id")


def eligibilities_to_review(*, merchant: Merchant, member_ref: str) -> QuerySet[Eligibility]:
    """What the member consumed and has not reviewed yet, newest first."""
    reviewed = Review.objects.filter(eligibility=OuterRef("pk"))
    return (
        Eligibility.objects.for_merchant(merchant)
        .filter(member_ref=member_ref)
        .exclude(Exists(reviewed))
        .order_by("-consumed_at", "-id")
    )


def eligibility_get(*, merchant: Merchant, member_ref: str, eligibility_id: str) -> Eligibility:
    return get_or_not_found(
        Eligibility.objects.for_merchant(merchant).filter(member_ref=member_ref),
        what="eligibility",
        public_id=eligibility_id,
    )
