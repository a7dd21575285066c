"""The member card at the counter: scan or type the card code from the member's H5 card, see the
member (level, points, balance, care flags), add points for an offline purchase, take a top-up
(cash or bank card, with the merchant's bonus), a payment from the stored-value balance, or pay one of
the member's unpaid orders with the balance.

Every form carries a one-time token: a double submit adds points or takes money once.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from weloop.clerk.views import _frame
from weloop.core.errors import NotFound, WeloopError
from weloop.core.ids import random_token
from weloop.core.money import format_fen, yuan_to_fen
from weloop.loyalty import selectors, services
from weloop.loyalty.cards import card_code_member_id
from weloop.loyalty.errors import InvalidCardCode
from weloop.members.selectors import member_care_flags
from weloop.orders.models import Order
from weloop.orders.services.stored_value import order_pay_with_balance
from weloop.tenants.access import staff_view


def _amount(value: str) -> int:
    return yuan_to_fen(value or "")


@staff_view("loyalty.counter")
def member_card(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    actor = f"clerk:{request.user.get_username()}"
    context: dict[str, Any] = {"token": random_token(24)}
    status = 200
    member = None
    try:
        if request.method == "POST":
            member = services.member_by_public_id(merchant=merchant, member_id=request.POST.get("member_id", ""))
            if member is None:
                raise InvalidCardCode()
            action, ref = request.POST.get("action", ""), request.POST.get("token", "")[:60]
            if action == "points":
                earned = services.points_for_offline_purchase(
                    merchant=merchant,
                    member=member,
                    amount_fen=_amount(request.POST.get("amount", "")),
                    ref=ref,
                    actor=actor,
                )
                context["done"] = gettext("Points added: %(n)d.") % {"n": earned.delta if earned else 0}
            elif action == "pay":
                paid = services.value_spend(
                    merchant=merchant,
                    member=member,
                    amount_fen=_amount(request.POST.get("amount", "")),
                    ref=f"counter:{ref}",
                    actor=actor,
                    reason="counter payment",
                )
                context["done"] = gettext("Paid from the balance: %(amount)s.") % {
                    "amount": format_fen(paid.amount_fen)
                }
            elif action == "order":
                order = (
                    Order.objects.for_merchant(merchant)
                    .filter(order_no=request.POST.get("order_no", "").strip(), member=member)
                    .first()
                )
                if order is None:
                    raise NotFound(gettext("This member has no order with this number."), extra={"what": "order"})
                payment = order_pay_with_balance(merchant=merchant, order=order, staff=request.staff)  # type: ignore[attr-defined]
                context["done"] = gettext("Order %(no)s paid from the balance: %(amount)s.") % {
                    "no": order.order_no,
                    "amount": format_fen(payment.amount_fen),
                }
            elif action == "topup":
                entry = services.value_topup(
                    merchant=merchant,
                    member=member,
                    amount_fen=_amount(request.POST.get("amount", "")),
                    method=request.POST.get("method", ""),
                    ref=f"counter:{ref}",
                    actor=actor,
                )
                context["done"] = gettext("Topped up: %(amount)s.") % {"amount": format_fen(entry.amount_fen)}
        elif request.GET.get("code"):
            member_id = card_code_member_id(merchant=merchant, code=request.GET["code"])
            member = services.member_by_public_id(merchant=merchant, member_id=member_id)
            if member is None:
                raise InvalidCardCode()
    except WeloopError as error:
        context.update(error=gettext(error.detail), error_code=error.code)
        status = error.status
    if member is not None:
        context.update(
            member=member,
            account=selectors.account_of(merchant=merchant, member=member),
            care_flags=member_care_flags(merchant=merchant, member=member),
            history=list(selectors.points_history(merchant=merchant, member=member)[:5]),
        )
    return render(request, "clerk/member_card.html", {**_frame(request), **context}, status=status)
