"""The member's service requests in the H5: "my requests" (tickets and the conversation's state)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from weloop.service_desk import selectors as desk
from weloop.service_desk.enums import MessageDirection
from weloop.service_desk.models import Conversation
from weloop.storefront import identity
from weloop.storefront.shell import consumer_view, render_page


@never_cache
@require_safe
@consumer_view
@identity.member_required()
def my_requests(request: HttpRequest) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    conversation = Conversation.objects.for_merchant(merchant).filter(member=member).first()
    context = {
        "tickets": list(desk.ticket_list(merchant=merchant, member=member)[:50]),
        "conversation": conversation,
    }
    return render_page(request, "storefront/my_requests.html", context, tab="me")


@never_cache
@require_safe
@consumer_view
def my_request(request: HttpRequest, ticket_id: str) -> HttpResponse:
    # Another merchant's ticket is a 404 before any sign-in redirect: the id says nothing.
    desk.ticket_get(merchant=request.merchant, public_id=ticket_id)  # type: ignore[attr-defined]
    return _my_request(request, ticket_id)


@identity.member_required()
def _my_request(request: HttpRequest, ticket_id: str) -> HttpResponse:
    merchant, member = request.merchant, request.member  # type: ignore[attr-defined]
    ticket = desk.ticket_get(merchant=merchant, public_id=ticket_id, member=member)
    updates = [u for u in desk.ticket_updates(merchant=merchant, ticket=ticket) if u.direction == MessageDirection.OUT]
    return render_page(request, "storefront/my_request.html", {"ticket": ticket, "updates": updates}, tab="me")
