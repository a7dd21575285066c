"""Writes of reviews: eligibility from consumption, the review itself, replies, hiding, reporting.

Every change to a review writes a ReviewAudit row; nothing is deleted. The rating aggregates count
visible reviews only and move by exact integer increments in the same transaction as the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F

from weloop.core import clock
from weloop.core.db import get_or_not_found
from weloop.core.events import publish
from weloop.reviews.enums import AuditAction, ReviewStatus
from weloop.reviews.errors import AlreadyReviewed, InvalidPhoto, InvalidReview, NotEligible, ReasonRequired
from weloop.reviews.models import Eligibility, RatingAggregate, Review, ReviewAudit, ReviewPhoto
from weloop.reviews.state import REVIEW
from weloop.tenants.models import Merchant

MAX_TEXT = 1000
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
_PHOTO_SIGNATURES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def store_subject(store_ref: str) -> str:
    return f"store:{store_ref}"


def product_subject(product_ref: str) -> str:
    return f"product:{product_ref}"


@transaction.atomic
def eligibility_record(
    *,
    merchant: Merchant,
    kind: str,
    source_ref: str,
    member_ref: str,
    store_ref: str = "",
    products: Sequence[dict[str, str]] = (),
    title: str = "",
    consumed_at: datetime | None = None,
    openid: str = "",
) -> Eligibility:
    """Record that a member consumed something reviewable (idempotent on kind + source_ref).

    The first time, emits reviews.review_invited (the prompt to review after consumption).
    """
    existing = Eligibility.objects.for_merchant(merchant).filter(kind=kind, source_ref=source_ref).first()
    if existing is not None:
        return existing
    clean_products = [
        {"id": str(p.get("id", ""))[:24], "name": str(p.get("name", ""))[:120]} for p in products if p.get("id")
    ]
    try:
        with transaction.atomic():
            eligibility = Eligibility.objects.create(
                merchant=merchant,
                kind=kind,
                source_ref=source_ref[:40],
                member_ref=member_ref[:24],
                store_ref=(store_ref or "")[:24],
                products=clean_products,
                title=title[:120],
                consumed_at=consumed_at or clock.now(),
            )
    except IntegrityError:  # the same event delivered twice at once
        return Eligibility.objects.for_merchant(merchant).get(kind=kind, source_ref=source_ref)
    publish(
        merchant=merchant,
        name="reviews.review_invited",
        payload={
            "eligibility_id": eligibility.public_id,
            "kind": kind,
            "member_id": member_ref,
            "openid": openid,
            "store_id": store_ref or None,
            "title": eligibility.title,
        },
    )
    return eligibility


def _rating(value: object, *, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidReview("A rating is a whole number from 1 to 5.", extra={"field": field})
    try:
        rating = int(str(value))
    except ValueError as exc:
        raise InvalidReview("A rating is a whole number from 1 to 5.", extra={"field": field}) from exc
    if not 1 <= rating <= 5:
        raise InvalidReview("A rating is a whole number from 1 to 5.", extra={"field": field})
    return rating


def _photo_extension(upload: File) -> str:
    if upload.size is None or upload.size > MAX_PHOTO_BYTES:
        raise InvalidPhoto(extra={"size": upload.size})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, extension in _PHOTO_SIGNATURES.items():
        if head.startswith(signature):
            return extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    raise InvalidPhoto()


def _bump(merchant: Merchant, subject: str, count: int, total: int) -> None:
    RatingAggregate.objects.get_or_create(merchant=merchant, subject=subject)
    RatingAggregate.objects.for_merchant(merchant).filter(subject=subject).update(
        review_count=F("review_count") + count, rating_sum=F("rating_sum") + total
    )


def _count_in_aggregates(review: Review, sign: int) -> None:
    merchant = review.merchant
    if review.store_ref:
        _bump(merchant, store_subject(review.store_ref), sign, sign * review.rating)
    if review.product_ref and review.product_rating:
        _bump(merchant, product_subject(review.product_ref), sign, sign * review.product_rating)


def _audit(review: Review, action: str, actor: str, reason: str = "") -> None:
    ReviewAudit.objects.create(
        merchant=review.merchant, review=review, action=action, actor=actor[:150], reason=reason[:200]
    )


@transaction.atomic
def review_create(
    *,
    merchant: Merchant,
    member_ref: str,
    eligibility_id: str,
    rating: object,
    text: str = "",
    product_id: str = "",
    product_rating: object = None,
    photos: Sequence[File] = (),
    author_name: str = "",
) -> Review:
    """Review an eligible item of the member's. Raises NotEligible (not theirs, or no such item),
    AlreadyReviewed, InvalidReview, InvalidPhoto; writes nothing when it raises. Emits reviews.review_created."""
    eligibility = (
        Eligibility.objects.for_merchant(merchant)
        .select_for_update()
        .filter(public_id=eligibility_id, member_ref=member_ref)
        .first()
    )
    if eligibility is None or not member_ref:
        raise NotEligible(extra={"eligibility_id": str(eligibility_id)[:40]})
    if Review.objects.filter(eligibility=eligibility).exists():
        raise AlreadyReviewed(extra={"eligibility_id": eligibility.public_id})
    stars = _rating(rating, field="rating")
    text = str(text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidReview(f"A review has at most {MAX_TEXT} characters.", extra={"field": "text"})
    product_name, product_stars = "", None
    if product_id:
        names = {p["id"]: p["name"] for p in eligibility.products}
        if product_id not in names:
            raise InvalidReview("That product is not part of this purchase.", extra={"field": "product_id"})
        product_name = names[product_id]
        product_stars = _rating(product_rating, field="product_rating") if product_rating is not None else None
    elif product_rating is not None:
        raise InvalidReview("Name the product the product rating is about.", extra={"field": "product_id"})
    if len(photos) > MAX_PHOTOS:
        raise InvalidPhoto(extra={"count": len(photos)})
    extensions = [_photo_extension(photo) for photo in photos]  # all checked before anything is written
    try:
        with transaction.atomic():
            review = Review.objects.create(
                merchant=merchant,
                eligibility=eligibility,
                member_ref=member_ref,
                author_name=str(author_name or "")[:64],
                store_ref=eligibility.store_ref,
                rating=stars,
                product_ref=product_id if product_id else "",
                product_name=product_name,
                product_rating=product_stars,
                text=text,
            )
    except IntegrityError as exc:
        raise AlreadyReviewed(extra={"eligibility_id": eligibility.public_id}) from exc
    for position, (photo, extension) in enumerate(zip(photos, extensions, strict=True)):
        stored = ReviewPhoto(merchant=merchant, review=review, position=position)
        stored.file.save(f"{uuid.uuid4().hex}.{extension}", photo, save=True)
    _count_in_aggregates(review, +1)
    _audit(review, AuditAction.CREATED, f"member:{member_ref}")
    publish(merchant=merchant, name="reviews.review_created", payload=_payload(review))
    return review


def _payload(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.public_id,
        "member_id": review.member_ref,
        "store_id": review.store_ref or None,
        "product_id": review.product_ref or None,
        "rating": review.rating,
        "status": review.status,
    }


def _locked(merchant: Merchant, review_id: str) -> Review:
    return get_or_not_found(
        Review.objects.for_merchant(merchant).select_for_update(), what="review", public_id=review_id
    )


def _reason(reason: str) -> str:
    reason = str(reason or "").strip()
    if not reason or len(reason) > 200:
        raise ReasonRequired(extra={"field": "reason"})
    return reason


@transaction.atomic
def review_reply(*, merchant: Merchant, review_id: str, text: str, actor: str) -> Review:
    """Set (or replace) the merchant's public reply. Raises InvalidReview for an empty or long text."""
    review = _locked(merchant, review_id)
    text = str(text or "").strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidReview(f"A reply has 1 to {MAX_TEXT} characters.", extra={"field": "text"})
    review.reply, review.replied_at, review.replied_by = text, clock.now(), actor[:150]
    review.save(update_fields=["reply", "replied_at", "replied_by"])
    _audit(review, AuditAction.REPLIED, actor)
    publish(merchant=merchant, name="reviews.review_replied", payload=_payload(review))
    return review


