"""/reviews: verified reviews of the merchant's stores and products; reply, hide, show, report.

Members write reviews in the H5 (only for what they consumed); the API is the merchant's side.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router

from weloop.api.auth import actor_of, merchant_of
from weloop.api.pagination import paginate
from weloop.api.schemas.common import PageIn
from weloop.api.schemas.reviews import ReasonIn, ReplyIn, ReviewFilters, ReviewOut, ReviewPage, ShowIn
from weloop.reviews import selectors, services
from weloop.reviews.models import Review

router = Router(tags=["Reviews"])

ReviewId = Annotated[str, Path(description="The review's public id (`rv_…`).", example="rv_4K9QX2M7PA")]


@router.get("", response=ReviewPage, summary="List reviews")
def list_reviews(request: HttpRequest, filters: Query[ReviewFilters], page: Query[PageIn]) -> dict:
    """All reviews, hidden ones included, newest first; filter by status, store or product."""
    reviews = selectors.review_list(
        merchant=merchant_of(request), status=filters.status, store_ref=filters.store_id, product_ref=filters.product_id
    ).select_related("eligibility")
    return paginate(reviews, page)


@router.get("/{review_id}", response=ReviewOut, summary="Get a review")
def get_review(request: HttpRequest, review_id: ReviewId) -> Review:
    """One review with its ratings, text, photos, the merchant's reply and whether it is hidden."""
    return selectors.review_get(merchant=merchant_of(request), review_id=review_id)


@router.post("/{review_id}/reply", response=ReviewOut, summary="Reply to a review")
def reply_to_review(request: HttpRequest, payload: ReplyIn, review_id: ReviewId) -> Review:
    """Publish (or replace) the merchant's reply. 400 `reviews.invalid_review` for an empty or long text."""
    return services.review_reply(
        merchant=merchant_of(request), review_id=review_id, text=payload.text, actor=actor_of(request)
    )


@router.post("/{review_id}/hide", response=ReviewOut, summary="Hide a review")
def hide_review(request: HttpRequest, payload: ReasonIn, review_id: ReviewId) -> Review:
    """Hide it from the public (its author still sees it, with the reason); it leaves the ratings.

    400 `reviews.reason_required`; 409 `state.invalid_transition` when it is already hidden."""
    return services.review_hide(
        merchant=merchant_of(request), review_id=review_id, reason=payload.reason, actor=actor_of(request)
    )


@router.post("/{review_id}/show", response=ReviewOut, summary="Show a hidden review again")
def show_review(request: HttpRequest, payload: ShowIn, review_id: ReviewId) -> Review:
    """Make it public again and count it in the ratings. 409 `state.invalid_transition` when visible."""
    return services.review_show(
        merchant=merchant_of(request), review_id=review_id, actor=actor_of(request), reason=payload.reason
    )


@router.post("/{review_id}/report", response=ReviewOut, summary="Report a review to the platform")
def report_review(request: HttpRequest, payload: ReasonIn, review_id: ReviewId) -> Review:
    """Flag abuse or a fake review to the platform operators; the review itself is unchanged."""
    return services.review_report(
        merchant=merchant_of(request), review_id=review_id, reason=payload.reason, actor=actor_of(request)
    )
