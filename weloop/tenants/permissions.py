"""Who may do what: the one table of permissions, checked in one place.

A permission names the action (``stores.manage``); each lists the roles that hold it. A staff
member assigned to particular stores holds store-scoped permissions only for those stores.
"""

from __future__ import annotations

from weloop.tenants.enums import StaffRole
from weloop.tenants.errors import RoleForbidden
from weloop.tenants.models import StaffMember

_ALL = frozenset(StaffRole.values)
_MANAGERS = frozenset({StaffRole.OWNER, StaffRole.ADMIN})

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": _ALL,
    "stores.view": _ALL,
    "stores.manage": _MANAGERS,  # create and delete stores
    "stores.edit": _MANAGERS | {StaffRole.STORE_MANAGER},  # edit details and hours (scoped)
    "staff.manage": _MANAGERS,
    "staff.manage_owners": frozenset({StaffRole.OWNER}),  # create or deactivate another owner
    "api_keys.manage": _MANAGERS,
    "outbox.view": _MANAGERS,
    "clerk.use": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},
    "wechat.manage": _MANAGERS,
    "settings.manage": frozenset({StaffRole.OWNER}),
    # WeChat channel: members are every role's customers except the counter's; the service desk
    # reads them and the message log, but the account's menu, replies and QR codes are managers' work.
    "members.view": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.SERVICE_AGENT},
    "qrcodes.manage": _MANAGERS,
    "service_account.manage": _MANAGERS,
    "messages.view": _MANAGERS | {StaffRole.SERVICE_AGENT},
    # The service desk: agents and managers answer customers; managers set rules and read metrics.
    "service_desk.use": _MANAGERS | {StaffRole.SERVICE_AGENT},
    "service_desk.manage": _MANAGERS,
    # Notifications: agents read the log (a customer asks "did you tell me?"); managers retry, map
    # templates and set the switches.
    "notifications.view": _MANAGERS | {StaffRole.SERVICE_AGENT},
    "notifications.manage": _MANAGERS,
    # The catalog: managers shape it; a store manager reads it (prices, stock in the stores).
    "catalog.manage": _MANAGERS,
    "catalog.view": _MANAGERS | {StaffRole.STORE_MANAGER},
    # Deals and vouchers: managers define deals; the counter redeems (scoped to its stores); store
    # managers read the settlement of what their stores redeemed.
    "deals.manage": _MANAGERS,
    # Reviews: managers and the service desk reply, hide (with a reason), show and report.
    "reviews.manage": _MANAGERS | {StaffRole.SERVICE_AGENT},
    # Flash sales: managers create and cancel them and watch them sell.
    "flashsales.manage": _MANAGERS,
    # Presales (预售): managers create, open, settle and cancel them and watch the refunds.
    "presales.manage": _MANAGERS,
    # Events and surveys (活动, 问卷): managers run them; the counter checks members in at the venue.
    "engagement.manage": _MANAGERS,
    "engagement.checkin": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},
    # Bookings: managers define services, resources and schedules and work the leads; store managers
    # run their stores' days (check in, complete, cancel, move); the counter uses the clerk page.
    "bookings.manage": _MANAGERS,
    "bookings.view": _MANAGERS | {StaffRole.STORE_MANAGER},
    "bookings.run": _MANAGERS | {StaffRole.STORE_MANAGER},
    "vouchers.redeem": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},
    "vouchers.settlement": _MANAGERS | {StaffRole.STORE_MANAGER},
    # Orders: a store manager runs their stores' orders (scoped); the service desk reads them to
    # answer customers. Money going out (refunds, after-sales decisions) and the shop's rules
    # (shipping fee, purchase limits) are managers' work; so is the WeChat Pay account and its ledger.
    "orders.view": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.SERVICE_AGENT},
    "orders.manage": _MANAGERS | {StaffRole.STORE_MANAGER},  # fulfil, ship, cancel unpaid, take payment
    "orders.refund": _MANAGERS,  # refunds and after-sales decisions
    "orders.settings": _MANAGERS,  # shipping rule and purchase limits
    "orders.counter": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},  # clerk: pickups, cash, valet
    "payments.manage": _MANAGERS,  # WeChat Pay settings, the ledger, reconciliation
    # Store and guide performance (the attribution ledger): a store manager sees their stores only.
    "analytics.view": _MANAGERS | {StaffRole.STORE_MANAGER},
    # Referrals: commission rates, the ledger and payout statements are money going out: managers.
    "referrals.manage": _MANAGERS,
    # Campaigns: who messages the whole membership, and its caps, is a manager's decision.
    "campaigns.manage": _MANAGERS,
    # Segments: who is in a campaign's audience is marketing work: managers.
    "segments.manage": _MANAGERS,
    # Tags: managers define tags, care flags, WeChat sync and auto-tag rules; whoever serves members
    # (store managers, the service desk) may tag a member and fill in birthday, gender and city.
    "tags.manage": _MANAGERS,
    "members.tag": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.SERVICE_AGENT},
    # Coupons: managers define templates, budgets and the price floor; the counter redeems coupons on
    # offline sales and gives a member a coupon (scoped to its stores).
    "coupons.manage": _MANAGERS,
    "coupons.counter": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},
    # Loyalty: managers set earn rules, levels, bonuses and adjust ledgers; the counter looks a member
    # up by their card QR, adds points for an offline purchase, takes top-ups and balance payments.
    "loyalty.manage": _MANAGERS,
    "loyalty.counter": _MANAGERS | {StaffRole.STORE_MANAGER, StaffRole.CLERK},
}

# Permissions that a store assignment narrows to the assigned stores.
STORE_SCOPED = frozenset(
    {"stores.edit", "clerk.use", "orders.view", "orders.manage", "orders.counter", "vouchers.redeem", "analytics.view"}
)


def assigned_store_ids(staff: StaffMember) -> frozenset[int]:
    """Store pks a staff member is limited to; empty means every store of the merchant."""
    cached = getattr(staff, "_assigned_store_ids", None)
    if cached is None:
        cached = frozenset(staff.store_assignments.values_list("store_id", flat=True))  # type: ignore[attr-defined]
        staff._assigned_store_ids = cached  # type: ignore[attr-defined]
    return cached


def has_permission(staff: StaffMember, permission: str, *, store_id: int | None = None) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if not staff.is_active or staff.role not in PERMISSIONS[permission]:
        return False
    if store_id is not None and permission in STORE_SCOPED and staff.role not in _MANAGERS:
        scope = assigned_store_ids(staff)
        return not scope or store_id in scope
    return True


def require_permission(staff: StaffMember, permission: str, *, store_id: int | None = None) -> None:
    """Raise RoleForbidden unless ``staff`` holds ``permission`` (for ``store_id`` if scoped)."""
    if not has_permission(staff, permission, store_id=store_id):
        raise RoleForbidden(extra={"permission": permission, "role": staff.role})
