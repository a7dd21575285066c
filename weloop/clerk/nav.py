"""The clerk page's header actions as data. Later capabilities append theirs here, e.g.

    ClerkAction("verify", "clerk:verify", _("Verify a code"), "vouchers.redeem")

and each shows only to staff holding its permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weloop.tenants.models import StaffMember
from weloop.tenants.permissions import has_permission


@dataclass(frozen=True)
class ClerkAction:
    key: str
    url_name: str
    label: str | Promise
    permission: str


CLERK_ACTIONS: list[ClerkAction] = [
    ClerkAction("pickup", "clerk:pickup", _("Pickup code"), "orders.counter"),
    ClerkAction("pay", "clerk:pay", _("Take payment"), "orders.counter"),
    ClerkAction("valet", "clerk:valet", _("New order"), "orders.counter"),
    ClerkAction("redeem", "clerk:voucher_redeem", _("Redeem a voucher"), "vouchers.redeem"),
    ClerkAction("coupons", "clerk:coupons", _("Coupons"), "coupons.counter"),
    ClerkAction("member_card", "clerk:member_card", _("Member card"), "loyalty.counter"),
    ClerkAction("bookings", "clerk:bookings", _("Bookings"), "clerk.use"),
    ClerkAction("event_checkin", "clerk:event_checkin", _("Event check-in"), "engagement.checkin"),
    ClerkAction("reservations", "clerk:reservations", _("Reserved for pickup"), "orders.counter"),
]


def clerk_actions_for(staff: StaffMember) -> list[dict[str, object]]:
    return [
        {"key": a.key, "url": reverse(a.url_name), "label": a.label}
        for a in CLERK_ACTIONS
        if has_permission(staff, a.permission)
    ]
