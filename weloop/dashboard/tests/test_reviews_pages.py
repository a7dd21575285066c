"""Console reviews: list with filters and store ratings, reply, hide with a reason, show, report."""

from __future__ import annotations

import pytest
from django.urls import reverse

from weloop.reviews import services
from weloop.reviews.models import Review, ReviewAudit

pytestmark = pytest.mark.django_db


def _review(merchant, store, ref, rating, text=""):
    item = services.eligibility_record(
        merchant=merchant, kind="order", source_ref=ref, member_ref=f"mb_{ref}", store_ref=store.public_id
    )
    return services.review_create(
        merchant=merchant, member_ref=f"mb_{ref}", eligibility_id=item.public_id, rating=rating, text=text
    )


def test_the_list_filters_and_shows_each_stores_rating(owner_client, merchant, store, make_store):
    other = make_store(merchant, name="Other")
    good = _review(merchant, store, "A", 5, "Great")
    bad = _review(merchant, store, "B", 2, "Slow")
    elsewhere = _review(merchant, other, "C", 4, "Fine")
    services.review_hide(merchant=merchant, review_id=bad.public_id, reason="abuse", actor="t")
    services.review_report(merchant=merchant, review_id=elsewhere.public_id, reason="spam", actor="t")
    url = reverse("dashboard:review_list")

    everything = owner_client.get(url).content.decode()
    assert all(r.public_id in everything for r in (good, bad, elsewhere))
    assert f'data-store-id="{store.public_id}"><td><a href="?store={store.public_id}">' in everything
    assert "★ 5.0" in everything  # the hidden 2 does not count

    def ids(**params):
        body = owner_client.get(url, params).content.decode()
        return {r.public_id for r in (good, bad, elsewhere) if r.public_id in body.split("review-list", 1)[1]}

    assert ids(store=store.public_id) == {good.public_id, bad.public_id}
    assert ids(rating="2") == {bad.public_id}
    assert ids(status="hidden") == {bad.public_id}
    assert ids(reported="yes") == {elsewhere.public_id}


def test_reply_hide_show_and_report_leave_an_audit_trail(owner_client, merchant, store):
    review = _review(merchant, store, "A", 3)
    act = reverse("dashboard:review_act", kwargs={"review_id": review.public_id})

    assert owner_client.post(act, {"action": "reply", "text": "Thank you"}).status_code == 302
    owner_client.post(act, {"action": "hide", "text": ""})  # no reason: refused
    assert Review.objects.get().status == "visible"
    owner_client.post(act, {"action": "hide", "text": "phone number in text"})
    hidden = Review.objects.get()
    assert (hidden.status, hidden.hidden_reason, hidden.reply) == ("hidden", "phone number in text", "Thank you")
    owner_client.post(act, {"action": "show", "text": ""})
    owner_client.post(act, {"action": "report", "text": "fake"})
    shown = Review.objects.get()
    assert shown.status == "visible" and shown.reported_at is not None
    actions = list(ReviewAudit.objects.filter(review=shown).values_list("action", flat=True))
    assert actions == ["created", "replied", "hidden", "shown", "reported"]
    page = owner_client.get(reverse("dashboard:review_detail", kwargs={"review_id": review.public_id}))
    assert b'data-action="hidden"' in page.content and b"phone number in text" in page.content


def test_a_clerk_cannot_manage_reviews(staff_client, merchant, store):
    review = _review(merchant, store, "A", 3)
    client = staff_client(merchant, "clerk")
    assert client.get(reverse("dashboard:review_list")).status_code == 403
    act = reverse("dashboard:review_act", kwargs={"review_id": review.public_id})
    assert client.post(act, {"action": "hide", "text": "x"}).status_code == 403
    assert Review.objects.get().status == "visible"
