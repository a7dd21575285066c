"""Verified reviews: eligibility from consumption events, one review per item, exact aggregates."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weloop.core.errors import InvalidTransition
from weloop.core.events import publish
from weloop.core.models import OutboxEvent
from weloop.reviews import handlers, selectors, services
from weloop.reviews.enums import ReviewStatus
from weloop.reviews.errors import AlreadyReviewed, InvalidPhoto, InvalidReview, NotEligible, ReasonRequired
from weloop.reviews.models import Eligibility, RatingAggregate, Review, ReviewAudit

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _completed(merchant, order_no="O1", member="mb_A", store="st_S", lines=()):
    event = publish(
        merchant=merchant,
        name="orders.order_completed",
        payload={"order_no": order_no, "member_id": member, "store_id": store, "openid": "o1", "lines": list(lines)},
    )
    handlers.order_completed(event)
    return Eligibility.objects.get(merchant=merchant, source_ref=order_no)


def test_no_review_without_a_completed_purchase(merchant):
    with pytest.raises(NotEligible):
        services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id="rel_nothing", rating=5)
    assert not Review.objects.exists()


def test_only_the_buyer_may_review_their_purchase(merchant):
    item = _completed(merchant)
    with pytest.raises(NotEligible):
        services.review_create(merchant=merchant, member_ref="mb_B", eligibility_id=item.public_id, rating=5)
    assert not Review.objects.exists()


def test_a_paid_but_not_completed_order_is_not_reviewable(merchant):
    event = publish(merchant=merchant, name="orders.order_paid", payload={"order_no": "O9", "member_id": "mb_A"})
    from weloop.core.events import deliver_due

    deliver_due()
    assert event.name == "orders.order_paid"
    assert not Eligibility.objects.filter(source_ref="O9").exists()


def test_eligibility_is_recorded_once_and_prompts_once(merchant):
    first = _completed(merchant)
    again = _completed(merchant)
    assert first.pk == again.pk
    assert OutboxEvent.objects.filter(merchant=merchant, name="reviews.review_invited").count() == 1


def test_a_redeemed_voucher_is_reviewable(merchant):
    event = publish(
        merchant=merchant,
        name="vouchers.voucher_redeemed",
        payload={"redemption_id": "rd_1", "member_id": "mb_A", "store_id": "st_S", "deal_id": "dl_1"},
    )
    handlers.voucher_redeemed(event)
    item = Eligibility.objects.get(merchant=merchant, source_ref="rd_1")
    review = services.review_create(
        merchant=merchant,
        member_ref="mb_A",
        eligibility_id=item.public_id,
        rating=4,
        product_id="dl_1",
        product_rating=5,
    )
    assert (review.kind if hasattr(review, "kind") else review.eligibility.kind) == "voucher"
    assert selectors.product_ratings(merchant=merchant, product_refs=["dl_1"])["dl_1"].average == 5


def test_one_review_per_item(merchant):
    item = _completed(merchant)
    services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=5)
    with pytest.raises(AlreadyReviewed):
        services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=1)
    assert Review.objects.count() == 1
    assert selectors.store_ratings(merchant=merchant, store_refs=["st_S"])["st_S"].review_count == 1


@pytest.mark.parametrize("rating", [0, 6, "x", None, True, 4.5])
def test_bad_ratings_are_refused_and_nothing_is_written(merchant, rating):
    item = _completed(merchant)
    with pytest.raises(InvalidReview):
        services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=rating)
    assert not Review.objects.exists() and not RatingAggregate.objects.exists()


def test_a_product_rating_must_be_about_a_product_bought(merchant):
    item = _completed(merchant, lines=[{"product_id": "pr_1", "product_name": "Croissant"}])
    with pytest.raises(InvalidReview):
        services.review_create(
            merchant=merchant,
            member_ref="mb_A",
            eligibility_id=item.public_id,
            rating=5,
            product_id="pr_2",
            product_rating=5,
        )
    review = services.review_create(
        merchant=merchant,
        member_ref="mb_A",
        eligibility_id=item.public_id,
        rating=5,
        product_id="pr_1",
        product_rating=3,
    )
    assert review.product_name == "Croissant"


def test_photos_are_checked_before_anything_is_written(merchant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = _completed(merchant)
    good = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    bad = SimpleUploadedFile("b.png", b"<script>", content_type="image/png")
    with pytest.raises(InvalidPhoto):
        services.review_create(
            merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=5, photos=[good, bad]
        )
    assert not Review.objects.exists()
    review = services.review_create(
        merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=5, photos=[good]
    )
    assert review.photos.get().file.name.endswith(".png")


def test_hiding_needs_a_reason_keeps_an_audit_and_shows_to_the_author(merchant):
    item = _completed(merchant)
    review = services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=2)
    with pytest.raises(ReasonRequired):
        services.review_hide(merchant=merchant, review_id=review.public_id, reason=" ", actor="staff:1")
    services.review_hide(merchant=merchant, review_id=review.public_id, reason="spam", actor="staff:1")
    with pytest.raises(InvalidTransition):
        services.review_hide(merchant=merchant, review_id=review.public_id, reason="again", actor="staff:1")
    assert not selectors.reviews_public(merchant=merchant, store_ref="st_S").exists()
    own = selectors.reviews_of_member(merchant=merchant, member_ref="mb_A").get()
    assert own.status == ReviewStatus.HIDDEN and own.hidden_reason == "spam"
    assert "st_S" not in selectors.store_ratings(merchant=merchant, store_refs=["st_S"])
    services.review_show(merchant=merchant, review_id=review.public_id, actor="staff:1")
    services.review_report(merchant=merchant, review_id=review.public_id, reason="fake", actor="staff:1")
    services.review_reply(merchant=merchant, review_id=review.public_id, text="Sorry!", actor="staff:1")
    actions = list(ReviewAudit.objects.filter(review=review).values_list("action", flat=True))
    assert actions == ["created", "hidden", "shown", "reported", "replied"]
    assert Review.objects.filter(pk=review.pk).exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.tuples(st.integers(1, 5), st.booleans()), min_size=1, max_size=12))
def test_the_aggregate_is_exact(merchant, script):
    # given reviews with these ratings, some of them hidden afterwards
    Review.objects.filter(merchant=merchant).delete()
    Eligibility.objects.filter(merchant=merchant).delete()
    RatingAggregate.objects.filter(merchant=merchant).delete()
    ReviewAudit.objects.filter(merchant=merchant).delete()
    for i, (rating, hide) in enumerate(script):
        item = _completed(merchant, order_no=f"A{i}", member=f"mb_{i}")
        review = services.review_create(
            merchant=merchant, member_ref=f"mb_{i}", eligibility_id=item.public_id, rating=rating
        )
        if hide:
            services.review_hide(merchant=merchant, review_id=review.public_id, reason="r", actor="t")
    # then the aggregate is the exact mean of the visible ones
    visible = [rating for rating, hide in script if not hide]
    rating = selectors.store_ratings(merchant=merchant, store_refs=["st_S"]).get("st_S")
    if not visible:
        assert rating is None
    else:
        assert rating is not None
        assert (rating.review_count, rating.rating_sum) == (len(visible), sum(visible))
        assert rating.average == Fraction(sum(visible), len(visible))


def test_reviews_stay_with_their_merchant(merchant, other_merchant):
    item = _completed(merchant)
    review = services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=5)
    from weloop.core.errors import NotFound

    with pytest.raises(NotFound):
        services.review_hide(merchant=other_merchant, review_id=review.public_id, reason="x", actor="t")
    with pytest.raises(NotEligible):
        services.review_create(merchant=other_merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=1)
    assert not selectors.store_ratings(merchant=other_merchant, store_refs=["st_S"])


def test_what_is_left_to_review(merchant):
    first = _completed(merchant, order_no="O1")
    second = _completed(merchant, order_no="O2")
    services.review_create(merchant=merchant, member_ref="mb_A", eligibility_id=first.public_id, rating=5)
    assert list(selectors.eligibilities_to_review(merchant=merchant, member_ref="mb_A")) == [second]


def test_rating_display_rounds_half_up():
    assert selectors.StoreRating(4, 18).display == "4.5"
    assert selectors.StoreRating(3, 13).display == "4.3"
    assert selectors.StoreRating(0, 0).display == ""


def test_api_lists_replies_and_hides(api_client, merchant):
    item = _completed(merchant)
    review = services.review_create(
        merchant=merchant, member_ref="mb_A", eligibility_id=item.public_id, rating=4, text="ok"
    )
    listed = api_client.get("/api/v1/reviews").json()
    assert [r["id"] for r in listed["items"]] == [review.public_id]
    reply = api_client.post(
        f"/api/v1/reviews/{review.public_id}/reply", {"text": "谢谢"}, content_type="application/json"
    )
    assert reply.status_code == 200 and reply.json()["reply"] == "谢谢"
    hidden = api_client.post(
        f"/api/v1/reviews/{review.public_id}/hide", {"reason": ""}, content_type="application/json"
    )
    assert hidden.status_code == 400 and hidden.json()["code"] == "reviews.reason_required"
    hidden = api_client.post(
        f"/api/v1/reviews/{review.public_id}/hide", {"reason": "ad"}, content_type="application/json"
    )
    assert hidden.json()["status"] == "hidden"
    assert api_client.get("/api/v1/reviews?status=visible").json()["count"] == 0
