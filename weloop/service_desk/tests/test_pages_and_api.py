"""The console pages, the H5 "my requests" page and the API over the service desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from weloop.core import clock
from weloop.service_desk import services
from weloop.service_desk.enums import SendStatus, TicketStatus
from weloop.service_desk.models import Conversation, ConversationMessage, Ticket
from weloop.service_desk.tests.support import FakeDesk, say, send_image, send_location

pytestmark = pytest.mark.django_db

OPENID = "oUSER0000000000000000000001"


@pytest.fixture
def account(new_merchant) -> str:
    return new_merchant.wechat.original_id


@pytest.fixture
def agent(merchant, make_staff):
    return make_staff(merchant, "service_agent")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent.user)
    return client


@pytest.fixture
def fake_wechat(monkeypatch) -> FakeDesk:
    desk = FakeDesk()
    monkeypatch.setattr(services, "desk_api_for", lambda merchant: desk)
    return desk


def conversation(merchant) -> Conversation:
    return Conversation.objects.for_merchant(merchant).get(member__openid=OPENID)


def test_inbox_lists_mine_and_the_rows_partial_polls(merchant, account, agent, agent_client):
    say(merchant, account, OPENID, "where is my order?")
    page = agent_client.get(reverse("dashboard:service_desk_inbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "where is my order?" in body and 'hx-trigger="every 4s"' in body
    rows = agent_client.get(reverse("dashboard:service_desk_inbox_rows") + "?view=unassigned")
    assert rows.status_code == 200 and "where is my order?" not in rows.content.decode()


def test_agent_replies_from_the_console_and_sees_the_window(merchant, account, agent_client, fake_wechat):
    say(merchant, account, OPENID, "hello")
    c = conversation(merchant)
    url = reverse("dashboard:service_desk_conversation", kwargs={"conversation_id": c.public_id})
    page = agent_client.get(url).content.decode()
    assert 'data-testid="desk-window"' in page and 'data-open="yes"' in page
    response = agent_client.post(
        reverse("dashboard:service_desk_reply", kwargs={"conversation_id": c.public_id}), {"text": "Hi there"}
    )
    assert response.status_code == 302
    assert fake_wechat.sent == [(OPENID, "Hi there")]


def test_reply_outside_the_window_explains_and_offers_a_template(merchant, account, agent_client, fake_wechat):
    say(merchant, account, OPENID, "hello")
    c = conversation(merchant)
    with clock.travel(timedelta(hours=49)):
        response = agent_client.post(
            reverse("dashboard:service_desk_reply", kwargs={"conversation_id": c.public_id}), {"text": "late"}
        )
    assert response.status_code == 409
    body = response.content.decode()
    assert "service_desk.outside_window" in body and 'data-testid="desk-template-offer"' in body
    assert "late" in body  # the draft is kept
    assert fake_wechat.sent == []


def test_failed_send_shows_errcode_and_retry(merchant, account, agent_client, fake_wechat):
    say(merchant, account, OPENID, "hello")
    c = conversation(merchant)
    fake_wechat.refuse = 45047
    agent_client.post(reverse("dashboard:service_desk_reply", kwargs={"conversation_id": c.public_id}), {"text": "x"})
    failed = ConversationMessage.objects.for_merchant(merchant).get(send_status=SendStatus.FAILED)
    thread = agent_client.get(reverse("dashboard:service_desk_thread", kwargs={"conversation_id": c.public_id}))
    assert 'data-errcode="45047"' in thread.content.decode() and "desk-retry" in thread.content.decode()
    fake_wechat.refuse = None
    agent_client.post(
        reverse("dashboard:service_desk_message_retry", kwargs={"conversation_message_id": failed.public_id})
    )
    failed.refresh_from_db()
    assert failed.send_status == SendStatus.SENT


def test_clerks_cannot_open_the_desk(merchant, staff_client):
    client = staff_client(merchant, "clerk")
    assert client.get(reverse("dashboard:service_desk_inbox")).status_code == 403


def test_metrics_and_rules_are_for_managers(merchant, staff_client):
    agent_client = staff_client(merchant, "service_agent")
    assert agent_client.get(reverse("dashboard:service_desk_metrics")).status_code == 403
    assert agent_client.get(reverse("dashboard:service_desk_rules")).status_code == 403
    owner_client = staff_client(merchant, "owner")
    assert owner_client.get(reverse("dashboard:service_desk_metrics")).status_code == 200
    assert owner_client.get(reverse("dashboard:service_desk_rules")).status_code == 200


def test_canned_replies_crud(merchant, agent_client):
    url = reverse("dashboard:service_desk_canned_replies")
    assert agent_client.post(url, {"title": "Hi", "text": "Hello!"}).status_code == 302
    assert agent_client.post(url, {"title": "Hi", "text": "Again"}).status_code == 400  # title taken
    reply = services.canned_reply_create(merchant=merchant, title="Bye", text="Bye!")
    edit = reverse("dashboard:service_desk_canned_reply_edit", kwargs={"canned_reply_id": reply.public_id})
    assert agent_client.post(edit, {"title": "Bye", "text": "See you"}).status_code == 302
    reply.refresh_from_db()
    assert reply.text == "See you"
    delete = reverse("dashboard:service_desk_canned_reply_delete", kwargs={"canned_reply_id": reply.public_id})
    assert agent_client.post(delete).status_code == 302
    assert [r.title for r in services.CannedReply.objects.for_merchant(merchant)] == ["Hi"]


def test_ticket_page_changes_status_and_tells_the_customer(merchant, account, agent_client, fake_wechat):
    say(merchant, account, OPENID, "scratched car")
    send_image(merchant, account, OPENID, "M-1")
    send_location(merchant, account, OPENID)
    ticket = Ticket.objects.for_merchant(merchant).get()
    url = reverse("dashboard:service_desk_ticket", kwargs={"ticket_id": ticket.public_id})
    assert (
        agent_client.post(url, {"status": TicketStatus.IN_PROGRESS, "note": "An adjuster calls you today"}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert "An adjuster calls you today" in fake_wechat.sent[-1][1]


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_gets_replies_assigns_and_closes(merchant, account, agent, api_client, fake_wechat):
    say(merchant, account, OPENID, "hello api")
    c = conversation(merchant)
    listed = api_client.get("/api/v1/conversations?view=all").json()
    assert [item["id"] for item in listed["items"]] == [c.public_id] and listed["next_cursor"] is None
    detail = api_client.get(f"/api/v1/conversations/{c.public_id}").json()
    assert detail["window"]["is_open"] is True and detail["assignee_id"] == agent.public_id
    reply = api_client.post(
        f"/api/v1/conversations/{c.public_id}/reply",
        {"staff_id": agent.public_id, "text": "hi from the API"},
        content_type="application/json",
    )
    assert reply.status_code == 201 and reply.json()["send_status"] == "sent"
    messages = api_client.get(f"/api/v1/conversations/{c.public_id}/messages").json()
    assert [m["direction"] for m in messages["items"]][:2] == ["in", "out"]
    unassigned = api_client.post(
        f"/api/v1/conversations/{c.public_id}/assign", {"staff_id": None}, content_type="application/json"
    )
    assert unassigned.json()["assignee_id"] is None
    closed = api_client.post(
        f"/api/v1/conversations/{c.public_id}/close", {"outcome": "resolved"}, content_type="application/json"
    )
    assert closed.json()["status"] == "closed"
    again = api_client.post(
        f"/api/v1/conversations/{c.public_id}/close", {"outcome": "resolved"}, content_type="application/json"
    )
    assert again.status_code == 409


def test_api_reply_outside_the_window_is_409(merchant, account, agent, api_client, fake_wechat):
    say(merchant, account, OPENID, "hello")
    c = conversation(merchant)
    with clock.travel(timedelta(hours=49)):
        reply = api_client.post(
            f"/api/v1/conversations/{c.public_id}/reply",
            {"staff_id": agent.public_id, "text": "late"},
            content_type="application/json",
        )
    assert reply.status_code == 409 and reply.json()["code"] == "service_desk.outside_window"


def test_api_tickets(merchant, account, agent, api_client, fake_wechat):
    say(merchant, account, OPENID, "scratched car")
    send_image(merchant, account, OPENID, "M-1")
    send_location(merchant, account, OPENID, "B2")
    [ticket] = api_client.get("/api/v1/tickets").json()["items"]
    assert ticket["place_label"] == "B2" and ticket["status"] == "open"
    moved = api_client.post(
        f"/api/v1/tickets/{ticket['id']}/status", {"status": "resolved"}, content_type="application/json"
    ).json()
    assert moved["ticket"]["status"] == "resolved" and moved["update"]["send_status"] == "sent"
    bad = api_client.post(f"/api/v1/tickets/{ticket['id']}/status", {"status": "open"}, content_type="application/json")
    assert bad.status_code == 409


# --- H5 -----------------------------------------------------------------------------------------


def test_my_requests_lists_the_members_tickets_only(merchant, account, client):
    from weloop.members.models import Member

    say(merchant, account, OPENID, "scratched car")
    send_image(merchant, account, OPENID, "M-1")
    send_location(merchant, account, OPENID)
    ticket = Ticket.objects.for_merchant(merchant).get()
    url = reverse("storefront:my_requests", kwargs={"merchant_slug": merchant.slug})
    assert client.get(url).status_code == 302  # sign in through WeChat first
    member = Member.objects.for_merchant(merchant).get(openid=OPENID)
    _sign_in(client, merchant, member)
    body = client.get(url).content.decode()
    assert ticket.public_id in body
    detail = reverse("storefront:my_request", kwargs={"merchant_slug": merchant.slug, "ticket_id": ticket.public_id})
    assert client.get(detail).status_code == 200


def _sign_in(client, merchant, member) -> None:
    from weloop.storefront import identity

    session = client.session
    session[identity.member_key(merchant)] = member.public_id
    session.save()
