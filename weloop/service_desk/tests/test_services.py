from __future__ import annotations

from datetime import timedelta

import pytest

from weloop.core import clock
from weloop.core.errors import InvalidTransition
from weloop.core.models import StateTransition
from weloop.members.models import Member
from weloop.service_desk import errors, services
from weloop.service_desk.enums import (
    ConversationStatus,
    MediaStatus,
    MessageDirection,
    MessageKind,
    Outcome,
    SendStatus,
    TicketStatus,
)
from weloop.service_desk.models import Conversation, ConversationClosure, ConversationMessage, Ticket
from weloop.service_desk.selectors import agent_metrics, inbox_page
from weloop.service_desk.state import CONVERSATION, TICKET
from weloop.service_desk.tests.support import (
    FakeDesk,
    click,
    follow,
    say,
    send_image,
    send_location,
    unfollow,
)
from weloop.service_desk.window import window_for

pytestmark = pytest.mark.django_db

OPENID = "oUSER0000000000000000000001"


@pytest.fixture
def account(new_merchant) -> str:
    return new_merchant.wechat.original_id


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def agents(merchant, make_staff):
    return [make_staff(merchant, "service_agent") for _ in range(3)]


def conversation_of(merchant, openid=OPENID) -> Conversation:
    return Conversation.objects.for_merchant(merchant).get(member__openid=openid)


# --- conversations ------------------------------------------------------------------------------


def test_every_kind_of_message_lands_in_one_conversation_in_order(merchant, account, agents):
    say(merchant, account, OPENID, "hello")
    send_image(merchant, account, OPENID, "M-1")
    send_location(merchant, account, OPENID, "Shennan Ave")
    click(merchant, account, OPENID, "TALK_TO_PERSON")
    click(merchant, account, OPENID, "HOURS")  # another button: not for the desk

    conversation = conversation_of(merchant)
    kinds = list(conversation.messages.filter(direction=MessageDirection.IN).values_list("kind", flat=True))
    assert kinds == [MessageKind.TEXT, MessageKind.IMAGE, MessageKind.LOCATION, MessageKind.MENU]
    location = conversation.messages.get(kind=MessageKind.LOCATION)
    assert (str(location.latitude), str(location.longitude), location.label) == (
        "22.540000",
        "114.050000",
        "Shennan Ave",
    )
    assert conversation.messages.get(kind=MessageKind.IMAGE).media_id == "M-1"
    assert Conversation.objects.for_merchant(merchant).count() == 1
    assert conversation.waiting and conversation.status == ConversationStatus.OPEN


def test_a_redelivered_event_is_filed_once(merchant, account):
    say(merchant, account, OPENID, "hello")
    from weloop.core.models import OutboxEvent

    event = OutboxEvent.objects.filter(merchant=merchant, name="messaging.message_received").last()
    services.conversation_receive(merchant=merchant, payload=dict(event.payload))
    assert ConversationMessage.objects.for_merchant(merchant).count() == 1


def test_round_robin_gives_new_conversations_to_available_agents_in_turn(merchant, account, agents):
    services.agent_set_available(merchant=merchant, staff=agents[1], available=False)
    for n in range(4):
        say(merchant, account, f"oUSER{n:023d}", "hi")
    assignees = [conversation_of(merchant, f"oUSER{n:023d}").assignee for n in range(4)]
    assert assignees == [agents[0], agents[2], agents[0], agents[2]]


def test_without_available_agents_the_conversation_is_unassigned(merchant, account, make_staff):
    make_staff(merchant, "owner")  # managers are not in the rotation unless they say so
    say(merchant, account, OPENID, "hi")
    assert conversation_of(merchant).assignee is None
    assert [c.public_id for c in inbox_page(merchant=merchant, view="unassigned").items] == [
        conversation_of(merchant).public_id
    ]