@transaction.atomic
def review_hide(*, merchant: Merchant, review_id: str, reason: str, actor: str) -> Review:
    """Hide a review from the public with a reason; its author still sees it, with the reason.

    Leaves the aggregates without it. Raises ReasonRequired; 409 state.invalid_transition when hidden."""
    reason = _reason(reason)
    review = _locked(merchant, review_id)
    REVIEW.transition(review, ReviewStatus.HIDDEN, actor=actor, reason=reason, extra_updates={"hidden_reason": reason})
    _count_in_aggregates(review, -1)
    _audit(review, AuditAction.HIDDEN, actor, reason)
    publish(merchant=merchant, name="reviews.review_hidden", payload=_payload(review))
    return review


@transaction.atomic
def review_show(*, merchant: Merchant, review_id: str, actor: str, reason: str = "") -> Review:
    """Make a hidden review public again (back in the aggregates)."""
    review = _locked(merchant, review_id)
    REVIEW.transition(review, ReviewStatus.VISIBLE, actor=actor, reason=reason, extra_updates={"hidden_reason": ""})
    _count_in_aggregates(review, +1)
    _audit(review, AuditAction.SHOWN, actor, str(reason or "")[:200])
    publish(merchant=merchant, name="reviews.review_shown", payload=_payload(review))
    return review


@transaction.atomic
def review_report(*, merchant: Merchant, review_id: str, reason: str, actor: str) -> Review:
    """Report a review to the platform (abuse, fake): recorded with the reason; it stays as it is."""
    reason = _reason(reason)
    review = _locked(merchant, review_id)
    review.reported_at = clock.now()
    review.save(update_fields=["reported_at"])
    _audit(review, AuditAction.REPORTED, actor, reason)
    publish(merchant=merchant, name="reviews.review_reported", payload={**_payload(review), "reason": reason})
    return review
