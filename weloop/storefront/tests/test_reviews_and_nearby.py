"""H5: the nearby page, the store page's rating and reviews, writing a review, my reviews."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from weloop.core.events import deliver_due
from weloop.members.services import member_touch
from weloop.reviews import services as reviews
from weloop.reviews.models import Review
from weloop.storefront.identity import member_key

# these tests read the English source strings
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _member(merchant, openid):
    return member_touch(merchant=merchant, openid=openid, kind="oauth").member


def _sign_in(client, merchant, member):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    session = client.session
    session[member_key(merchant)] = member.public_id
    session[f"weloop_member_scope:{merchant.pk}"] = "snsapi_base"
    session.save()
    return client


def _url(name, merchant, **kwargs):
    return reverse(f"storefront:{name}", kwargs={"merchant_slug": merchant.slug, **kwargs})


def _eligible(merchant, member, store, ref="O1"):
    return reviews.eligibility_record(
        merchant=merchant,
        kind="order",
        source_ref=ref,
        member_ref=member.public_id,
        store_ref=store.public_id,
        title=f"Order {ref}",
        products=[{"id": "pr_X", "name": "Latte"}],
    )


@pytest.fixture
def me(merchant):
    return _member(merchant, "o-me")


@pytest.fixture
def someone(merchant):
    return _member(merchant, "o-someone")


def test_nearby_lists_stores_by_distance_with_rating_and_open_state(client, merchant, make_store, me):
    near = make_store(merchant, name="Near", latitude="22.545000", longitude="114.050000")
    make_store(merchant, name="Farther", latitude="22.560000", longitude="114.050000")
    make_store(merchant, name="Beijing", latitude="39.908722", longitude="116.397499")
    deliver_due()  # the nearby index follows the store events
    item = _eligible(merchant, me, near)
    reviews.review_create(merchant=merchant, member_ref=me.public_id, eligibility_id=item.public_id, rating=4)

    page = client.get(_url("nearby", merchant), {"lat": "22.54", "lng": "114.05", "radius_m": "5000"})

    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="nearby-list"' in body
    assert body.index(">Near<") < body.index(">Farther<") and "Beijing" not in body
    assert "556 m" in body and "2.2 km" in body
    assert 'data-testid="nearby-rating">★ 4.0 (1 review)' in body
    assert 'data-testid="store-open-state"' in body


def test_nearby_without_coordinates_asks_for_them_and_bad_ones_are_explained(client, merchant):
    blank = client.get(_url("nearby", merchant))
    assert blank.status_code == 200 and b'data-located="0"' in blank.content and b"nearby.js" in blank.content
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    bad = client.get(_url("nearby", merchant), {"lat": "95", "lng": "114.05"})
    assert bad.status_code == 200 and b'data-testid="nearby-error"' in bad.content
    assert b'data-testid="nearby-list"' not in bad.content


def test_store_page_shows_rating_and_visible_reviews_with_replies(client, merchant, store, me, someone):
    first = reviews.review_create(
        merchant=merchant,
        member_ref=me.public_id,
        eligibility_id=_eligible(merchant, me, store, "O1").public_id,
        rating=5,
        text="Lovely coffee",
    )
    reviews.review_reply(merchant=merchant, review_id=first.public_id, text="Thanks, see you soon", actor="t")
    rude = reviews.review_create(
        merchant=merchant,
        member_ref=someone.public_id,
        eligibility_id=_eligible(merchant, someone, store, "O2").public_id,
        rating=1,
        text="Rude words",
    )
    reviews.review_hide(merchant=merchant, review_id=rude.public_id, reason="insults", actor="t")

    body = client.get(_url("store_detail", merchant, store_id=store.public_id)).content.decode()

    assert 'data-average="5.0" data-count="1"' in body
    assert "Lovely coffee" in body and "Thanks, see you soon" in body
    assert "Rude words" not in body


def test_my_reviews_lists_only_my_eligible_items_and_another_members_item_is_not_found(
    client, merchant, store, me, someone
):
    mine = _eligible(merchant, me, store, "O1")
    theirs = _eligible(merchant, someone, store, "O2")
    _sign_in(client, merchant, me)

    page = client.get(_url("my_reviews", merchant)).content.decode()
    assert mine.public_id in page and theirs.public_id not in page

    assert client.get(_url("review_write", merchant, eligibility_id=theirs.public_id)).status_code == 404
    posted = client.post(_url("review_write", merchant, eligibility_id=theirs.public_id), {"rating": "5"})
    assert posted.status_code == 404 and not Review.objects.exists()


def test_writing_a_review_with_a_photo_and_a_product_rating(client, merchant, store, me):
    item = _eligible(merchant, me, store)
    _sign_in(client, merchant, me)
    url = _url("review_write", merchant, eligibility_id=item.public_id)
    assert b'data-testid="review-form"' in client.get(url).content

    photo = SimpleUploadedFile("cup.png", PNG, content_type="image/png")
    posted = client.post(
        url, {"rating": "4", "text": "Good", "product_id": "pr_X", "product_rating": "5", "photos": [photo]}
    )

    assert posted.status_code == 302 and posted["Location"] == _url("my_reviews", merchant)
    review = Review.objects.get()
    assert (review.rating, review.product_rating, review.text, review.photos.count()) == (4, 5, "Good", 1)
    again = client.get(url)
    assert again.status_code == 302  # already reviewed: back to the list


def test_a_bad_photo_is_refused_with_its_reason_and_nothing_is_written(client, merchant, store, me):
    item = _eligible(merchant, me, store)
    _sign_in(client, merchant, me)
    url = _url("review_write", merchant, eligibility_id=item.public_id)
    good = SimpleUploadedFile("ok.png", PNG, content_type="image/png")
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00not an image", content_type="image/png")

    posted = client.post(url, {"rating": "5", "text": "Kept text", "photos": [good, fake]})

    body = posted.content.decode()
    assert posted.status_code == 400 and 'data-testid="review-error"' in body
    assert "JPEG, PNG or WebP" in body and "Kept text" in body  # the form keeps what was typed
    assert not Review.objects.exists()
    too_many = [SimpleUploadedFile(f"{n}.png", PNG, content_type="image/png") for n in range(7)]
    refused = client.post(url, {"rating": "5", "photos": too_many})
    assert refused.status_code == 400 and not Review.objects.exists()


def test_a_hidden_review_is_shown_with_its_reason_to_its_author_only(client, merchant, store, me, someone):
    review = reviews.review_create(
        merchant=merchant,
        member_ref=me.public_id,
        eligibility_id=_eligible(merchant, me, store).public_id,
        rating=2,
        text="Meh",
    )
    reviews.review_hide(merchant=merchant, review_id=review.public_id, reason="personal data", actor="t")

    mine = _sign_in(client, merchant, me).get(_url("my_reviews", merchant)).content.decode()
    assert review.public_id in mine and "Hidden by the shop: personal data" in mine

    theirs = _sign_in(client, merchant, someone).get(_url("my_reviews", merchant)).content.decode()
    assert review.public_id not in theirs and "personal data" not in theirs
    store_page = client.get(_url("store_detail", merchant, store_id=store.public_id)).content.decode()
    assert "Meh" not in store_page


def test_review_pages_need_a_signed_in_member(client, merchant, store, me):
    item = _eligible(merchant, me, store)
    assert client.get(_url("my_reviews", merchant)).status_code == 302
    assert client.get(_url("review_write", merchant, eligibility_id=item.public_id)).status_code == 302
    assert client.get(_url("review_write", merchant, eligibility_id="rel_nothing")).status_code == 404