def test_store_rule_wins_over_round_robin(merchant, account, agents, store):
    from weloop.members.services import member_touch

    member_touch(merchant=merchant, openid=OPENID, kind="message", store=store)  # first met at the store
    services.assignment_rule_set(merchant=merchant, store=store, agent=agents[2])
    say(merchant, account, OPENID, "hi")
    assert conversation_of(merchant).assignee == agents[2]


def test_transfer_between_agents_is_recorded(merchant, account, agents):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    services.conversation_assign(merchant=merchant, conversation=conversation, agent=agents[1], by=agents[0])
    conversation.refresh_from_db()
    assert conversation.assignee == agents[1]
    note = conversation.messages.filter(direction=MessageDirection.SYSTEM).last()
    assert str(agents[1]) in note.text


def test_transfer_to_a_clerk_or_another_merchants_agent_is_refused(merchant, other_merchant, account, make_staff):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    for staff in (make_staff(merchant, "clerk"), make_staff(other_merchant, "service_agent")):
        with pytest.raises(errors.NotAnAgent):
            services.conversation_assign(merchant=merchant, conversation=conversation, agent=staff)


def test_close_with_outcome_then_a_new_message_reopens(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    services.conversation_reply(merchant=merchant, conversation=conversation, staff=agents[0], text="hello!", api=desk)
    services.conversation_close(merchant=merchant, conversation=conversation, outcome=Outcome.RESOLVED, by=agents[0])
    conversation.refresh_from_db()
    assert (conversation.status, conversation.outcome) == (ConversationStatus.CLOSED, Outcome.RESOLVED)
    closure = ConversationClosure.objects.get(conversation=conversation)
    assert closure.agent == agents[0] and closure.first_response_at is not None
    with pytest.raises(InvalidTransition):
        services.conversation_close(merchant=merchant, conversation=conversation, outcome=Outcome.SPAM)
    with pytest.raises(errors.InvalidOutcome):
        services.conversation_close(merchant=merchant, conversation=conversation, outcome="bored")

    say(merchant, account, OPENID, "one more thing")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN and conversation.outcome == ""
    assert conversation.first_response_at is None and conversation.assignee == agents[0]
    assert Conversation.objects.for_merchant(merchant).count() == 1


def test_conversation_and_ticket_machines_allow_and_refuse_every_transition():
    for machine in (CONVERSATION, TICKET):
        for src in machine.states:
            for dst in machine.states:
                assert machine.can(src, dst) == (dst in machine.transitions.get(src, ()))
    assert not TICKET.allowed_from(TicketStatus.CLOSED)
    assert TICKET.can(TicketStatus.RESOLVED, TicketStatus.IN_PROGRESS)


# --- replies, the window and the quota ----------------------------------------------------------


def test_reply_inside_the_window_is_sent_and_counts_as_first_response(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    message = services.conversation_reply(
        merchant=merchant, conversation=conversation, staff=agents[0], text="Hello, how can I help?", api=desk
    )
    assert message.send_status == SendStatus.SENT
    assert desk.sent == [(OPENID, "Hello, how can I help?")]
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None and not conversation.waiting


def test_a_message_allows_five_replies_then_the_quota_is_used(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    with clock.travel(timedelta(minutes=5)):  # the follow window (3 in a minute) is over
        window = window_for(merchant=merchant, member=conversation.member)
        assert window.remaining == 5 and 47 * 3600 < window.seconds_left <= 48 * 3600
        for n in range(5):
            services.conversation_reply(
                merchant=merchant, conversation=conversation, staff=agents[0], text=f"r{n}", api=desk
            )
        assert window_for(merchant=merchant, member=conversation.member).remaining == 0
        with pytest.raises(errors.QuotaUsed):
            services.conversation_reply(
                merchant=merchant, conversation=conversation, staff=agents[0], text="6", api=desk
            )
    assert len(desk.sent) == 5


def test_a_reply_after_48_hours_is_refused_and_offers_a_template(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    with clock.travel(timedelta(hours=48, minutes=1)):
        window = window_for(merchant=merchant, member=conversation.member)
        assert not window.is_open and window.reason == "closed"
        with pytest.raises(errors.OutsideWindow) as refused:
            services.conversation_reply(
                merchant=merchant, conversation=conversation, staff=agents[0], text="late", api=desk
            )
    assert refused.value.extra["template_fallback"] is True
    assert desk.sent == [] and not conversation.messages.filter(direction=MessageDirection.OUT).exists()


def test_a_new_message_renews_the_window(merchant, account, agents, desk):
    long_ago = int((clock.now() - timedelta(hours=47)).timestamp())
    say(merchant, account, OPENID, "hi", create_time=long_ago)
    member = conversation_of(merchant).member
    assert window_for(merchant=merchant, member=member).seconds_left <= 3600
    say(merchant, account, OPENID, "still there?")
    window = window_for(merchant=merchant, member=member)
    assert window.is_open and window.remaining == 5 and window.seconds_left > 47 * 3600


def test_failed_send_keeps_the_errcode_and_can_be_retried(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    desk.refuse = 45047
    failed = services.conversation_reply(
        merchant=merchant, conversation=conversation, staff=agents[0], text="hi!", api=desk
    )
    assert (failed.send_status, failed.errcode) == (SendStatus.FAILED, 45047)
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    desk.refuse = None
    sent = services.message_retry(merchant=merchant, message=failed, staff=agents[0], api=desk)
    assert (sent.pk, sent.send_status, sent.errcode, sent.attempts) == (failed.pk, SendStatus.SENT, None, 2)
    with pytest.raises(errors.CannotRetry):
        services.message_retry(merchant=merchant, message=sent, staff=agents[0], api=desk)


def test_unfollow_mid_conversation_marks_it_and_refuses_replies(merchant, account, agents, desk):
    follow(merchant, account, OPENID)
    say(merchant, account, OPENID, "hi")
    unfollow(merchant, account, OPENID)
    conversation = conversation_of(merchant)
    assert conversation.unsubscribed_at is not None
    assert conversation.messages.filter(direction=MessageDirection.SYSTEM).exists()
    with pytest.raises(errors.MemberUnsubscribed):
        services.conversation_reply(merchant=merchant, conversation=conversation, staff=agents[0], text="hi", api=desk)
    assert desk.sent == []
    follow(merchant, account, OPENID, create_time=int(clock.now().timestamp()) + 5)  # not a duplicate
    conversation.refresh_from_db()
    assert conversation.unsubscribed_at is None


def test_notes_are_never_sent(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    note = services.note_add(merchant=merchant, conversation=conversation, staff=agents[0], text="VIP, be nice")
    assert note.direction == MessageDirection.NOTE and desk.sent == []
    with pytest.raises(errors.InvalidReplyText):
        services.note_add(merchant=merchant, conversation=conversation, staff=agents[0], text="  ")


# --- media --------------------------------------------------------------------------------------


def test_media_is_downloaded_and_kept(merchant, account, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    send_image(merchant, account, OPENID, "M-OK")
    message = ConversationMessage.objects.for_merchant(merchant).get(kind=MessageKind.IMAGE)
    assert message.media_status == MediaStatus.PENDING
    desk.media["M-OK"] = (b"\x89PNG\r\n\x1a\nfake", "image/png")
    stored = services.message_media_fetch(merchant=merchant, message_id=message.pk, api=desk)
    assert stored.media_status == MediaStatus.STORED
    assert stored.media_file.read() == b"\x89PNG\r\n\x1a\nfake"


def test_media_that_cannot_be_fetched_is_marked_unavailable_and_nothing_is_lost(merchant, account, desk):
    send_image(merchant, account, OPENID, "M-GONE")
    message = ConversationMessage.objects.for_merchant(merchant).get(kind=MessageKind.IMAGE)
    result = services.message_media_fetch(merchant=merchant, message_id=message.pk, api=desk)
    assert (result.media_status, result.errcode) == (MediaStatus.UNAVAILABLE, 40007)
    assert result.media_id == "M-GONE" and result.pic_url.endswith("M-GONE")
    assert conversation_of(merchant).preview  # the conversation still shows it


# --- tickets ------------------------------------------------------------------------------------


def test_a_photo_and_a_place_open_a_ticket_whose_updates_reach_the_customer(merchant, account, agents, desk):
    say(merchant, account, OPENID, "My car was scratched in your car park")
    send_image(merchant, account, OPENID, "M-CAR")
    send_location(merchant, account, OPENID, "Car park B2")
    ticket = Ticket.objects.for_merchant(merchant).get()
    assert ticket.subject == "My car was scratched in your car park"
    assert (ticket.photo.media_id, ticket.place.label) == ("M-CAR", "Car park B2")
    send_image(merchant, account, OPENID, "M-CAR-2")  # more photos: still one open ticket
    assert Ticket.objects.for_merchant(merchant).count() == 1

    ticket, update = services.ticket_set_status(
        merchant=merchant, ticket=ticket, status=TicketStatus.IN_PROGRESS, by=agents[0], api=desk
    )
    assert update.send_status == SendStatus.SENT and ticket.public_id in desk.sent[-1][1]
    assert StateTransition.objects.filter(machine="ticket", object_pk=str(ticket.pk)).count() == 1

    with clock.travel(timedelta(days=3)):
        ticket, update = services.ticket_set_status(
            merchant=merchant, ticket=ticket, status=TicketStatus.RESOLVED, by=agents[0], api=desk
        )
    assert ticket.status == TicketStatus.RESOLVED
    assert (update.send_status, update.error) == (SendStatus.NOT_SENT, "closed")
    assert len(desk.sent) == 1
    with pytest.raises(InvalidTransition):
        services.ticket_set_status(merchant=merchant, ticket=ticket, status=TicketStatus.OPEN, api=desk)


# --- metrics ------------------------------------------------------------------------------------


def test_metrics_per_agent(merchant, account, agents, desk):
    say(merchant, account, OPENID, "hi")
    conversation = conversation_of(merchant)
    with clock.travel(timedelta(minutes=10)):
        services.conversation_reply(
            merchant=merchant, conversation=conversation, staff=agents[0], text="yes?", api=desk
        )
    with clock.travel(timedelta(minutes=30)):
        services.conversation_close(merchant=merchant, conversation=conversation, outcome=Outcome.RESOLVED)
    [row] = agent_metrics(merchant=merchant)
    assert row.agent == agents[0] and row.closed == 1
    assert 599 <= row.first_response_avg <= 601
    assert 1799 <= row.resolution_avg <= 1801


# --- the inbox ----------------------------------------------------------------------------------


def test_inbox_pages_by_keyset_newest_first(merchant, account, agents):
    for n in range(7):
        with clock.travel(timedelta(minutes=n)):
            say(merchant, account, f"oUSER{n:023d}", "hi")
    first = inbox_page(merchant=merchant, limit=3)
    second = inbox_page(merchant=merchant, limit=3, cursor=first.next_cursor)
    third = inbox_page(merchant=merchant, limit=3, cursor=second.next_cursor)
    openids = [c.member.openid for page in (first, second, third) for c in page.items]
    assert openids == [f"oUSER{n:023d}" for n in reversed(range(7))]
    assert third.next_cursor is None and first.count == 7
    mine = inbox_page(merchant=merchant, view="mine", staff=agents[0])
    assert {c.assignee for c in mine.items} == {agents[0]} and mine.count == 3
    assert inbox_page(merchant=merchant, cursor="garbage!", limit=3).items == first.items


def test_another_merchants_conversations_are_not_listed(merchant, other_new_merchant, account):
    say(merchant, account, OPENID, "hi")
    assert inbox_page(merchant=other_new_merchant.merchant).items == []
    assert Member.objects.for_merchant(other_new_merchant.merchant).count() == 0
